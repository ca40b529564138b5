-- A held lead, locked for its holder's disposition or conversion, with its team's
-- settings (the TeamPolicy) in the same round trip. No row = the lease does not hold
-- (the caller asks lease_state why).
--   $1 lead, $2 agent, $3 lease generation, $4 now
SELECT l.id, l.team_id, l.state::text AS state, l.high_end, l.quoted_price, l.lease_gen,
       l.attempts, l.attempts_today, l.attempts_day::text AS attempts_day,
       l.first_attempt_at, l.last_attempt_at, l.last_connected_at, l.unanswered_since,
       t.time_zone, t.allow_junior_high_end,
       extract(epoch FROM t.lease_duration)::float8 AS lease_seconds,
       extract(epoch FROM t.callback_grace)::float8 AS grace_seconds,
       extract(epoch FROM t.callback_horizon)::float8 AS horizon_seconds,
       extract(epoch FROM t.follow_up_after)::float8 AS follow_up_seconds,
       t.max_attempts_per_day,
       extract(epoch FROM t.attempt_spacing)::float8 AS spacing_seconds,
       to_char(t.call_window_start, 'HH24:MI') AS window_start,
       to_char(t.call_window_end, 'HH24:MI') AS window_end,
       t.unreachable_after_days,
       extract(epoch FROM t.high_end_sla)::float8 AS high_end_sla_seconds
FROM leads l JOIN teams t ON t.id = l.team_id
WHERE l.id = $1::bigint AND l.holder_agent_id = $2::bigint AND l.lease_gen = $3::bigint
  AND l.lease_expires_at > $4::timestamptz
FOR UPDATE OF l;
