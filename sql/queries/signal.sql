-- SIGNAL: the lead is boosted (priority 0 until now + the boost; an earlier, longer boost
-- is kept) so it goes ahead of its tier; a retry or follow-up waiting for its time becomes
-- due at once (a callback keeps the customer's time); with a receiving agent (a failed
-- payment) it goes into that agent's personal queue (starred, if the team runs starred mode). Events: `signal` (the note, the kind,
-- the boost, whom it was routed to) and, when routed, `assigned`. A wake-up if claimable.
--   $1 lead, $2 kind, $3 note, $4 acting agent, $5 now, $6 boost in seconds,
--   $7 receiving agent (NULL = stays where it is)
WITH boosted AS (
    UPDATE leads l
    SET priority = 0,
        boost_until = greatest(coalesce(l.boost_until, $5::timestamptz), $5::timestamptz + $6::float8 * interval '1 second'),
        next_action_at = CASE WHEN l.holder_agent_id IS NULL AND l.state IN ('retry', 'follow_up') AND l.next_action_at > $5::timestamptz
                              THEN $5::timestamptz ELSE l.next_action_at END,
        tier = CASE WHEN l.holder_agent_id IS NULL AND l.state IN ('retry', 'follow_up')
                    THEN lead_tier(l.high_end, l.state, least(l.next_action_at, $5::timestamptz), $5::timestamptz)
                    ELSE l.tier END,
        assigned_agent_id = coalesce($7::bigint, l.assigned_agent_id),
        -- A failed payment routed to an agent is released to it even in starred mode.
        starred = l.starred OR ($7::bigint IS NOT NULL AND (SELECT t.starred_mode FROM teams t WHERE t.id = l.team_id)),
        reserved_until = CASE WHEN $7::bigint IS NULL THEN l.reserved_until END
    WHERE l.id = $1::bigint AND l.state <> 'closed'
    RETURNING l.id, l.team_id, l.tier, l.assigned_agent_id, l.boost_until
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, note, payload)
    SELECT b.id, e.kind, $4::bigint, $5::timestamptz, e.note, e.payload
    FROM boosted b
    LEFT JOIN agents r ON r.id = $7::bigint
    CROSS JOIN LATERAL (VALUES
        (1, 'signal'::lead_event_kind, $3::text,
         jsonb_strip_nulls(jsonb_build_object('signal', $2::text, 'boost_until', b.boost_until, 'to', r.name))),
        (2, 'assigned'::lead_event_kind, NULL::text,
         jsonb_build_object('to', r.name, 'via', 'signal'))
    ) AS e(step, kind, note, payload)
    WHERE e.step = 1 OR r.id IS NOT NULL
    ORDER BY e.step
    RETURNING id
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':' || coalesce(assigned_agent_id, 0) || ':' || id)
    FROM boosted WHERE tier IS NOT NULL
)
SELECT b.id, b.tier, b.boost_until, (SELECT count(*) FROM event) AS events, (SELECT count(*) FROM wake) AS woken
FROM boosted b;
