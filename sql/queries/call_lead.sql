-- Held leads, locked for their holders' disposition or conversion, each with its team's
-- settings (the TeamPolicy) in the same round trip: one lead (one-element arrays, a single
-- DISPOSE or CONVERT) or a whole disposition batch. The rows are locked in lead-id order
-- (ORDER BY runs below the row locks), so two batches never deadlock. No row for a lead =
-- its lease does not hold (the caller asks lease_state why).
--   $1 leads, $2 agents, $3 lease generations (element k of each for the k-th lead), $4 now
SELECT l.id, l.team_id, l.state::text AS state, l.high_end, l.city, l.quoted_price, l.lease_gen,
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
FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS r(lead, agent, lease_gen)
JOIN leads l ON l.id = r.lead AND l.holder_agent_id = r.agent AND l.lease_gen = r.lease_gen
JOIN teams t ON t.id = l.team_id
WHERE l.lease_expires_at > $4::timestamptz
ORDER BY l.id
FOR UPDATE OF l;
