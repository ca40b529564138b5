-- Dispose: write the outcome LeadCore planned for a call and end the lease, in one
-- statement: the lead row, the `disposition` event (plus `closed_unreachable` when the
-- cadence gave up), and a wake-up if the lead is claimable at once.
-- tier is recomputed by lead_tier; a callback leaves the personal queue so the promoter
-- reserves it for its owner (then the team); the SLA deadline is kept when the lead closes.
--   $1 lead, $2 agent, $3 lease generation, $4 now,
--   $5 next state, $6 outcome (NULL while open), $7 next_action_at, $8 callback_at,
--   $9 callback agent, $10 new SLA deadline (NULL = closed, keep the old one),
--   $11 attempts, $12 attempts_today, $13 attempts_day, $14 first_attempt_at,
--   $15 last_attempt_at, $16 last_connected_at, $17 unanswered_since,
--   $18 disposition, $19 reason, $20 note, $21 request id, $22 closed as unreachable
WITH disposed AS (
    UPDATE leads l
    SET holder_agent_id = NULL,
        lease_expires_at = NULL,
        state = $5::lead_state,
        outcome = $6::text,
        closed_at = CASE WHEN $5::lead_state = 'closed' THEN $4::timestamptz END,
        next_action_at = $7::timestamptz,
        tier = lead_tier(l.high_end, $5::lead_state, $7::timestamptz, $4::timestamptz),
        assigned_agent_id = CASE WHEN $5::lead_state = 'callback' THEN NULL ELSE l.assigned_agent_id END,
        reserved_until = NULL,
        callback_at = $8::timestamptz,
        callback_agent_id = $9::bigint,
        sla_due_at = coalesce($10::timestamptz, l.sla_due_at),
        sla_breached_at = CASE WHEN $10::timestamptz IS NULL THEN l.sla_breached_at END,
        attempts = $11::int,
        attempts_today = $12::int,
        attempts_day = $13::date,
        first_attempt_at = $14::timestamptz,
        last_attempt_at = $15::timestamptz,
        last_connected_at = $16::timestamptz,
        unanswered_since = $17::timestamptz,
        last_disposition = $18::disposition
    WHERE l.id = $1::bigint AND l.holder_agent_id = $2::bigint AND l.lease_gen = $3::bigint
      AND l.lease_expires_at > $4::timestamptz
    RETURNING l.id, l.team_id, l.tier, l.assigned_agent_id, l.lease_gen, l.state::text AS state, l.outcome,
              l.next_action_at, l.callback_at, l.sla_due_at, l.attempts, l.attempts_today
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, disposition, reason, note, lease_gen, request_id, payload)
    SELECT id, 'disposition'::lead_event_kind, $2::bigint, $4::timestamptz, $18::disposition, $19::non_conversion_reason, $20::text,
           lease_gen, $21::text,
           jsonb_build_object('state', state, 'next_at', next_action_at, 'outcome', outcome,
                              'attempts', attempts, 'attempts_today', attempts_today)
    FROM disposed
    UNION ALL
    SELECT id, 'closed_unreachable'::lead_event_kind, $2::bigint, $4::timestamptz, NULL::disposition, NULL::non_conversion_reason, NULL::text, lease_gen, $21::text,
           jsonb_build_object('attempts', attempts)
    FROM disposed WHERE $22::boolean
    RETURNING id
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':' || coalesce(assigned_agent_id, 0) || ':' || id)
    FROM disposed WHERE tier IS NOT NULL
)
SELECT id, state, outcome, next_action_at, callback_at, sla_due_at, attempts, attempts_today,
       (SELECT count(*) FROM event) AS events, (SELECT count(*) FROM wake) AS woken
FROM disposed;
