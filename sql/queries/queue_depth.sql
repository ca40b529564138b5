-- Claimable-now leads per claim tier over every team, for the queue-depth gauge. Only
-- ready leads have a tier; each branch matches one partial ready index (pool, personal).
SELECT tier, count(*) AS n
FROM (SELECT tier FROM leads WHERE tier IS NOT NULL AND assigned_agent_id IS NULL
      UNION ALL
      SELECT tier FROM leads WHERE tier IS NOT NULL AND assigned_agent_id IS NOT NULL) ready
GROUP BY tier;
