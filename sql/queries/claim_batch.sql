-- Batched claim: several agents of one team claim at once, in one statement and one
-- commit, each getting exactly what it would get from claim.sql run once per agent in
-- arrival order (tests: ClaimBatchTests).
--   $1 agent ids (bigint[], in arrival order, no agent twice), $2 now,
--   $3 tier filter (1 high_end, 2 not_called, 3 callback; NULL = any)
--   The pool scan's LIMIT is the literal `64 /* batch */`; LeadQueue.claimBatch replaces 64 with the
--   smallest power of two ≥ the batch size (a literal, so the plan stays the index range scan
--   in claim order, as claim.sql's LIMIT 1 does).
-- Per agent, as in claim.sql: active, below capacity; its personal queue first. Agents
-- without a personal lead take pool leads in claim order (tier, priority, sla_due_at, id:
-- a SIGNAL-boosted lead ahead of its tier, as in claim.sql and the queue indexes), the first
-- arrival the best lead, if their eligibility (team, seniority, skills) is the batch's
-- (that of the first agent that reaches the pool). One result row per requested agent:
-- outcome `claimed` (with the lead as claim.sql returns it), `empty` (nothing eligible), or
-- `single` (not decided here: inactive, at capacity, or other skills; run claim.sql).
-- Both scans read the hot queue table lead_queue and lock only the `leads` rows, with
-- claim.sql's re-checks (migration 0012).
WITH req AS MATERIALIZED (
    SELECT r.agent_id, r.ord FROM unnest($1::bigint[]) WITH ORDINALITY AS r(agent_id, ord)
),
agent AS MATERIALIZED (
    SELECT a.id, r.ord, a.team_id, a.cities, a.device_categories, a.languages, t.lease_duration, t.starred_mode,
           (CASE WHEN a.senior OR a.role <> 'agent' OR t.allow_junior_high_end THEN 1 ELSE 2 END)::smallint AS min_tier
    FROM req r JOIN agents a ON a.id = r.agent_id JOIN teams t ON t.id = a.team_id
    WHERE a.status = 'active' AND a.holding < a.capacity
),
personal AS MATERIALIZED (
    SELECT a.id AS agent_id, p.id
    FROM agent a CROSS JOIN LATERAL (
        SELECT l.id FROM lead_queue q JOIN leads l ON l.id = q.lead_id
        WHERE q.assigned_agent_id = a.id
          AND ($3::smallint IS NULL OR q.tier = $3::smallint)
          AND (q.starred OR NOT a.starred_mode)
          AND l.tier = q.tier AND l.assigned_agent_id IS NOT DISTINCT FROM q.assigned_agent_id AND l.starred = q.starred
        ORDER BY q.tier, q.priority, q.sla_due_at, q.lead_id
        LIMIT 1
        FOR UPDATE OF l SKIP LOCKED
    ) p
),
batch_key AS MATERIALIZED (
    SELECT a.* FROM agent a WHERE NOT EXISTS (SELECT 1 FROM personal p WHERE p.agent_id = a.id)
    ORDER BY a.ord LIMIT 1
),
takers AS MATERIALIZED (
    SELECT a.id AS agent_id, row_number() OVER (ORDER BY a.ord) AS n
    FROM agent a JOIN batch_key k
      ON a.team_id = k.team_id AND a.min_tier = k.min_tier AND a.cities = k.cities
     AND a.device_categories = k.device_categories AND a.languages = k.languages
    WHERE NOT EXISTS (SELECT 1 FROM personal p WHERE p.agent_id = a.id)
),
pool AS MATERIALIZED (
    SELECT l.id, q.tier, q.priority, q.sla_due_at FROM lead_queue q JOIN leads l ON l.id = q.lead_id
    WHERE q.team_id = (SELECT team_id FROM batch_key)
      AND q.assigned_agent_id IS NULL
      AND q.tier >= (SELECT min_tier FROM batch_key)
      AND ($3::smallint IS NULL OR q.tier = $3::smallint)
      AND lead_in_reach(q.city, q.category, q.language, q.starred,
                        (SELECT cities FROM batch_key), (SELECT device_categories FROM batch_key),
                        (SELECT languages FROM batch_key), (SELECT starred_mode FROM batch_key))
      AND l.tier = q.tier AND l.team_id = q.team_id AND l.assigned_agent_id IS NULL AND l.starred = q.starred
    ORDER BY q.tier, q.priority, q.sla_due_at, q.lead_id
    LIMIT 64 /* batch */
    FOR UPDATE OF l SKIP LOCKED
),
pairs AS MATERIALIZED (
    SELECT agent_id, id FROM personal
    UNION ALL
    SELECT t.agent_id, q.id
    FROM takers t JOIN (SELECT id, row_number() OVER (ORDER BY tier, priority, sla_due_at, id) AS n FROM pool) q ON q.n = t.n
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
    FROM pairs p JOIN agent a ON a.id = p.agent_id
    WHERE l.id = p.id
    RETURNING l.*
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, lease_gen)
    SELECT id, 'claimed', holder_agent_id, $2::timestamptz, lease_gen FROM claimed
)
SELECT r.agent_id,
       CASE WHEN c.id IS NOT NULL THEN 'claimed'
            WHEN EXISTS (SELECT 1 FROM takers tk WHERE tk.agent_id = r.agent_id) THEN 'empty'
            ELSE 'single' END AS outcome,
       c.id, c.lease_gen, c.lease_expires_at,
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
FROM req r
LEFT JOIN claimed c ON c.holder_agent_id = r.agent_id
LEFT JOIN teams t ON t.id = c.team_id
LEFT JOIN agents cb ON cb.id = c.callback_agent_id AND c.state = 'callback'
LEFT JOIN agents asg ON asg.id = c.assigned_agent_id
ORDER BY r.ord;
