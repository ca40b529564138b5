-- Claim: hand one agent the best lead it is eligible for, in one round trip.
--   $1 agent id, $2 now, $3 tier filter (1 high_end, 2 not_called, 3 callback; NULL = any)
-- Order: the agent's personal queue first (leads assigned to it, and its own callbacks
-- that came due), then the team pool; within each, High Ends → Not Called → due
-- callbacks, a SIGNAL-boosted lead (priority 0) ahead of its tier, then the oldest SLA
-- deadline first. Eligibility is decided here, not by fetching and filtering: status,
-- capacity, seniority for High Ends, team, skills, starred mode (which holds back the
-- personal queue's unstarred leads too: starring is how a lead manager releases a lead). The order is the same
-- for every eligible agent and depends on nothing an agent did before (docs/CLAIMS.md,
-- Fairness). The uncorrelated sub-selects on `agent` become init-plans, so the pool scan
-- is an index range scan of lead_queue_pool (the hot queue table, migration 0012) in
-- (tier, priority, sla_due_at, lead_id) order. Only the `leads` row is locked (SKIP
-- LOCKED, never waiting); the `l.… = q.…` re-checks make PostgreSQL's re-check of a row
-- changed since the snapshot skip a lead that was claimed, moved or unstarred meanwhile.
-- The queue row leaves lead_queue by the trigger on `leads` when the claim sets tier NULL.
WITH agent AS MATERIALIZED (
    SELECT a.id, a.team_id, a.cities, a.device_categories, a.languages, t.lease_duration, t.starred_mode,
           (CASE WHEN a.senior OR a.role <> 'agent' OR t.allow_junior_high_end THEN 1 ELSE 2 END)::smallint AS min_tier
    FROM agents a JOIN teams t ON t.id = a.team_id
    WHERE a.id = $1::bigint AND a.status = 'active' AND a.holding < a.capacity
),
personal AS MATERIALIZED (
    SELECT l.id FROM lead_queue q JOIN leads l ON l.id = q.lead_id
    WHERE q.assigned_agent_id = (SELECT id FROM agent)
      AND ($3::smallint IS NULL OR q.tier = $3::smallint)
      AND (q.starred OR NOT (SELECT starred_mode FROM agent))
      AND l.tier = q.tier AND l.assigned_agent_id IS NOT DISTINCT FROM q.assigned_agent_id AND l.starred = q.starred
    ORDER BY q.tier, q.priority, q.sla_due_at, q.lead_id
    LIMIT 1
    FOR UPDATE OF l SKIP LOCKED
),
pool AS MATERIALIZED (
    SELECT l.id FROM lead_queue q JOIN leads l ON l.id = q.lead_id
    WHERE NOT EXISTS (SELECT 1 FROM personal)
      AND q.team_id = (SELECT team_id FROM agent)
      AND q.assigned_agent_id IS NULL
      AND q.tier >= (SELECT min_tier FROM agent)
      AND ($3::smallint IS NULL OR q.tier = $3::smallint)
      AND lead_in_reach(q.city, q.category, q.language, q.starred,
                        (SELECT cities FROM agent), (SELECT device_categories FROM agent),
                        (SELECT languages FROM agent), (SELECT starred_mode FROM agent))
      AND l.tier = q.tier AND l.team_id = q.team_id AND l.assigned_agent_id IS NULL AND l.starred = q.starred
    ORDER BY q.tier, q.priority, q.sla_due_at, q.lead_id
    LIMIT 1
    FOR UPDATE OF l SKIP LOCKED
),
claimed AS (
    UPDATE leads l
    SET holder_agent_id = a.id,
        lease_gen = l.lease_gen + 1,
        lease_expires_at = $2::timestamptz + a.lease_duration,
        claimed_at = $2::timestamptz,
        tier = NULL,
        assigned_agent_id = CASE WHEN l.reserved_until IS NOT NULL THEN NULL ELSE l.assigned_agent_id END,
        reserved_until = NULL
    FROM agent a
    WHERE l.id IN (SELECT id FROM personal UNION ALL SELECT id FROM pool)
    RETURNING l.*
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, lease_gen)
    SELECT id, 'claimed', holder_agent_id, $2::timestamptz, lease_gen FROM claimed
)
SELECT c.id, c.lease_gen, c.lease_expires_at,
       CASE WHEN c.high_end THEN 'high_end' WHEN c.state = 'new' THEN 'not_called' ELSE 'callback' END AS view,
       t.name AS team, c.phone, c.customer_name, c.city, c.pincode, c.language, c.category, c.brand, c.model, c.variant,
       c.conditions, c.quoted_price, c.source, c.campaign, c.created_at, c.high_end, c.state::text AS state,
       CASE WHEN c.state IN ('callback', 'retry', 'follow_up') THEN c.next_action_at END AS next_at,
       cb.name AS callback_agent, c.attempts,
       CASE WHEN c.attempts_day = (($2::timestamptz) AT TIME ZONE t.time_zone)::date THEN c.attempts_today ELSE 0 END AS attempts_today,
       c.last_disposition::text AS last_code, c.starred,
       CASE WHEN c.priority = 0 THEN c.boost_until END AS boost_until,
       asg.name AS assigned, c.sla_due_at,
       (c.sla_breached_at IS NOT NULL) AS sla_breached
FROM claimed c
JOIN teams t ON t.id = c.team_id
LEFT JOIN agents cb ON cb.id = c.callback_agent_id AND c.state = 'callback'
LEFT JOIN agents asg ON asg.id = c.assigned_agent_id;
