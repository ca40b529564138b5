-- 0013: the queue counts of QUEUES and the console's board, kept as leads change
-- (docs/CONSOLE.md "Performance", sql/queries/queues.sql for what each count means).
--
-- Counting every open lead of a team (sql/queries/queues.sql) takes seconds at a million
-- open leads. Instead:
--   * board_deltas: an insert-only log. Triggers on `leads` append, for every change of a
--     lead's "board signature" (what the counts look at: team, view, ready, starred,
--     held, callback, and the times the counts compare with `now`), -1 for the old
--     signature and +1 for the new; a trigger on `lead_events` appends each SLA breach.
--     No row is ever updated, so claims of one team never wait for each other here, and
--     no index is added to `leads`.
--   * board_tally: the log folded into sums per (team, view, kind, time) by one background
--     pass (sql/queries/board_fold.sql, about once a second per server). Each time-valued
--     kind keeps the exact times it is compared with; times far enough in the past
--     (before board_fold.collapsed_through) are merged into one '-infinity' row (or, for
--     breaches, one row per minute), so the sums read a few rows per team, not one per lead.
--   * sql/queries/queues_fast.sql reads board_tally plus the not-yet-folded board_deltas in
--     one snapshot: the same numbers as the full count, at any `now` from
--     collapsed_through on (before that, the full count answers).
-- A lead's signature is computed in one place (board_signature) and expanded into kinds
-- in one place (board_kinds), both used by the fold and by the read.

-- ---------------------------------------------------------------- the log
-- view: 1 high_end, 2 not_called, 3 callback (queues.sql's views, in claim order).
CREATE TABLE board_deltas (
    team_id        bigint NOT NULL,
    view           smallint NOT NULL,
    n              integer NOT NULL,            -- +1 / -1 (or their net over one statement)
    ready          boolean NOT NULL,            -- tier IS NOT NULL
    starred        boolean NOT NULL,            -- only when ready
    holder         boolean NOT NULL,            -- holder_agent_id IS NOT NULL
    callback       boolean NOT NULL,            -- state = 'callback'
    lease_until    timestamptz,                 -- when holder
    sla_due_at     timestamptz,                 -- when ready or callback
    created_at     timestamptz,                 -- when ready
    next_action_at timestamptz,                 -- when callback
    breach_at      timestamptz                  -- a breach event (the lead fields then false/NULL)
) WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 2000,
        autovacuum_vacuum_cost_delay = 0, autovacuum_analyze_scale_factor = 0.5);

-- ---------------------------------------------------------------- the folded sums
CREATE TABLE board_tally (
    team_id bigint NOT NULL,
    kind    text NOT NULL,
    view    smallint NOT NULL,
    at      timestamptz NOT NULL,
    at2     timestamptz NOT NULL DEFAULT '-infinity',
    n       bigint NOT NULL,
    -- n included: QUEUES reads the sums by index-only scans, not one heap page per row.
    PRIMARY KEY (team_id, kind, view, at, at2) INCLUDE (n)
) WITH (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_cost_delay = 0);
-- The fold's collapse walks one kind's times across teams.
CREATE INDEX board_tally_kind_at ON board_tally (kind, at);

-- One row: how far the time-valued kinds are merged, and when the last fold ran.
CREATE TABLE board_fold (
    one               boolean PRIMARY KEY DEFAULT true CHECK (one),
    collapsed_through timestamptz NOT NULL DEFAULT '-infinity',
    folded_at         timestamptz
);
INSERT INTO board_fold DEFAULT VALUES;

-- ---------------------------------------------------------------- one home each
-- A lead's board signature (n = 1), or NULL for a closed lead (it counts nowhere).
CREATE FUNCTION board_signature(l leads) RETURNS board_deltas LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN l.state = 'closed' THEN NULL ELSE ROW(
        l.team_id,
        CASE WHEN l.high_end THEN 1 WHEN l.state = 'new' THEN 2 ELSE 3 END,
        1,
        l.tier IS NOT NULL,
        l.tier IS NOT NULL AND l.starred,
        l.holder_agent_id IS NOT NULL,
        l.state = 'callback',
        CASE WHEN l.holder_agent_id IS NOT NULL THEN l.lease_expires_at END,
        CASE WHEN l.tier IS NOT NULL OR l.state = 'callback' THEN l.sla_due_at END,
        CASE WHEN l.tier IS NOT NULL THEN l.created_at END,
        CASE WHEN l.state = 'callback' THEN l.next_action_at END,
        NULL)::board_deltas END
$$;

-- What one signature (or breach) adds to each count, as (kind, at, at2): a kind is counted
-- by queues_fast.sql when its times satisfy board_counted(). NULL times become the value
-- that makes the comparison false, as it is in queues.sql.
CREATE FUNCTION board_kinds(d board_deltas)
RETURNS TABLE (kind text, at timestamptz, at2 timestamptz) LANGUAGE sql IMMUTABLE AS $$
    SELECT k.kind, k.at, k.at2
    FROM (VALUES
        ('open',          d.breach_at IS NULL,                         '-infinity'::timestamptz, '-infinity'::timestamptz),
        ('ready',         d.ready,                                     '-infinity', '-infinity'),
        ('ready_starred', d.ready AND d.starred,                       '-infinity', '-infinity'),
        ('scheduled',     d.breach_at IS NULL AND NOT d.ready AND NOT d.holder, '-infinity', '-infinity'),
        -- breached when sla_due_at <= now
        ('ready_due',     d.ready,                                     coalesce(d.sla_due_at, 'infinity'), '-infinity'),
        -- oldest_at: the least created_at
        ('ready_created', d.ready,                                     d.created_at, '-infinity'),
        -- held when lease_until > now
        ('held',          d.holder,                                    coalesce(d.lease_until, '-infinity'), '-infinity'),
        -- a callback not held: next hour when now < next_action_at <= now + 1 h, overdue when sla_due_at <= now
        ('cb_next',       d.callback AND NOT d.holder,                 coalesce(d.next_action_at, 'infinity'), '-infinity'),
        ('cb_due',        d.callback AND NOT d.holder,                 coalesce(d.sla_due_at, 'infinity'), '-infinity'),
        -- a callback with a holder counts as not held once lease_until <= now
        ('hcb_next',      d.callback AND d.holder,                     coalesce(d.lease_until, '-infinity'), coalesce(d.next_action_at, 'infinity')),
        ('hcb_due',       d.callback AND d.holder,                     coalesce(d.lease_until, '-infinity'), coalesce(d.sla_due_at, 'infinity')),
        -- breaches_today when day_start <= at <= now
        ('breach',        d.breach_at IS NOT NULL,                     d.breach_at, '-infinity')
    ) AS k(kind, applies, at, at2)
    WHERE k.applies
$$;

-- Whether an entry of `kind` at (at, at2) counts at `now` (day_start: the team's local midnight).
CREATE FUNCTION board_counted(kind text, at timestamptz, at2 timestamptz, now timestamptz, day_start timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind
        WHEN 'ready_due' THEN at <= now
        WHEN 'cb_due'    THEN at <= now
        WHEN 'held'      THEN at > now
        WHEN 'cb_next'   THEN at > now AND at <= now + interval '1 hour'
        WHEN 'hcb_next'  THEN at <= now AND at2 > now AND at2 <= now + interval '1 hour'
        WHEN 'hcb_due'   THEN at <= now AND at2 <= now
        WHEN 'breach'    THEN at >= day_start AND at <= now
        WHEN 'ready_created' THEN false   -- a minimum, not a count
        ELSE true
    END
$$;

-- ---------------------------------------------------------------- the triggers
-- Kept apart from every other trigger on `leads` (its own functions). An UPDATE fires it
-- only when a column the signature reads changed, and it writes nothing when the
-- signature did not (a tier 2 → 3 move, a new SLA deadline of a scheduled lead, …).
CREATE FUNCTION board_deltas_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o board_deltas := board_signature(OLD);
    n board_deltas := board_signature(NEW);
BEGIN
    IF o IS NOT DISTINCT FROM n THEN
        RETURN NULL;
    END IF;
    IF o.team_id IS NOT NULL THEN
        o.n := -1;
        INSERT INTO board_deltas SELECT (o).*;
    END IF;
    IF n.team_id IS NOT NULL THEN
        INSERT INTO board_deltas SELECT (n).*;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER leads_board_update AFTER UPDATE ON leads
    FOR EACH ROW
    WHEN ((OLD.team_id, OLD.high_end, OLD.state, OLD.tier IS NULL, OLD.starred, OLD.holder_agent_id IS NULL,
           OLD.lease_expires_at, OLD.sla_due_at, OLD.next_action_at, OLD.created_at)
          IS DISTINCT FROM
          (NEW.team_id, NEW.high_end, NEW.state, NEW.tier IS NULL, NEW.starred, NEW.holder_agent_id IS NULL,
           NEW.lease_expires_at, NEW.sla_due_at, NEW.next_action_at, NEW.created_at))
    EXECUTE FUNCTION board_deltas_on_update();

-- Inserts (and deletes) come in bulk (imports, seeds): one statement-level pass each,
-- net per signature.
CREATE FUNCTION board_deltas_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO board_deltas
    SELECT (s).team_id, (s).view, count(*), (s).ready, (s).starred, (s).holder, (s).callback,
           (s).lease_until, (s).sla_due_at, (s).created_at, (s).next_action_at, NULL
    FROM (SELECT board_signature(r) AS s FROM board_new_leads r) x
    WHERE (s).team_id IS NOT NULL
    GROUP BY 1, 2, 4, 5, 6, 7, 8, 9, 10, 11;
    RETURN NULL;
END $$;

CREATE FUNCTION board_deltas_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO board_deltas
    SELECT (s).team_id, (s).view, -count(*), (s).ready, (s).starred, (s).holder, (s).callback,
           (s).lease_until, (s).sla_due_at, (s).created_at, (s).next_action_at, NULL
    FROM (SELECT board_signature(r) AS s FROM board_old_leads r) x
    WHERE (s).team_id IS NOT NULL
    GROUP BY 1, 2, 4, 5, 6, 7, 8, 9, 10, 11;
    RETURN NULL;
END $$;

CREATE TRIGGER leads_board_insert AFTER INSERT ON leads
    REFERENCING NEW TABLE AS board_new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION board_deltas_on_insert();
CREATE TRIGGER leads_board_delete AFTER DELETE ON leads
    REFERENCING OLD TABLE AS board_old_leads
    FOR EACH STATEMENT EXECUTE FUNCTION board_deltas_on_delete();

-- A breach event counts in breaches_today by the view it names (as queues.sql does).
CREATE FUNCTION board_deltas_on_breach() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO board_deltas (team_id, view, n, ready, starred, holder, callback, breach_at)
    SELECT l.team_id,
           CASE NEW.payload->>'view' WHEN 'high_end' THEN 1 WHEN 'not_called' THEN 2 ELSE 3 END,
           1, false, false, false, false, NEW.at
    FROM leads l WHERE l.id = NEW.lead_id;
    RETURN NULL;
END $$;

CREATE TRIGGER lead_events_board_breach AFTER INSERT ON lead_events
    FOR EACH ROW WHEN (NEW.kind IN ('sla_breached', 'callback_missed'))
    EXECUTE FUNCTION board_deltas_on_breach();

-- ---------------------------------------------------------------- what exists already
INSERT INTO board_deltas
SELECT (s).team_id, (s).view, count(*), (s).ready, (s).starred, (s).holder, (s).callback,
       (s).lease_until, (s).sla_due_at, (s).created_at, (s).next_action_at, NULL
FROM (SELECT board_signature(l) AS s FROM leads l WHERE l.state <> 'closed') x
GROUP BY 1, 2, 4, 5, 6, 7, 8, 9, 10, 11;

INSERT INTO board_deltas (team_id, view, n, ready, starred, holder, callback, breach_at)
SELECT l.team_id, CASE e.payload->>'view' WHEN 'high_end' THEN 1 WHEN 'not_called' THEN 2 ELSE 3 END,
       count(*), false, false, false, false, e.at
FROM lead_events e JOIN leads l ON l.id = e.lead_id
WHERE e.kind IN ('sla_breached', 'callback_missed')
GROUP BY 1, 2, 8;

-- ---------------------------------------------------------------- the fold
-- Where an entry is kept once `collapsed_through` is set: the counts compared with `now`
-- only as "at <= now" or "at > now" keep one '-infinity' row for everything at or before
-- it; breaches (counted from the team's local midnight, a whole minute) one row per
-- minute before it.
CREATE FUNCTION board_bucket(kind text, at timestamptz, collapsed_through timestamptz)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN kind IN ('ready_due', 'cb_due', 'cb_next', 'held') AND at <= collapsed_through THEN '-infinity'::timestamptz
        WHEN kind = 'breach' AND at < date_trunc('minute', collapsed_through) THEN date_trunc('minute', at)
        ELSE at
    END
$$;

-- Sums that reached zero are deleted by the fold.
CREATE INDEX board_tally_zero ON board_tally (kind) WHERE n = 0;

-- One fold: up to p_batch log entries into board_tally, then the collapse up to
-- p_now - p_keep, and breach minutes older than three days dropped. Returns how many
-- entries it folded and the teams whose sums changed, and NOTIFYs leadline_board with
-- each team id (the console's feed refreshes those teams). One fold at a time across
-- instances (the row lock on board_fold; a second one returns at once with nothing done).
CREATE FUNCTION board_fold_pass(p_now timestamptz, p_batch integer, p_keep interval)
RETURNS TABLE (folded bigint, teams bigint[]) LANGUAGE plpgsql AS $$
DECLARE
    old_ct timestamptz;
    new_ct timestamptz;
    n_folded bigint := 0;
    changed bigint[] := '{}';
BEGIN
    -- The fold's turn is the lock on board_fold's one row, not an advisory lock: the BI
    -- login may call pg_advisory_lock (PostgreSQL grants it to everyone) but cannot lock a
    -- row of a table it may not update, so it cannot hold the board still.
    SELECT f.collapsed_through INTO old_ct FROM board_fold f FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 0::bigint, '{}'::bigint[];
        RETURN;
    END IF;

    WITH gone AS (
        DELETE FROM board_deltas d
        WHERE d.ctid = ANY (ARRAY(SELECT x.ctid FROM board_deltas x LIMIT p_batch))
        RETURNING d AS row
    ),
    summed AS (
        SELECT (g.row).team_id AS team_id, k.kind, (g.row).view AS view, board_bucket(k.kind, k.at, old_ct) AS at, k.at2,
               sum((g.row).n) AS n
        FROM gone g CROSS JOIN LATERAL board_kinds(g.row) k
        GROUP BY 1, 2, 3, 4, 5
    ),
    upserted AS (
        INSERT INTO board_tally AS t (team_id, kind, view, at, at2, n)
        SELECT s.team_id, s.kind, s.view, s.at, s.at2, s.n FROM summed s WHERE s.n <> 0
        ON CONFLICT (team_id, kind, view, at, at2) DO UPDATE SET n = t.n + excluded.n
        RETURNING t.team_id
    )
    SELECT (SELECT count(*) FROM gone), coalesce((SELECT array_agg(DISTINCT u.team_id ORDER BY u.team_id) FROM upserted u), '{}')
    INTO n_folded, changed;

    new_ct := p_now - p_keep;
    IF new_ct > old_ct THEN
        WITH moved AS (
            DELETE FROM board_tally b
            WHERE b.kind IN ('ready_due', 'cb_due', 'cb_next', 'held') AND b.at > '-infinity' AND b.at <= new_ct
            RETURNING b.team_id, b.kind, b.view, b.n
        )
        INSERT INTO board_tally AS t (team_id, kind, view, at, at2, n)
        SELECT m.team_id, m.kind, m.view, '-infinity', '-infinity', sum(m.n) FROM moved m GROUP BY 1, 2, 3
        ON CONFLICT (team_id, kind, view, at, at2) DO UPDATE SET n = t.n + excluded.n;

        WITH moved AS (
            DELETE FROM board_tally b
            WHERE b.kind = 'breach' AND b.at < date_trunc('minute', new_ct)
              AND b.at >= date_trunc('minute', old_ct) - interval '1 minute'
              AND b.at <> date_trunc('minute', b.at)
            RETURNING b.team_id, b.kind, b.view, b.at, b.n
        )
        INSERT INTO board_tally AS t (team_id, kind, view, at, at2, n)
        SELECT m.team_id, m.kind, m.view, date_trunc('minute', m.at), '-infinity', sum(m.n) FROM moved m GROUP BY 1, 2, 3, 4
        ON CONFLICT (team_id, kind, view, at, at2) DO UPDATE SET n = t.n + excluded.n;

        DELETE FROM board_tally b WHERE b.kind = 'breach' AND b.at < new_ct - interval '3 days';
        UPDATE board_fold SET collapsed_through = new_ct;
    END IF;

    DELETE FROM board_tally b WHERE b.n = 0;
    UPDATE board_fold SET folded_at = p_now;
    PERFORM pg_notify('leadline_board', c::text) FROM unnest(changed) AS c;
    RETURN QUERY SELECT n_folded, changed;
END $$;

-- Fold what exists now, in this transaction (at '-infinity': nothing is collapsed, so the
-- first fold of a running server collapses at its own clock).
SELECT board_fold_pass('-infinity', 2147483647, '0');
