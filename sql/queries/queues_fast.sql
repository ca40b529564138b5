-- QUEUES from the kept counts (migration 0013): the same rows and numbers as queues.sql,
-- whose header defines each column, read from board_tally plus the board_deltas not yet
-- folded, in one snapshot, so no lead is missed or counted twice whenever the fold runs.
-- Reads a few rows per team and view instead of every open lead. Returns no row when
-- `now` is before board_fold.collapsed_through (the kept sums no longer tell that moment
-- apart): the caller then runs queues.sql.
--   $1 team (NULL = every team), $2 now
WITH team AS (
    SELECT t.id, t.name, t.starred_mode,
           (date_trunc('day', $2::timestamptz AT TIME ZONE t.time_zone) AT TIME ZONE t.time_zone) AS day_start
    FROM teams t
    WHERE ($1::bigint IS NULL OR t.id = $1::bigint)
      AND $2::timestamptz >= (SELECT f.collapsed_through FROM board_fold f)
),
pending AS MATERIALIZED (
    SELECT d.team_id, k.kind, d.view, k.at, k.at2, d.n::bigint AS n
    FROM board_deltas d JOIN team t ON t.id = d.team_id
    CROSS JOIN LATERAL board_kinds(d) k
),
-- The tally rows that can count at $2, per team and view (index range scans; the
-- comparisons themselves are board_counted's, below).
tallied AS (
    SELECT b.team_id, b.kind, b.view, b.at, b.at2, b.n
    FROM team t
    CROSS JOIN (VALUES (1::smallint), (2::smallint), (3::smallint)) AS v(view)
    CROSS JOIN LATERAL (
        SELECT b.* FROM board_tally b
        WHERE b.team_id = t.id AND b.view = v.view AND b.kind IN ('open', 'ready', 'ready_starred', 'scheduled', 'hcb_next', 'hcb_due')
        UNION ALL
        SELECT b.* FROM board_tally b
        WHERE b.team_id = t.id AND b.view = v.view AND b.kind = 'ready_due' AND b.at <= $2::timestamptz
        UNION ALL
        SELECT b.* FROM board_tally b
        WHERE b.team_id = t.id AND b.view = v.view AND b.kind = 'cb_due' AND b.at <= $2::timestamptz
        UNION ALL
        SELECT b.* FROM board_tally b
        WHERE b.team_id = t.id AND b.view = v.view AND b.kind = 'held' AND b.at > $2::timestamptz
        UNION ALL
        SELECT b.* FROM board_tally b
        WHERE b.team_id = t.id AND b.view = v.view AND b.kind = 'cb_next'
          AND b.at > $2::timestamptz AND b.at <= $2::timestamptz + interval '1 hour'
        UNION ALL
        SELECT b.* FROM board_tally b
        WHERE b.team_id = t.id AND b.view = v.view AND b.kind = 'breach' AND b.at >= t.day_start AND b.at <= $2::timestamptz
    ) b
),
entries AS (
    SELECT team_id, kind, view, at, at2, n FROM tallied
    UNION ALL
    SELECT team_id, kind, view, at, at2, n FROM pending WHERE kind <> 'ready_created'
),
counts AS (
    SELECT e.team_id, e.view,
           sum(e.n) FILTER (WHERE e.kind = 'open') AS open,
           sum(e.n) FILTER (WHERE e.kind = 'ready') AS ready,
           sum(e.n) FILTER (WHERE e.kind = 'ready_starred') AS ready_starred,
           sum(e.n) FILTER (WHERE e.kind = 'held') AS held,
           sum(e.n) FILTER (WHERE e.kind = 'scheduled') AS scheduled,
           sum(e.n) FILTER (WHERE e.kind = 'ready_due') AS breached,
           sum(e.n) FILTER (WHERE e.kind IN ('cb_next', 'hcb_next')) AS callbacks_next_hour,
           sum(e.n) FILTER (WHERE e.kind IN ('cb_due', 'hcb_due')) AS callbacks_overdue,
           sum(e.n) FILTER (WHERE e.kind = 'breach') AS breaches_today
    FROM entries e JOIN team t ON t.id = e.team_id
    WHERE board_counted(e.kind, e.at, e.at2, $2::timestamptz, t.day_start)
    GROUP BY GROUPING SETS ((e.team_id, e.view), (e.team_id))
),
-- oldest_at: the least created_at among ready leads: the first tally entry the pending
-- log does not cancel, or a pending one.
oldest AS (
    SELECT t.id AS team_id, v.view, least(o1.at, o2.at) AS at
    FROM team t
    CROSS JOIN (VALUES (1::smallint), (2::smallint), (3::smallint)) AS v(view)
    LEFT JOIN LATERAL (
        SELECT b.at FROM board_tally b
        WHERE b.team_id = t.id AND b.view = v.view AND b.kind = 'ready_created'
          AND b.n + coalesce((SELECT sum(p.n) FROM pending p
                              WHERE p.team_id = b.team_id AND p.view = b.view AND p.kind = 'ready_created' AND p.at = b.at), 0) > 0
        ORDER BY b.at LIMIT 1
    ) o1 ON true
    LEFT JOIN LATERAL (
        SELECT p.at FROM pending p
        WHERE p.team_id = t.id AND p.view = v.view AND p.kind = 'ready_created'
        GROUP BY p.at
        HAVING sum(p.n) + coalesce((SELECT b.n FROM board_tally b
                                    WHERE b.team_id = t.id AND b.kind = 'ready_created' AND b.view = v.view
                                      AND b.at = p.at AND b.at2 = '-infinity'), 0) > 0
        ORDER BY p.at LIMIT 1
    ) o2 ON true
),
oldest_all AS (
    SELECT team_id, view, at FROM oldest
    UNION ALL
    SELECT team_id, NULL, min(at) FROM oldest GROUP BY team_id
)
SELECT t.name AS team, v.name AS view,
       coalesce(c.open, 0)::bigint AS open, coalesce(c.ready, 0)::bigint AS ready,
       coalesce(CASE WHEN t.starred_mode THEN c.ready_starred ELSE c.ready END, 0)::bigint AS claimable,
       coalesce(c.held, 0)::bigint AS held, coalesce(c.scheduled, 0)::bigint AS scheduled,
       coalesce(c.breached, 0)::bigint AS breached,
       o.at AS oldest_at, extract(epoch FROM $2::timestamptz - o.at)::bigint AS oldest_age,
       coalesce(c.breaches_today, 0)::bigint AS breaches_today,
       coalesce(c.callbacks_next_hour, 0)::bigint AS callbacks_next_hour,
       coalesce(c.callbacks_overdue, 0)::bigint AS callbacks_overdue
FROM team t
CROSS JOIN (VALUES (1, 1::smallint, 'high_end'), (2, 2::smallint, 'not_called'), (3, 3::smallint, 'callback'), (4, NULL, 'all'))
    AS v(position, code, name)
LEFT JOIN counts c ON c.team_id = t.id AND c.view IS NOT DISTINCT FROM v.code
LEFT JOIN oldest_all o ON o.team_id = t.id AND o.view IS NOT DISTINCT FROM v.code
ORDER BY t.name, v.position;
