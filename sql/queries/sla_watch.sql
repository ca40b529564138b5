-- SLA watcher: a lead whose deadline passed without an attempt gets one breach event
-- per deadline ('callback_missed' for a callback, 'sla_breached' otherwise). A lead
-- being called (held, claimed before its deadline) is not in breach. Each breach is also
-- announced with NOTIFY leadline_breach, payload `team_id:lead_id:kind:view`, so the floor
-- console's boards show it as it happens (on every instance).
--   $1 now, $2 batch size
-- Scans lead_deadlines (open leads not yet in breach, migration 0012) and locks only the
-- `leads` rows, re-checking on them.
WITH breached AS (
    SELECT l.id FROM lead_deadlines d JOIN leads l ON l.id = d.lead_id
    WHERE d.sla_due_at <= $1::timestamptz
      AND l.state <> 'closed' AND l.sla_breached_at IS NULL AND l.sla_due_at <= $1::timestamptz
      AND (l.holder_agent_id IS NULL OR l.claimed_at > l.sla_due_at)
    ORDER BY d.sla_due_at
    LIMIT $2::int
    FOR UPDATE OF l SKIP LOCKED
),
marked AS (
    UPDATE leads l SET sla_breached_at = $1::timestamptz
    FROM breached b WHERE l.id = b.id
    RETURNING l.id, l.state, l.high_end, l.sla_due_at, l.callback_agent_id, l.callback_at, l.team_id
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, payload)
SELECT id,
       (CASE WHEN state = 'callback' THEN 'callback_missed' ELSE 'sla_breached' END)::lead_event_kind,
       CASE WHEN state = 'callback' THEN callback_agent_id END,
       $1::timestamptz,
       jsonb_build_object('due', sla_due_at, 'callback_at', callback_at,
                          'view', CASE WHEN high_end THEN 'high_end' WHEN state = 'new' THEN 'not_called'
                                       WHEN state = 'callback' THEN 'callback' ELSE 'all' END)
FROM marked
RETURNING lead_id, kind::text AS kind, payload->>'view' AS view
)
SELECT e.lead_id, e.kind,
       pg_notify('leadline_breach', m.team_id || ':' || e.lead_id || ':' || e.kind || ':' || e.view) AS notified
FROM event e JOIN marked m ON m.id = e.lead_id;
