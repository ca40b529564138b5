-- TEAM SET (and `leadline team set`): a team's floor settings and call rules; a NULL keeps
-- the current value ($3 and $6 say whether the shift end / account manager change, since
-- NULL is also the value that clears them). A new shift end already passed today counts
-- as run today (the first unstar comes at the next local day's shift end); a later one
-- runs today. Returns the settings after, and the ones that changed before and after
-- (`details`, empty when nothing changed). Changed settings may make leads claimable
-- (starred mode off, juniors given High Ends): one wake-up for the team.
--   $1 team, $2 starred mode, $3 change the shift end, $4 shift end (NULL = none),
--   $5 juniors take High Ends, $6 change the account manager, $7 account manager (NULL = none), $8 now,
--   $9 lease minutes, $10 callback grace minutes, $11 callback horizon days, $12 follow-up hours,
--   $13 attempts per day, $14 attempt spacing minutes, $15 unreachable after days,
--   $16 calling window start, $17 calling window end (team time), $18 claim order
WITH before AS (
    SELECT t.* FROM teams t WHERE t.id = $1::bigint
    FOR UPDATE
),
changed AS (
    UPDATE teams t
    SET starred_mode = coalesce($2::boolean, t.starred_mode),
        shift_end_unstar = CASE WHEN $3::boolean THEN $4::time ELSE t.shift_end_unstar END,
        shift_end_unstarred_on = CASE
            WHEN NOT $3::boolean OR $4::time IS NULL THEN t.shift_end_unstarred_on
            WHEN ($8::timestamptz AT TIME ZONE t.time_zone)::time >= $4::time THEN ($8::timestamptz AT TIME ZONE t.time_zone)::date
            ELSE NULL END,
        allow_junior_high_end = coalesce($5::boolean, t.allow_junior_high_end),
        account_manager_id = CASE WHEN $6::boolean THEN $7::bigint ELSE t.account_manager_id END,
        lease_duration = coalesce($9::int * interval '1 minute', t.lease_duration),
        callback_grace = coalesce($10::int * interval '1 minute', t.callback_grace),
        callback_horizon = coalesce($11::int * interval '1 day', t.callback_horizon),
        follow_up_after = coalesce($12::int * interval '1 hour', t.follow_up_after),
        max_attempts_per_day = coalesce($13::int, t.max_attempts_per_day),
        attempt_spacing = coalesce($14::int * interval '1 minute', t.attempt_spacing),
        unreachable_after_days = coalesce($15::int, t.unreachable_after_days),
        call_window_start = coalesce($16::time, t.call_window_start),
        call_window_end = coalesce($17::time, t.call_window_end),
        claim_order = coalesce($18::text, t.claim_order)
    FROM before b
    WHERE t.id = b.id
    RETURNING t.*
),
wake AS (
    SELECT pg_notify('leadline_ready', id || ':0:0') FROM changed
),
settings AS (
    SELECT s.side, s.id, s.name, s.time_zone, s.starred_mode, s.allow_junior_high_end,
           jsonb_build_object(
               'starred_mode', s.starred_mode, 'shift_end', to_char(s.shift_end_unstar, 'HH24:MI:SS'),
               'junior_high_ends', s.allow_junior_high_end, 'account_manager', am.name,
               'lease_minutes', (extract(epoch FROM s.lease_duration) / 60)::int,
               'callback_grace_minutes', (extract(epoch FROM s.callback_grace) / 60)::int,
               'callback_horizon_days', (extract(epoch FROM s.callback_horizon) / 86400)::int,
               'follow_up_hours', (extract(epoch FROM s.follow_up_after) / 3600)::int,
               'attempts_per_day', s.max_attempts_per_day,
               'attempt_spacing_minutes', (extract(epoch FROM s.attempt_spacing) / 60)::int,
               'unreachable_after_days', s.unreachable_after_days,
               'call_window', to_char(s.call_window_start, 'HH24:MI') || '-' || to_char(s.call_window_end, 'HH24:MI'),
               'claim_order', s.claim_order
           ) AS j
    FROM (SELECT 'before' AS side, b.* FROM before b UNION ALL SELECT 'after', c.* FROM changed c) s
    LEFT JOIN agents am ON am.id = s.account_manager_id
),
diff AS (
    SELECT coalesce(jsonb_object_agg(k.key, jsonb_build_object('before', b.j -> k.key, 'after', a.j -> k.key))
                    FILTER (WHERE b.j -> k.key IS DISTINCT FROM a.j -> k.key), '{}'::jsonb) AS d
    FROM settings a JOIN settings b ON a.side = 'after' AND b.side = 'before'
    CROSS JOIN LATERAL jsonb_object_keys(a.j) AS k(key)
)
SELECT a.id, a.name, a.time_zone, a.starred_mode, a.j ->> 'shift_end' AS shift_end,
       a.allow_junior_high_end, a.j ->> 'account_manager' AS account_manager,
       a.j ->> 'lease_minutes' AS lease_minutes, a.j ->> 'callback_grace_minutes' AS callback_grace_minutes,
       a.j ->> 'callback_horizon_days' AS callback_horizon_days, a.j ->> 'follow_up_hours' AS follow_up_hours,
       a.j ->> 'attempts_per_day' AS attempts_per_day, a.j ->> 'attempt_spacing_minutes' AS attempt_spacing_minutes,
       a.j ->> 'unreachable_after_days' AS unreachable_after_days, a.j ->> 'call_window' AS call_window,
       a.j ->> 'claim_order' AS claim_order,
       (SELECT d FROM diff)::text AS details, (SELECT d FROM diff) <> '{}'::jsonb AS changed,
       (SELECT count(*) FROM wake) AS woken
FROM settings a WHERE a.side = 'after';
