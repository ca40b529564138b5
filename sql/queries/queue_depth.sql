-- Claimable-now leads per claim tier over every team, for the queue-depth gauge. Only
-- ready leads have a tier, and exactly they have a row in the hot queue table lead_queue
-- (migration 0012), a narrow table that this counts in one pass.
SELECT tier, count(*) AS n
FROM lead_queue
GROUP BY tier;
