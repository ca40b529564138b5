-- bi_refresh(now): brings the BI rollups of migrations/0005_bi_rollups.sql up to date.
--
-- Incremental: the leads with events (or created) since the last refresh get their facts
-- (bi_call, bi_deadline) recomputed from their whole history; then the rollup rows of
-- every agent-day, team-day, period and cohort those facts touched (before or after) are
-- recomputed from the facts. Rows whose pending deadlines have fallen due since are
-- recomputed too, so "missed" needs no event. The first run (or one after a TRUNCATE of
-- the rollups and a reset of bi_refresh_state) builds everything.
--
-- "Since the last refresh" is safe against open transactions: ids are handed out before
-- commit, so the marks only move up to sequence positions that every transaction open
-- at the time has since settled (see bi_refresh_state), and `p_overlap` more ids below
-- the mark are re-read on every run as a second guard. Recomputing a lead twice is
-- harmless: its facts are replaced, never added to.
--
-- `p_now` is the instant deadlines are judged at (met / missed / still pending); the
-- service passes its clock, tests a fixed one. A call in progress at `p_now` (the lead is
-- held under a lease claimed by then, not yet disposed) counts as the answering call,
-- begun at its claim: a deadline it began in time for is not missed while the agent is
-- still on the phone. If that lease ends without a call (release, expiry, revocation),
-- its event makes the lead dirty and the next refresh judges the deadline again.
--
-- Two refreshes never run at once (the second returns no row at once). The lock is the
-- row lock on bi_refresh_state (FOR UPDATE SKIP LOCKED), which leadline_bi cannot take:
-- it has no privilege on the table (a row lock needs UPDATE), so a BI login cannot hold
-- the refresh off as it could with an advisory lock (every role may take any advisory
-- lock). lock_timeout bounds any other lock wait, so the refresh fails (and the service
-- records it, docs/BI.md) instead of stalling. Called by LeadStore `BIRollup.refresh`,
-- e.g. every minute from the server's background pass.
-- CREATE OR REPLACE keeps the function's identity across migrates (statements prepared on
-- pooled connections stay valid); a change of its result columns needs a DROP first.
CREATE OR REPLACE FUNCTION bi_refresh(p_now timestamptz, p_overlap bigint DEFAULT 1000)
RETURNS TABLE (leads bigint, agent_days bigint, team_days bigint, cohorts bigint, seconds double precision)
LANGUAGE plpgsql
-- Its statements are planned with rough row counts (scratch tables) and would often cross
-- the JIT threshold: compiling costs more than running them.
SET jit = off
SET lock_timeout = '10s'
AS $$
#variable_conflict use_column
DECLARE
    started    timestamptz := clock_timestamp();
    st         bi_refresh_state;
    snap       pg_snapshot;
    seq_event  bigint;
    seq_lead   bigint;
    to_event   bigint;
    to_lead    bigint;
    n_leads    bigint;
    n_agent    bigint;
    n_team     bigint;
    n_cohort   bigint;
BEGIN
    -- Where the id sequences stand, then which transactions are open: before this
    -- transaction writes or locks anything (so it has no transaction id of its own yet).
    SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END INTO seq_event FROM lead_events_id_seq s;
    SELECT CASE WHEN s.is_called THEN s.last_value ELSE s.last_value - 1 END INTO seq_lead FROM leads_id_seq s;
    snap := pg_current_snapshot();
    -- The refresh lock: a second caller skips instead of queueing. (A refresh that
    -- committed between the snapshot and here only makes this run's marks conservative.)
    SELECT * INTO st FROM bi_refresh_state WHERE singleton FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- How far the marks may move after this run: to the sequences' positions now when no
    -- transaction is open; else to the last run's positions once every transaction open
    -- then has ended; else nowhere.
    IF pg_snapshot_xmin(snap) = pg_snapshot_xmax(snap) THEN
        to_event := seq_event;
        to_lead := seq_lead;
    ELSIF st.pending_xmax IS NOT NULL AND pg_snapshot_xmin(snap) >= st.pending_xmax THEN
        to_event := st.pending_event_mark;
        to_lead := st.pending_lead_mark;
    ELSE
        to_event := st.event_mark;
        to_lead := st.lead_mark;
    END IF;

    -- Scratch tables, dropped at commit (or here, when called twice in one transaction).
    IF to_regclass('pg_temp.bi_t_dirty') IS NOT NULL THEN
        DROP TABLE pg_temp.bi_t_dirty, pg_temp.bi_t_call, pg_temp.bi_t_agent_key, pg_temp.bi_t_team_key,
                   pg_temp.bi_t_cohort_key, pg_temp.bi_t_period;
        DROP TABLE IF EXISTS pg_temp.bi_t_lead_cohort, pg_temp.bi_t_held, pg_temp.bi_t_attempt_key;
    END IF;
    CREATE TEMP TABLE bi_t_dirty (lead_id bigint PRIMARY KEY) ON COMMIT DROP;
    CREATE TEMP TABLE bi_t_agent_key (team_id bigint, agent_id bigint, day date) ON COMMIT DROP;
    CREATE TEMP TABLE bi_t_team_key (team_id bigint, day date) ON COMMIT DROP;
    CREATE TEMP TABLE bi_t_cohort_key (team_id bigint, day date) ON COMMIT DROP;
    CREATE TEMP TABLE bi_t_attempt_key (team_id bigint, day date) ON COMMIT DROP;
    CREATE TEMP TABLE bi_t_held (lead_id bigint PRIMARY KEY, agent_id bigint, started_at timestamptz) ON COMMIT DROP;

    -- 1. The leads to recompute.
    INSERT INTO bi_t_dirty
    SELECT e.lead_id FROM lead_events e WHERE e.id > st.event_mark - p_overlap
    UNION
    SELECT l.id FROM leads l WHERE l.id > st.lead_mark - p_overlap;
    GET DIAGNOSTICS n_leads = ROW_COUNT;
    ANALYZE bi_t_dirty;  -- temp tables have no statistics until analyzed; the plans below need them

    -- 2. The rollup rows their old facts counted in.
    INSERT INTO bi_t_agent_key
    SELECT c.team_id, c.agent_id, c.day FROM bi_call c JOIN bi_t_dirty d USING (lead_id)
    UNION
    SELECT x.team_id, x.owner_agent_id, x.day FROM bi_deadline x JOIN bi_t_dirty d USING (lead_id)
    WHERE x.owner_agent_id IS NOT NULL AND x.kind IN ('callback', 'follow_up');
    INSERT INTO bi_t_team_key
    SELECT x.team_id, x.day FROM bi_deadline x JOIN bi_t_dirty d USING (lead_id)
    UNION
    SELECT c.team_id, c.day FROM bi_call c JOIN bi_t_dirty d USING (lead_id) WHERE c.outcome IS NOT NULL;
    INSERT INTO bi_t_cohort_key
    SELECT x.team_id, x.day FROM bi_deadline x JOIN bi_t_dirty d USING (lead_id) WHERE x.set_event_id = 0;
    INSERT INTO bi_t_attempt_key
    SELECT DISTINCT c.team_id, c.day FROM bi_call c JOIN bi_t_dirty d USING (lead_id) WHERE c.day_owed IS NOT NULL;

    -- 3. Their calls, from their whole history.
    CREATE TEMP TABLE bi_t_call ON COMMIT DROP AS
    WITH ev AS (
        SELECT e.id, e.lead_id, e.kind, e.agent_id, e.at, e.disposition, e.reason, e.note, e.lease_gen, e.payload
        FROM bi_t_dirty d JOIN lead_events e ON e.lead_id = d.lead_id
        WHERE e.kind IN ('claimed', 'disposition', 'converted')
    ),
    claims AS (
        SELECT ev.lead_id, ev.lease_gen, min(ev.at) AS at FROM ev WHERE ev.kind = 'claimed' GROUP BY ev.lead_id, ev.lease_gen
    ),
    calls AS (
        SELECT e.id AS event_id, e.lead_id, l.team_id, e.agent_id,
               (e.at AT TIME ZONE t.time_zone)::date AS day, e.at,
               least(coalesce(cl.at, e.at), e.at) AS started_at,
               e.disposition, e.reason,
               CASE WHEN e.kind = 'converted' THEN 'create_order'
                    WHEN e.payload->>'state' = 'closed' THEN e.payload->>'outcome' END AS outcome,
               (e.kind = 'converted' OR e.disposition IN ('create_order', 'will_place_order', 'callback', 'waiting_for_quote',
                                                          'already_placed_order', 'not_interested', 'sold_elsewhere')) AS connected,
               (e.kind = 'converted') AS converted,
               l.high_end, l.city, l.category,
               bi_note_meaningful(e.note) AS meaningful_note,
               (e.kind = 'disposition' AND e.disposition IN ('callback', 'will_place_order', 'waiting_for_quote')) AS follow_up,
               (e.kind = 'disposition' AND (e.disposition = 'callback'
                    OR (e.disposition IN ('will_place_order', 'waiting_for_quote')
                        AND (e.payload->>'next_at')::timestamptz IS DISTINCT FROM e.at + t.follow_up_after))) AS follow_up_dated,
               CASE WHEN e.kind = 'disposition' AND e.payload->>'state' IN ('callback', 'follow_up', 'retry')
                         AND e.payload->>'next_at' IS NOT NULL THEN e.payload->>'state' END AS next_kind,
               CASE WHEN e.kind = 'disposition' AND e.payload->>'state' IN ('callback', 'follow_up', 'retry')
                    THEN (e.payload->>'next_at')::timestamptz END AS next_at,
               l.created_at,
               (l.created_at AT TIME ZONE t.time_zone)::date AS created_day,
               t.max_attempts_per_day,
               -- attempts the cadence leaves room for on this call's local day: from the day's
               -- window opening (or the drop-off, if later) to its closing, one per spacing
               coalesce(ceil(extract(epoch FROM ((((e.at AT TIME ZONE t.time_zone)::date + t.call_window_end) AT TIME ZONE t.time_zone)
                                                 - greatest(l.created_at,
                                                            ((e.at AT TIME ZONE t.time_zone)::date + t.call_window_start) AT TIME ZONE t.time_zone)))
                             / nullif(extract(epoch FROM t.attempt_spacing), 0)),
                        t.max_attempts_per_day) AS day_room
        FROM ev e
        JOIN leads l ON l.id = e.lead_id
        JOIN teams t ON t.id = l.team_id
        LEFT JOIN claims cl ON cl.lead_id = e.lead_id AND cl.lease_gen = e.lease_gen
        WHERE e.kind IN ('disposition', 'converted') AND e.agent_id IS NOT NULL
    )
    SELECT c.event_id, c.lead_id, c.team_id, c.agent_id, c.day, c.at, c.started_at, c.disposition, c.reason, c.outcome,
           c.connected, c.converted, c.high_end, c.city, c.category, c.meaningful_note, c.follow_up, c.follow_up_dated,
           c.next_kind, c.next_at,
           CASE WHEN row_number() OVER w_lead = 1
                THEN greatest(0, round(extract(epoch FROM c.at - c.created_at)))::integer END AS ttfa_s,
           lag(c.day) OVER w_agent AS prev_agent_day,
           max(c.day) FILTER (WHERE c.connected) OVER w_agent_before AS prev_agent_connect_day,
           lag(c.day) OVER w_lead AS prev_lead_day,
           max(c.day) FILTER (WHERE c.connected) OVER w_lead_before AS prev_lead_connect_day,
           lead(c.event_id) OVER w_lead AS next_event_id,
           lead(c.agent_id) OVER w_lead AS next_agent_id,
           lead(c.started_at) OVER w_lead AS next_started_at,
           lead(c.at) OVER w_lead AS next_call_at,
           lead(c.converted) OVER w_lead AS next_converted,
           (count(*) OVER w_all)::integer AS lead_calls,
           bool_or(c.connected OR c.outcome IS NOT NULL) OVER w_all AS lead_settled,
           CASE WHEN row_number() OVER w_lead = 1 THEN c.day = c.created_day END AS first_same_day,
           CASE WHEN lead(c.day) OVER w_lead IS DISTINCT FROM c.day THEN count(*) OVER w_day END::smallint AS day_calls,
           CASE WHEN lead(c.day) OVER w_lead IS DISTINCT FROM c.day
                     AND NOT bool_or(c.connected) OVER w_day
                     AND NOT coalesce(bool_or(c.outcome IN ('wrong_number', 'not_serviceable', 'device_not_supported')) OVER w_day, false)
                THEN least(c.max_attempts_per_day, greatest(1, c.day_room)) END::smallint AS day_owed
    FROM calls c
    -- w_lead, w_all and w_day share one sort (lead, day, at, event): a lead's calls are in
    -- one time zone, so its days follow its times and ordering by day first changes nothing.
    WINDOW w_lead AS (PARTITION BY c.lead_id ORDER BY c.day, c.at, c.event_id),
           w_all AS (PARTITION BY c.lead_id ORDER BY c.day, c.at, c.event_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
           w_day AS (PARTITION BY c.lead_id, c.day ORDER BY c.at, c.event_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING),
           w_agent AS (PARTITION BY c.lead_id, c.agent_id ORDER BY c.at, c.event_id),
           w_lead_before AS (w_lead ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
           w_agent_before AS (w_agent ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING);

    ANALYZE bi_t_call;

    -- 3b. Calls in progress: the dirty leads held under a lease claimed by p_now (the lease
    -- has no call yet: a disposition or conversion ends it). Such a call answers the lead's
    -- open deadline (its first attempt, or the step its last call scheduled), begun at
    -- the claim.
    INSERT INTO bi_t_held
    SELECT l.id, l.holder_agent_id, min(e.at)
    FROM bi_t_dirty d
    JOIN leads l ON l.id = d.lead_id
    JOIN lead_events e ON e.lead_id = l.id AND e.kind = 'claimed' AND e.lease_gen = l.lease_gen
    WHERE l.holder_agent_id IS NOT NULL
    GROUP BY l.id, l.holder_agent_id
    HAVING min(e.at) <= p_now;

    -- 4. Replace the facts.
    DELETE FROM bi_call c USING bi_t_dirty d WHERE c.lead_id = d.lead_id;
    DELETE FROM bi_deadline x USING bi_t_dirty d WHERE x.lead_id = d.lead_id;
    INSERT INTO bi_call SELECT * FROM bi_t_call ORDER BY team_id, day, agent_id;

    INSERT INTO bi_deadline (lead_id, set_event_id, team_id, kind, sla_view, day, city, category, high_end, starts_at, due_at,
                             owner_agent_id, call_event_id, call_agent_id, call_started_at, call_at, call_converted)
    SELECT * FROM (
    -- the first attempt: High Ends within the team's High-End SLA, the rest the same local day
    SELECT l.id, 0, l.team_id,
           CASE WHEN l.high_end THEN 'high_end' ELSE 'not_called' END,
           CASE WHEN l.high_end THEN 'high_end' ELSE 'not_called' END,
           (l.created_at AT TIME ZONE t.time_zone)::date AS day, l.city, l.category, l.high_end, l.created_at,
           CASE WHEN l.high_end THEN l.created_at + t.high_end_sla
                ELSE (date_trunc('day', l.created_at AT TIME ZONE t.time_zone) + interval '1 day') AT TIME ZONE t.time_zone END,
           NULL, f.event_id, coalesce(f.agent_id, h.agent_id), coalesce(f.started_at, h.started_at), f.at, f.converted
    FROM bi_t_dirty d
    JOIN leads l ON l.id = d.lead_id
    JOIN teams t ON t.id = l.team_id
    LEFT JOIN bi_t_call f ON f.lead_id = l.id AND f.ttfa_s IS NOT NULL
    LEFT JOIN bi_t_held h ON h.lead_id = l.id
    UNION ALL
    -- every scheduled step: its time + the team's grace, answered by the lead's next call
    SELECT c.lead_id, c.event_id, c.team_id, c.next_kind,
           CASE WHEN c.next_kind = 'callback' THEN 'callback' ELSE 'all' END,
           (c.next_at AT TIME ZONE t.time_zone)::date, l.city, l.category, l.high_end, c.next_at, c.next_at + t.callback_grace,
           c.agent_id, c.next_event_id,
           CASE WHEN c.next_event_id IS NULL THEN h.agent_id ELSE c.next_agent_id END,
           CASE WHEN c.next_event_id IS NULL THEN h.started_at ELSE c.next_started_at END,
           c.next_call_at, c.next_converted
    FROM bi_t_call c
    JOIN leads l ON l.id = c.lead_id
    JOIN teams t ON t.id = c.team_id
    LEFT JOIN bi_t_held h ON h.lead_id = c.lead_id AND h.started_at >= c.at
    WHERE c.next_kind IS NOT NULL
    ) x ORDER BY x.day, x.team_id;  -- a day's deadlines stay together on disk

    -- 5. The rollup rows the new facts count in, and those whose pending deadlines fell due.
    INSERT INTO bi_t_agent_key
    SELECT c.team_id, c.agent_id, c.day FROM bi_t_call c
    UNION
    SELECT x.team_id, x.owner_agent_id, x.day FROM bi_deadline x JOIN bi_t_dirty d USING (lead_id)
    WHERE x.owner_agent_id IS NOT NULL AND x.kind IN ('callback', 'follow_up')
    UNION
    SELECT a.team_id, a.agent_id, a.day FROM bi_agent_day a WHERE a.recheck_at <= p_now;
    INSERT INTO bi_t_team_key
    SELECT x.team_id, x.day FROM bi_deadline x JOIN bi_t_dirty d USING (lead_id)
    UNION
    SELECT c.team_id, c.day FROM bi_t_call c WHERE c.outcome IS NOT NULL
    UNION
    SELECT s.team_id, s.day FROM bi_sla_day s WHERE s.recheck_at <= p_now;
    INSERT INTO bi_t_cohort_key
    SELECT l.team_id, (l.created_at AT TIME ZONE t.time_zone)::date
    FROM bi_t_dirty d JOIN leads l ON l.id = d.lead_id JOIN teams t ON t.id = l.team_id;
    INSERT INTO bi_t_attempt_key
    SELECT DISTINCT c.team_id, c.day FROM bi_t_call c WHERE c.day_owed IS NOT NULL;

    ANALYZE bi_t_agent_key;
    ANALYZE bi_t_team_key;
    ANALYZE bi_t_cohort_key;

    -- 6. Per agent and day.
    DELETE FROM bi_agent_day a USING (SELECT DISTINCT * FROM bi_t_agent_key) k
    WHERE a.team_id = k.team_id AND a.agent_id = k.agent_id AND a.day = k.day;
    INSERT INTO bi_agent_day
    SELECT k.team_id, k.agent_id, k.day,
           c.calls, c.connected_calls, c.meaningful_note_calls, c.orders, c.high_end_orders, c.callbacks_scheduled,
           c.follow_up_calls, c.follow_up_dated, c.first_attempts, c.ttfa_sum_s,
           c.contacted, c.contacted_wk, c.contacted_mo, c.connected, c.connected_wk, c.connected_mo,
           c.he_connected, c.he_connected_wk, c.he_connected_mo,
           c.t_contacted, c.t_contacted_wk, c.t_contacted_mo, c.t_connected, c.t_connected_wk, c.t_connected_mo,
           c.t_he_connected, c.t_he_connected_wk, c.t_he_connected_mo,
           o.cb_total, o.cb_on_time, o.cb_missed, o.cb_pending, o.cb_attempted, o.cb_converted,
           o.fu_total, o.fu_on_time, o.fu_within_24h, o.fu_missed, o.fu_pending, o.recheck_at,
           c.first_within_1h, c.first_same_day, c.first_within_24h, c.first_3plus, c.first_covered
    FROM (SELECT DISTINCT * FROM bi_t_agent_key) k
    CROSS JOIN LATERAL (
        SELECT count(*) AS calls,
               count(*) FILTER (WHERE x.connected) AS connected_calls,
               count(*) FILTER (WHERE x.meaningful_note) AS meaningful_note_calls,
               count(*) FILTER (WHERE x.converted) AS orders,
               count(*) FILTER (WHERE x.converted AND x.high_end) AS high_end_orders,
               count(*) FILTER (WHERE x.disposition = 'callback') AS callbacks_scheduled,
               count(*) FILTER (WHERE x.follow_up) AS follow_up_calls,
               count(*) FILTER (WHERE x.follow_up_dated) AS follow_up_dated,
               count(x.ttfa_s) AS first_attempts,
               coalesce(sum(x.ttfa_s), 0) AS ttfa_sum_s,
               count(*) FILTER (WHERE x.prev_agent_day IS DISTINCT FROM x.day) AS contacted,
               count(*) FILTER (WHERE x.prev_agent_day IS NULL OR date_trunc('week', x.prev_agent_day::timestamp) <> date_trunc('week', x.day::timestamp)) AS contacted_wk,
               count(*) FILTER (WHERE x.prev_agent_day IS NULL OR date_trunc('month', x.prev_agent_day::timestamp) <> date_trunc('month', x.day::timestamp)) AS contacted_mo,
               count(*) FILTER (WHERE x.connected AND x.prev_agent_connect_day IS DISTINCT FROM x.day) AS connected,
               count(*) FILTER (WHERE x.connected AND (x.prev_agent_connect_day IS NULL OR date_trunc('week', x.prev_agent_connect_day::timestamp) <> date_trunc('week', x.day::timestamp))) AS connected_wk,
               count(*) FILTER (WHERE x.connected AND (x.prev_agent_connect_day IS NULL OR date_trunc('month', x.prev_agent_connect_day::timestamp) <> date_trunc('month', x.day::timestamp))) AS connected_mo,
               count(*) FILTER (WHERE x.high_end AND x.connected AND x.prev_agent_connect_day IS DISTINCT FROM x.day) AS he_connected,
               count(*) FILTER (WHERE x.high_end AND x.connected AND (x.prev_agent_connect_day IS NULL OR date_trunc('week', x.prev_agent_connect_day::timestamp) <> date_trunc('week', x.day::timestamp))) AS he_connected_wk,
               count(*) FILTER (WHERE x.high_end AND x.connected AND (x.prev_agent_connect_day IS NULL OR date_trunc('month', x.prev_agent_connect_day::timestamp) <> date_trunc('month', x.day::timestamp))) AS he_connected_mo,
               count(*) FILTER (WHERE x.prev_lead_day IS DISTINCT FROM x.day) AS t_contacted,
               count(*) FILTER (WHERE x.prev_lead_day IS NULL OR date_trunc('week', x.prev_lead_day::timestamp) <> date_trunc('week', x.day::timestamp)) AS t_contacted_wk,
               count(*) FILTER (WHERE x.prev_lead_day IS NULL OR date_trunc('month', x.prev_lead_day::timestamp) <> date_trunc('month', x.day::timestamp)) AS t_contacted_mo,
               count(*) FILTER (WHERE x.connected AND x.prev_lead_connect_day IS DISTINCT FROM x.day) AS t_connected,
               count(*) FILTER (WHERE x.connected AND (x.prev_lead_connect_day IS NULL OR date_trunc('week', x.prev_lead_connect_day::timestamp) <> date_trunc('week', x.day::timestamp))) AS t_connected_wk,
               count(*) FILTER (WHERE x.connected AND (x.prev_lead_connect_day IS NULL OR date_trunc('month', x.prev_lead_connect_day::timestamp) <> date_trunc('month', x.day::timestamp))) AS t_connected_mo,
               count(*) FILTER (WHERE x.high_end AND x.connected AND x.prev_lead_connect_day IS DISTINCT FROM x.day) AS t_he_connected,
               count(*) FILTER (WHERE x.high_end AND x.connected AND (x.prev_lead_connect_day IS NULL OR date_trunc('week', x.prev_lead_connect_day::timestamp) <> date_trunc('week', x.day::timestamp))) AS t_he_connected_wk,
               count(*) FILTER (WHERE x.high_end AND x.connected AND (x.prev_lead_connect_day IS NULL OR date_trunc('month', x.prev_lead_connect_day::timestamp) <> date_trunc('month', x.day::timestamp))) AS t_he_connected_mo,
               -- the associate's new leads (the ones they called first): coverage, SOP 002 KPI 1
               count(*) FILTER (WHERE x.ttfa_s <= 3600) AS first_within_1h,
               count(*) FILTER (WHERE x.first_same_day) AS first_same_day,
               count(*) FILTER (WHERE x.ttfa_s <= 86400) AS first_within_24h,
               count(*) FILTER (WHERE x.ttfa_s IS NOT NULL AND x.lead_calls >= 3) AS first_3plus,
               count(*) FILTER (WHERE x.ttfa_s IS NOT NULL AND (x.lead_settled OR x.lead_calls >= 3)) AS first_covered
        FROM bi_call x
        WHERE x.team_id = k.team_id AND x.agent_id = k.agent_id AND x.day = k.day
    ) c
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE x.kind = 'callback') AS cb_total,
               count(*) FILTER (WHERE x.kind = 'callback' AND x.call_started_at <= x.due_at) AS cb_on_time,
               count(*) FILTER (WHERE x.kind = 'callback' AND NOT coalesce(x.call_started_at <= x.due_at, false)
                                  AND (x.call_started_at IS NOT NULL OR x.due_at <= p_now)) AS cb_missed,
               count(*) FILTER (WHERE x.kind = 'callback' AND x.call_started_at IS NULL AND x.due_at > p_now) AS cb_pending,
               count(*) FILTER (WHERE x.kind = 'callback' AND x.call_at IS NOT NULL) AS cb_attempted,
               count(*) FILTER (WHERE x.kind = 'callback' AND x.call_converted) AS cb_converted,
               count(*) AS fu_total,
               count(*) FILTER (WHERE x.call_started_at <= x.due_at) AS fu_on_time,
               count(*) FILTER (WHERE x.call_started_at <= x.starts_at + interval '24 hours') AS fu_within_24h,
               count(*) FILTER (WHERE NOT coalesce(x.call_started_at <= x.due_at, false)
                                  AND (x.call_started_at IS NOT NULL OR x.due_at <= p_now)) AS fu_missed,
               count(*) FILTER (WHERE x.call_started_at IS NULL AND x.due_at > p_now) AS fu_pending,
               min(x.due_at) FILTER (WHERE x.call_started_at IS NULL AND x.due_at > p_now) AS recheck_at
        FROM bi_deadline x
        WHERE x.team_id = k.team_id AND x.owner_agent_id = k.agent_id AND x.day = k.day
          AND x.kind IN ('callback', 'follow_up')
    ) o
    WHERE c.calls > 0 OR o.fu_total > 0;
    GET DIAGNOSTICS n_agent = ROW_COUNT;

    -- 7. Time to first attempt per period, for every period a touched agent-day is in, and
    --    those parked earlier. A week or month computed less than 10 minutes (of p_now) ago
    --    is parked instead (bi_ttfa_pending); days always go through.
    CREATE TEMP TABLE bi_t_period ON COMMIT DROP AS
    SELECT DISTINCT g.grain, g.period, k.team_id
    FROM bi_t_agent_key k
    CROSS JOIN LATERAL (VALUES
        ('day', k.day),
        ('week', date_trunc('week', k.day::timestamp)::date),
        ('month', date_trunc('month', k.day::timestamp)::date)
    ) g(grain, period)
    UNION
    SELECT q.grain, q.period, q.team_id FROM bi_ttfa_pending q;
    INSERT INTO bi_ttfa_pending (grain, period, team_id)
    SELECT p.grain, p.period, p.team_id FROM bi_t_period p
    WHERE p.grain <> 'day'
      AND EXISTS (SELECT 1 FROM bi_ttfa f
                  WHERE f.grain = p.grain AND f.period = p.period AND f.team_id = p.team_id
                    AND f.as_of > p_now - interval '10 minutes')
    ON CONFLICT DO NOTHING;
    DELETE FROM bi_t_period p USING bi_ttfa_pending q
    WHERE p.grain = q.grain AND p.period = q.period AND p.team_id = q.team_id
      AND EXISTS (SELECT 1 FROM bi_ttfa f
                  WHERE f.grain = p.grain AND f.period = p.period AND f.team_id = p.team_id
                    AND f.as_of > p_now - interval '10 minutes');
    DELETE FROM bi_ttfa_pending q USING bi_t_period p
    WHERE p.grain = q.grain AND p.period = q.period AND p.team_id = q.team_id;
    ANALYZE bi_t_period;
    DELETE FROM bi_ttfa f USING bi_t_period p
    WHERE f.grain = p.grain AND f.period = p.period AND f.team_id = p.team_id;
    INSERT INTO bi_ttfa (grain, period, team_id, agent_id, leads, avg_s, p90_s, as_of)
    SELECT p.grain, p.period, p.team_id, f.agent_id, f.leads, f.avg_s, f.p90_s, p_now
    FROM bi_t_period p
    CROSS JOIN LATERAL (
        SELECT CASE WHEN grouping(x.agent_id) = 1 THEN 0 ELSE x.agent_id END AS agent_id,
               count(*) AS leads, avg(x.ttfa_s) AS avg_s, percentile_cont(0.9) WITHIN GROUP (ORDER BY x.ttfa_s) AS p90_s
        FROM bi_call x
        WHERE x.team_id = p.team_id AND x.day >= p.period AND x.ttfa_s IS NOT NULL
          AND x.day < CASE p.grain WHEN 'day' THEN p.period + 1 WHEN 'week' THEN p.period + 7
                                   ELSE (p.period + interval '1 month')::date END
        GROUP BY GROUPING SETS ((x.agent_id), ())
    ) f;

    -- 8. SLA compliance per team, day and view.
    DELETE FROM bi_sla_day s USING (SELECT DISTINCT * FROM bi_t_team_key) k
    WHERE s.team_id = k.team_id AND s.day = k.day;
    -- Judged twice: at the answering call's disposition (call_at: SOP 002 KPI 3, the
    -- default) and at when it began (call_started_at, its claim: the *_at_claim columns).
    INSERT INTO bi_sla_day (team_id, day, sla_view, deadlines, met, breached, late_calls, pending, recheck_at,
                            met_at_claim, breached_at_claim, late_calls_at_claim, pending_at_claim)
    SELECT k.team_id, k.day, v.sla_view, v.deadlines, v.met, v.breached, v.late_calls, v.pending, v.recheck_at,
           v.met_at_claim, v.breached_at_claim, v.late_calls_at_claim, v.pending_at_claim
    FROM (SELECT DISTINCT * FROM bi_t_team_key) k
    CROSS JOIN LATERAL (
        SELECT x.sla_view, count(*) AS deadlines,
               count(*) FILTER (WHERE x.call_at <= x.due_at) AS met,
               count(*) FILTER (WHERE NOT coalesce(x.call_at <= x.due_at, false) AND (x.call_at IS NOT NULL OR x.due_at <= p_now)) AS breached,
               count(*) FILTER (WHERE x.call_at > x.due_at) AS late_calls,
               count(*) FILTER (WHERE x.call_at IS NULL AND x.due_at > p_now) AS pending,
               min(x.due_at) FILTER (WHERE x.call_at IS NULL AND x.due_at > p_now) AS recheck_at,
               count(*) FILTER (WHERE x.call_started_at <= x.due_at) AS met_at_claim,
               count(*) FILTER (WHERE NOT coalesce(x.call_started_at <= x.due_at, false) AND (x.call_started_at IS NOT NULL OR x.due_at <= p_now)) AS breached_at_claim,
               count(*) FILTER (WHERE x.call_started_at > x.due_at) AS late_calls_at_claim,
               count(*) FILTER (WHERE x.call_started_at IS NULL AND x.due_at > p_now) AS pending_at_claim
        FROM bi_deadline x
        WHERE x.day = k.day AND x.team_id = k.team_id
        GROUP BY x.sla_view
    ) v;
    GET DIAGNOSTICS n_team = ROW_COUNT;

    -- 8b. Attempts per lead per local day, per team and day, over the lead-days not reached.
    DELETE FROM bi_attempt_day a USING (SELECT DISTINCT * FROM bi_t_attempt_key) k
    WHERE a.team_id = k.team_id AND a.day = k.day;
    INSERT INTO bi_attempt_day (team_id, day, attempts_per_day, leads_unreached, leads_owed_met, leads_at_setting, attempts)
    SELECT k.team_id, k.day, t.max_attempts_per_day, v.leads, v.owed_met, v.at_setting, v.attempts
    FROM (SELECT DISTINCT * FROM bi_t_attempt_key) k
    JOIN teams t ON t.id = k.team_id
    CROSS JOIN LATERAL (
        SELECT count(*) AS leads,
               count(*) FILTER (WHERE x.day_calls >= x.day_owed) AS owed_met,
               count(*) FILTER (WHERE x.day_calls >= t.max_attempts_per_day) AS at_setting,
               coalesce(sum(x.day_calls), 0) AS attempts
        FROM bi_call x
        WHERE x.team_id = k.team_id AND x.day = k.day AND x.day_owed IS NOT NULL
    ) v
    WHERE v.leads > 0;

    -- 9. Leads closed without an order, by closing day, outcome and the customer's reason
    --    ('' for outcomes that take none; already_placed_order is an order, not a loss).
    DELETE FROM bi_reason_day r USING (SELECT DISTINCT * FROM bi_t_team_key) k
    WHERE r.team_id = k.team_id AND r.day = k.day;
    INSERT INTO bi_reason_day (team_id, day, city, category, outcome, reason, leads)
    SELECT k.team_id, k.day, r.city, r.category, r.outcome, r.reason, r.leads
    FROM (SELECT DISTINCT * FROM bi_t_team_key) k
    CROSS JOIN LATERAL (
        SELECT x.city, x.category, x.outcome, coalesce(x.reason::text, '') AS reason, count(*) AS leads
        FROM bi_call x
        WHERE x.team_id = k.team_id AND x.day = k.day AND x.outcome IS NOT NULL
          AND x.outcome NOT IN ('create_order', 'already_placed_order')
        GROUP BY x.city, x.category, x.outcome, coalesce(x.reason::text, '')
    ) r;

    -- 10. Creation-day cohorts, from the leads' counters. Each lead's contribution is kept
    -- in bi_lead_cohort and bi_cohort is their sum (migration 0007), so only the dirty
    -- leads are read: their old contributions come out and their new ones go in. When no
    -- contribution is kept yet (the first refresh after 0007, or a rebuild), every lead
    -- starts here.
    IF NOT EXISTS (SELECT 1 FROM bi_lead_cohort) THEN
        DELETE FROM bi_cohort;
        INSERT INTO bi_t_dirty SELECT l.id FROM leads l ON CONFLICT DO NOTHING;
    END IF;
    CREATE TEMP TABLE bi_t_lead_cohort ON COMMIT DROP AS
    SELECT l.id AS lead_id, l.team_id, (l.created_at AT TIME ZONE t.time_zone)::date AS day,
           l.city, l.category, l.source, coalesce(l.campaign, '') AS campaign, l.high_end,
           (l.first_attempt_at IS NOT NULL)::int::smallint AS attempted,
           coalesce(l.first_attempt_at <= l.created_at + interval '15 minutes', false)::int::smallint AS called_15m,
           coalesce(l.first_attempt_at <= l.created_at + interval '1 hour', false)::int::smallint AS called_1h,
           coalesce(l.first_attempt_at <= l.created_at + interval '4 hours', false)::int::smallint AS called_4h,
           coalesce(l.first_attempt_at < ((((l.created_at AT TIME ZONE t.time_zone)::date + 1)::timestamp) AT TIME ZONE t.time_zone),
                    false)::int::smallint AS called_same_day,
           coalesce(l.first_attempt_at <= l.created_at + interval '24 hours', false)::int::smallint AS called_24h,
           coalesce(l.first_attempt_at <= l.created_at + interval '48 hours', false)::int::smallint AS called_48h,
           (l.attempts >= 3)::int::smallint AS attempts_3plus,
           (l.last_connected_at IS NOT NULL)::int::smallint AS connected,
           coalesce(l.outcome = 'create_order', false)::int::smallint AS converted,
           (l.state = 'closed')::int::smallint AS closed,
           coalesce(greatest(0, round(extract(epoch FROM l.first_attempt_at - l.created_at)))::bigint, 0) AS ttfa_s
    FROM bi_t_dirty d JOIN leads l ON l.id = d.lead_id JOIN teams t ON t.id = l.team_id;
    INSERT INTO bi_cohort AS c (team_id, day, city, category, source, campaign, high_end, received, attempted,
                                called_15m, called_1h, called_4h, called_same_day, called_24h, called_48h,
                                attempts_3plus, connected, converted, closed, ttfa_sum_s)
    SELECT x.team_id, x.day, x.city, x.category, x.source, x.campaign, x.high_end,
           sum(x.sign), sum(x.sign * x.attempted), sum(x.sign * x.called_15m), sum(x.sign * x.called_1h),
           sum(x.sign * x.called_4h), sum(x.sign * x.called_same_day), sum(x.sign * x.called_24h),
           sum(x.sign * x.called_48h), sum(x.sign * x.attempts_3plus), sum(x.sign * x.connected),
           sum(x.sign * x.converted), sum(x.sign * x.closed), sum(x.sign * x.ttfa_s)
    FROM (SELECT 1 AS sign, n.team_id, n.day, n.city, n.category, n.source, n.campaign, n.high_end, n.attempted,
                 n.called_15m, n.called_1h, n.called_4h, n.called_same_day, n.called_24h, n.called_48h,
                 n.attempts_3plus, n.connected, n.converted, n.closed, n.ttfa_s
          FROM bi_t_lead_cohort n
          UNION ALL
          SELECT -1, o.team_id, o.day, o.city, o.category, o.source, o.campaign, o.high_end, o.attempted,
                 o.called_15m, o.called_1h, o.called_4h, o.called_same_day, o.called_24h, o.called_48h,
                 o.attempts_3plus, o.connected, o.converted, o.closed, o.ttfa_s
          FROM bi_lead_cohort o JOIN bi_t_dirty d USING (lead_id)) x
    GROUP BY x.team_id, x.day, x.city, x.category, x.source, x.campaign, x.high_end
    -- Leads whose contribution did not change cancel out: nothing to write for them.
    HAVING sum(x.sign) <> 0 OR sum(x.sign * x.attempted) <> 0 OR sum(x.sign * x.called_15m) <> 0
        OR sum(x.sign * x.called_1h) <> 0 OR sum(x.sign * x.called_4h) <> 0 OR sum(x.sign * x.called_same_day) <> 0
        OR sum(x.sign * x.called_24h) <> 0 OR sum(x.sign * x.called_48h) <> 0 OR sum(x.sign * x.attempts_3plus) <> 0
        OR sum(x.sign * x.connected) <> 0 OR sum(x.sign * x.converted) <> 0 OR sum(x.sign * x.closed) <> 0
        OR sum(x.sign * x.ttfa_s) <> 0
    ON CONFLICT (team_id, day, city, category, source, campaign, high_end) DO UPDATE
    SET received = c.received + EXCLUDED.received, attempted = c.attempted + EXCLUDED.attempted,
        called_15m = c.called_15m + EXCLUDED.called_15m, called_1h = c.called_1h + EXCLUDED.called_1h,
        called_4h = c.called_4h + EXCLUDED.called_4h, called_same_day = c.called_same_day + EXCLUDED.called_same_day,
        called_24h = c.called_24h + EXCLUDED.called_24h, called_48h = c.called_48h + EXCLUDED.called_48h,
        attempts_3plus = c.attempts_3plus + EXCLUDED.attempts_3plus, connected = c.connected + EXCLUDED.connected,
        converted = c.converted + EXCLUDED.converted, closed = c.closed + EXCLUDED.closed,
        ttfa_sum_s = c.ttfa_sum_s + EXCLUDED.ttfa_sum_s;
    -- A cohort every lead has left (a returning customer's import moved its city) goes.
    DELETE FROM bi_cohort WHERE received = 0;
    DELETE FROM bi_lead_cohort o USING bi_t_dirty d WHERE o.lead_id = d.lead_id;
    INSERT INTO bi_lead_cohort SELECT * FROM bi_t_lead_cohort;
    SELECT count(DISTINCT (kk.team_id, kk.day)) INTO n_cohort FROM bi_t_cohort_key kk;

    -- After a bulk build, fresh statistics (autovacuum would get there, later).
    IF n_leads > 50000 THEN
        ANALYZE bi_call;
        ANALYZE bi_deadline;
        ANALYZE bi_agent_day;
        ANALYZE bi_ttfa;
        ANALYZE bi_sla_day;
        ANALYZE bi_cohort;
        ANALYZE bi_lead_cohort;
        ANALYZE bi_reason_day;
        ANALYZE bi_attempt_day;
    END IF;

    UPDATE bi_refresh_state
    SET event_mark = greatest(to_event, st.event_mark), lead_mark = greatest(to_lead, st.lead_mark),
        pending_event_mark = seq_event, pending_lead_mark = seq_lead, pending_xmax = pg_snapshot_xmax(snap),
        as_of = p_now, refreshed_at = clock_timestamp(), leads_done = n_leads,
        seconds = extract(epoch FROM clock_timestamp() - started)
    WHERE singleton;

    RETURN QUERY SELECT n_leads, n_agent, n_team, n_cohort, extract(epoch FROM clock_timestamp() - started)::double precision;
END $$;

REVOKE ALL ON FUNCTION bi_refresh(timestamptz, bigint) FROM PUBLIC;
