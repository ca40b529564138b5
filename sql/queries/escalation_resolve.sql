-- Resolve an open escalation: who, when, the resolution note, and an
-- `escalation_resolved` event on the lead (note = the resolution; payload `escalation`,
-- `to`). No row = it was not open.
--   $1 escalation, $2 agent, $3 resolution note, $4 now, $5 request id
WITH resolved AS (
    UPDATE escalations
    SET status = 'resolved', resolved_at = $4::timestamptz, resolved_by = $2::bigint, resolution = $3::text
    WHERE id = $1::bigint AND status = 'open'
    RETURNING *
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, note, request_id, payload)
    SELECT lead_id, 'escalation_resolved'::lead_event_kind, $2::bigint, $4::timestamptz, $3::text, $5::text,
           jsonb_build_object('escalation', id, 'to', target::text)
    FROM resolved
    RETURNING id
)
SELECT r.id, r.lead_id, r.agent_id, a.name AS agent, r.target::text AS target, r.summary, r.ask, r.status,
       r.created_at, r.resolved_at, l.team_id, rb.name AS resolved_by, r.resolution,
       floor(extract(epoch FROM r.resolved_at - r.created_at) / 60)::bigint AS age_minutes,
       (SELECT count(*) FROM event) AS events
FROM resolved r
JOIN leads l ON l.id = r.lead_id
JOIN agents a ON a.id = r.agent_id
JOIN agents rb ON rb.id = r.resolved_by;
