-- QUEUES: the live view of one team's queues, or every team's (docs/PROTOCOL.md QUEUES).
-- Per team, one row per view in claim order (high_end, not_called, callback; a lead's view
-- as LEAD SHOW names it) and one `all` row. Definitions, at `now`:
--   open: not closed; ready: due and not held (it has a claim tier); claimable: ready and
--   not kept back by the team's starred mode; held: under a live lease; scheduled: neither
--   held nor ready (waiting for its time); breached: ready and past its SLA deadline;
--   oldest_at: created_at of the oldest ready lead; breaches_today: SLA breach events
--   (sla_breached, callback_missed) recorded since the team's local midnight, by the view
--   the lead was in when it breached (retries and follow-ups count as callback);
--   callbacks_next_hour: callbacks not held, due within the next hour; callbacks_overdue:
--   callbacks not held whose time + grace (their SLA deadline) has passed.
-- This statement counts every open lead (seconds at a million): it is the definition.
-- FloorControl.queues answers from the kept counts (queues_fast.sql, migration 0013),
-- which must give these same rows (BoardTallyTests), and runs this one only for a `now`
-- the kept counts no longer tell apart.
--   $1 team (NULL = every team), $2 now
WITH team AS (
    SELECT t.id, t.name, t.starred_mode,
           (date_trunc('day', $2::timestamptz AT TIME ZONE t.time_zone) AT TIME ZONE t.time_zone) AS day_start
    FROM teams t
    WHERE $1::bigint IS NULL OR t.id = $1::bigint
),
open_lead AS (
    SELECT l.team_id, CASE WHEN l.high_end THEN 'high_end' WHEN l.state = 'new' THEN 'not_called' ELSE 'callback' END AS view,
           l.tier IS NOT NULL AS ready, (l.tier IS NOT NULL AND (l.starred OR NOT t.starred_mode)) AS claimable,
           (l.holder_agent_id IS NOT NULL AND l.lease_expires_at > $2::timestamptz) AS held,
           (l.holder_agent_id IS NULL AND l.tier IS NULL) AS scheduled,
           l.sla_due_at, l.created_at, l.state, l.next_action_at
    FROM leads l JOIN team t ON t.id = l.team_id
    WHERE l.state <> 'closed'
),
counts AS (
    SELECT team_id, coalesce(view, 'all') AS view,
           count(*) AS open,
           count(*) FILTER (WHERE ready) AS ready,
           count(*) FILTER (WHERE claimable) AS claimable,
           count(*) FILTER (WHERE held) AS held,
           count(*) FILTER (WHERE scheduled) AS scheduled,
           count(*) FILTER (WHERE ready AND sla_due_at <= $2::timestamptz) AS breached,
           min(created_at) FILTER (WHERE ready) AS oldest_at,
           count(*) FILTER (WHERE state = 'callback' AND NOT held AND next_action_at > $2::timestamptz
                            AND next_action_at <= $2::timestamptz + interval '1 hour') AS callbacks_next_hour,
           count(*) FILTER (WHERE state = 'callback' AND NOT held AND sla_due_at <= $2::timestamptz) AS callbacks_overdue
    FROM open_lead
    GROUP BY GROUPING SETS ((team_id, view), (team_id))
),
breach AS (
    SELECT team_id, coalesce(view, 'all') AS view, count(*) AS n
    FROM (SELECT l.team_id,
                 CASE WHEN e.payload->>'view' IN ('high_end', 'not_called') THEN e.payload->>'view' ELSE 'callback' END AS view
          FROM team t
          JOIN lead_events e ON e.at >= t.day_start AND e.at <= $2::timestamptz
          JOIN leads l ON l.id = e.lead_id AND l.team_id = t.id
          WHERE e.kind IN ('sla_breached', 'callback_missed')) b
    GROUP BY GROUPING SETS ((team_id, view), (team_id))
)
SELECT t.name AS team, v.view,
       coalesce(c.open, 0) AS open, coalesce(c.ready, 0) AS ready, coalesce(c.claimable, 0) AS claimable,
       coalesce(c.held, 0) AS held, coalesce(c.scheduled, 0) AS scheduled, coalesce(c.breached, 0) AS breached,
       c.oldest_at, extract(epoch FROM $2::timestamptz - c.oldest_at)::bigint AS oldest_age,
       coalesce(b.n, 0) AS breaches_today,
       coalesce(c.callbacks_next_hour, 0) AS callbacks_next_hour, coalesce(c.callbacks_overdue, 0) AS callbacks_overdue
FROM team t
CROSS JOIN (VALUES (1, 'high_end'), (2, 'not_called'), (3, 'callback'), (4, 'all')) AS v(position, view)
LEFT JOIN counts c ON c.team_id = t.id AND c.view = v.view
LEFT JOIN breach b ON b.team_id = t.id AND b.view = v.view
ORDER BY t.name, v.position;
