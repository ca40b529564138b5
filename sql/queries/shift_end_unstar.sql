-- The end-of-shift unstar (seed 004: "at the end of the shift the leads for the day should
-- be unstarred … according to time zones"): every team with a shift end whose local time
-- reached it today, and which has not been unstarred on this local day, gets all its open
-- leads unstarred, one `unstarred` event per lead (no agent: the server did it) and one
-- audit row. The teams row is claimed first, so with several instances exactly one does it.
--   $1 now
WITH due AS (
    UPDATE teams t SET shift_end_unstarred_on = ($1::timestamptz AT TIME ZONE t.time_zone)::date
    WHERE t.shift_end_unstar IS NOT NULL
      AND ($1::timestamptz AT TIME ZONE t.time_zone)::time >= t.shift_end_unstar
      AND (t.shift_end_unstarred_on IS NULL OR t.shift_end_unstarred_on < ($1::timestamptz AT TIME ZONE t.time_zone)::date)
    RETURNING t.id, t.name, t.shift_end_unstar, t.shift_end_unstarred_on AS day
),
unstarred AS (
    UPDATE leads l SET starred = false
    FROM due d
    WHERE l.team_id = d.id AND l.starred AND l.outcome IS NULL
    RETURNING l.id, l.team_id
),
event AS (
    INSERT INTO lead_events (lead_id, kind, at, note, payload)
    SELECT u.id, 'unstarred'::lead_event_kind, $1::timestamptz, 'end of shift',
           jsonb_build_object('via', 'shift_end')
    FROM unstarred u
    ORDER BY u.id
    RETURNING id
),
counted AS (
    SELECT d.id, d.name, d.shift_end_unstar, d.day, (SELECT count(*) FROM unstarred u WHERE u.team_id = d.id) AS leads
    FROM due d
),
audit AS (
    INSERT INTO floor_actions (at, team_id, action, lead_count, details, note)
    SELECT $1::timestamptz, c.id, 'shift_end_unstar', c.leads,
           jsonb_build_object('shift_end', to_char(c.shift_end_unstar, 'HH24:MI:SS'), 'local_day', c.day),
           'end of shift'
    FROM counted c
    RETURNING id
)
SELECT c.id, c.name, c.leads, (SELECT count(*) FROM event) AS events, (SELECT count(*) FROM audit) AS audited
FROM counted c
ORDER BY c.name;
