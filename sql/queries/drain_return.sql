-- DRAIN: everything in the agent's personal queue goes back to the team pool, held leads
-- included (their holder keeps the lease, and the lead comes back to the pool, not to the
-- draining agent, when it ends), reserved callbacks included. One `moved` event per lead
-- and a wake-up per lead claimable now. (Callbacks it scheduled that are not due yet are
-- no longer reserved for it: the promoter reserves only for agents on the floor.)
--   $1 agent, $2 acting agent, $3 now
WITH returned AS (
    UPDATE leads l SET assigned_agent_id = NULL, reserved_until = NULL
    WHERE l.assigned_agent_id = $1::bigint AND l.state <> 'closed'
    RETURNING l.id, l.team_id, l.tier
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, payload)
    SELECT r.id, 'moved'::lead_event_kind, $2::bigint, $3::timestamptz,
           jsonb_build_object('from', a.name, 'to', 'pool', 'via', 'drain')
    FROM returned r JOIN agents a ON a.id = $1::bigint
    ORDER BY r.id
    RETURNING id
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':0:' || id) FROM returned WHERE tier IS NOT NULL
)
SELECT (SELECT count(*) FROM returned) AS returned, (SELECT count(*) FROM event) AS events,
       (SELECT count(*) FROM wake) AS woken;
