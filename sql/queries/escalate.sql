-- Escalate a lead to CX, Ops or Pricing: the escalation (open) and an `escalated` event.
--   $1 lead, $2 agent, $3 target, $4 summary, $5 the exact ask, $6 now, $7 request id
WITH raised AS (
    INSERT INTO escalations (lead_id, agent_id, target, summary, ask, status, created_at)
    VALUES ($1::bigint, $2::bigint, $3::escalation_target, $4::text, $5::text, 'open', $6::timestamptz)
    RETURNING id, lead_id, agent_id, target::text AS target, summary, ask, status, created_at, resolved_at
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, note, request_id, payload)
    SELECT lead_id, 'escalated'::lead_event_kind, agent_id, created_at, summary, $7::text,
           jsonb_build_object('escalation', id, 'to', target, 'ask', ask)
    FROM raised
    RETURNING id
)
SELECT r.*, l.team_id, a.name AS agent, (SELECT count(*) FROM event) AS events
FROM raised r JOIN leads l ON l.id = r.lead_id JOIN agents a ON a.id = r.agent_id;
