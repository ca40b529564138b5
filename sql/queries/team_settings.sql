-- TEAM SET (and `leadline team set`): a team's floor settings; a NULL keeps the current
-- value ($3 and $6 say whether the shift end / account manager change, since NULL is also
-- the value that clears them). A new shift end already passed today counts as run today
-- (the first unstar comes at the next local day's shift end); a later one runs today.
-- Returns the settings before and after. Changed settings may make leads claimable
-- (starred mode off, juniors given High Ends): one wake-up for the team.
--   $1 team, $2 starred mode, $3 change the shift end, $4 shift end (NULL = none),
--   $5 juniors take High Ends, $6 change the account manager, $7 account manager (NULL = none), $8 now
WITH before AS (
    SELECT t.id, t.starred_mode, t.shift_end_unstar, t.allow_junior_high_end, t.account_manager_id
    FROM teams t WHERE t.id = $1::bigint
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
        account_manager_id = CASE WHEN $6::boolean THEN $7::bigint ELSE t.account_manager_id END
    FROM before b
    WHERE t.id = b.id
    RETURNING t.id, t.name, t.time_zone, t.starred_mode, t.shift_end_unstar, t.allow_junior_high_end, t.account_manager_id
),
wake AS (
    SELECT pg_notify('leadline_ready', id || ':0:0') FROM changed
)
SELECT c.id, c.name, c.time_zone, c.starred_mode, to_char(c.shift_end_unstar, 'HH24:MI:SS') AS shift_end,
       c.allow_junior_high_end, am.name AS account_manager,
       jsonb_build_object(
           'before', jsonb_build_object('starred_mode', b.starred_mode, 'shift_end', to_char(b.shift_end_unstar, 'HH24:MI:SS'),
                                        'junior_high_ends', b.allow_junior_high_end, 'account_manager', bam.name),
           'after', jsonb_build_object('starred_mode', c.starred_mode, 'shift_end', to_char(c.shift_end_unstar, 'HH24:MI:SS'),
                                       'junior_high_ends', c.allow_junior_high_end, 'account_manager', am.name))::text AS details,
       (SELECT count(*) FROM wake) AS woken
FROM changed c
JOIN before b ON b.id = c.id
LEFT JOIN agents am ON am.id = c.account_manager_id
LEFT JOIN agents bam ON bam.id = b.account_manager_id;
