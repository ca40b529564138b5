-- A note on a lead's history, by its holder or a team lead/admin (checked by the caller).
-- A note is action taken (SOP: Not Called = no call, no SMS, no note): a lead still in
-- state `new` leaves Not Called and becomes a follow-up due at once, its SLA deadline
-- unchanged; if nobody holds it, it is re-tiered and a waiting claimer is woken.
--   $1 lead, $2 agent, $3 now, $4 note, $5 lease generation (the holder's; NULL otherwise), $6 request id
WITH noted AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, note, lease_gen, request_id)
    VALUES ($1::bigint, 'note', $2::bigint, $3::timestamptz, $4::text, $5::bigint, $6::text)
    RETURNING id, lead_id, at
),
acted AS (
    UPDATE leads l
    SET state = 'follow_up',
        next_action_at = $3::timestamptz,
        tier = CASE WHEN l.holder_agent_id IS NULL
                    THEN lead_tier(l.high_end, 'follow_up', $3::timestamptz, $3::timestamptz) END
    WHERE l.id = $1::bigint AND l.state = 'new'
    RETURNING l.id, l.team_id, l.tier, l.assigned_agent_id
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':' || coalesce(assigned_agent_id, 0) || ':' || id)
    FROM acted WHERE tier IS NOT NULL
)
SELECT n.id, n.lead_id, n.at, (SELECT count(*) FROM acted) AS left_not_called, (SELECT count(*) FROM wake) AS woken
FROM noted n;
