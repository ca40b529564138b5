-- 0012: the hot queue table (issue 16 item 1; docs/CLAIMS.md "The plan", BENCHMARKS.md
-- "Hot queue table (issue 16)").
--
-- `leads` stays the source of truth (tier, holder, lease, next_action_at, reserved_until,
-- ...). Three narrow side tables hold what the claim and the background passes scan, so
-- no index on `leads` covers a column the claim changes and the claim's update of `leads`
-- is a HOT update (no new index entries, no index WAL):
--
--   * lead_queue    the claimable-now leads: a row iff leads.tier IS NOT NULL, with the
--                   claim order (tier, priority, sla_due_at, lead id) and what the claim
--                   filters on (team, personal queue, starred, city, category, language);
--                   one partial index per queue in claim order, one for due callbacks
--                   reserved for their owner (release_reservations.sql).
--   * lead_leases   the held leads: a row iff leads.holder_agent_id IS NOT NULL (the lease
--                   reaper, an agent's held leads).
--   * lead_schedule the scheduled leads waiting to come due: a row iff tier IS NULL, not
--                   held and state in (callback, retry, follow_up) (the promoter).
--   * lead_deadlines the open leads whose SLA deadline is not yet breached: a row iff
--                   outcome IS NULL (open) and sla_breached_at IS NULL (the SLA watcher).
--
-- and the partial indexes that stay on `leads` say "open" as `outcome IS NULL` (the same
-- thing: CHECK ((state = 'closed') = (outcome IS NOT NULL))) instead of `state <> 'closed'`,
-- so a disposition that keeps the lead open (Not Reachable, callback, follow-up: 70 % of
-- the floor's calls) changes no indexed column either and is a HOT update too. Statements
-- that need those indexes (ON CONFLICT of lead_add.sql and import_batch.sql, STAR, the
-- shift-end unstar) say `outcome IS NULL`.
--
-- One home for "a lead is in the queue iff tier IS NOT NULL" (and the other two rules):
-- the statement-level triggers below, set-based over the statement's transition tables, so
-- the dozen statements that set `tier` need no change and a bulk import or a shift-end
-- unstar of 300,000 leads pays one set-based statement, not one call per row.
--
-- Readers lock the `leads` row, never the side-table row: `FROM lead_queue q JOIN leads l
-- ... FOR UPDATE OF l SKIP LOCKED`, re-checking on `l` what made the lead eligible (so a
-- concurrent change seen through PostgreSQL's re-check of the locked row skips it).
-- Writers lock the `leads` row first and touch the side row from the trigger, so nobody
-- waits for a side row while holding one: no lock-order cycle.
--
-- Dropped from `leads` (replaced as said): leads_ready_pool, leads_ready_personal
-- (lead_queue), leads_held, leads_lease_expiry (lead_leases), leads_scheduled
-- (lead_schedule), leads_reserved (lead_queue_reserved), leads_sla_open (lead_deadlines);
-- leads_bi_open becomes a narrow (team_id, city) WHERE outcome IS NULL (no INCLUDE list;
-- bi.backlog_now counts `being_called` from lead_leases); leads_open_customer_device and
-- leads_starred_open are re-created with `outcome IS NULL`.

-- ---------------------------------------------------------------- the side tables
CREATE TABLE lead_queue (
    lead_id            bigint PRIMARY KEY,
    team_id            bigint NOT NULL,
    assigned_agent_id  bigint,
    tier               smallint NOT NULL,
    priority           smallint NOT NULL,
    sla_due_at         timestamptz NOT NULL,
    reserved_until     timestamptz,
    starred            boolean NOT NULL,
    city               text NOT NULL,
    category           text NOT NULL,
    language           text
) WITH (autovacuum_vacuum_scale_factor = 0,
        autovacuum_vacuum_threshold = 2000,
        autovacuum_vacuum_cost_delay = 0,
        autovacuum_analyze_scale_factor = 0.02);

CREATE TABLE lead_leases (
    lead_id            bigint PRIMARY KEY,
    holder_agent_id    bigint NOT NULL,
    lease_expires_at   timestamptz NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0,
        autovacuum_vacuum_threshold = 1000,
        autovacuum_vacuum_cost_delay = 0);

CREATE TABLE lead_schedule (
    lead_id            bigint PRIMARY KEY,
    next_action_at     timestamptz NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0,
        autovacuum_vacuum_threshold = 2000,
        autovacuum_vacuum_cost_delay = 0);

CREATE TABLE lead_deadlines (
    lead_id            bigint PRIMARY KEY,
    sla_due_at         timestamptz NOT NULL
) WITH (autovacuum_vacuum_scale_factor = 0.01,
        autovacuum_vacuum_threshold = 2000,
        autovacuum_vacuum_cost_delay = 0);

-- What a lead's row should be in each side table (NULL = no row). Used by the triggers
-- and the back-fill below, so the membership rules are written once.
CREATE FUNCTION lead_is_scheduled(p_tier smallint, p_holder bigint, p_state lead_state, p_next timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT p_tier IS NULL AND p_holder IS NULL AND p_next IS NOT NULL
       AND p_state IN ('callback', 'retry', 'follow_up')
$$;

INSERT INTO lead_queue
SELECT id, team_id, assigned_agent_id, tier, priority, sla_due_at, reserved_until, starred, city, category, language
FROM leads WHERE tier IS NOT NULL;
INSERT INTO lead_leases
SELECT id, holder_agent_id, lease_expires_at FROM leads WHERE holder_agent_id IS NOT NULL;
INSERT INTO lead_schedule
SELECT id, next_action_at FROM leads WHERE lead_is_scheduled(tier, holder_agent_id, state, next_action_at);
INSERT INTO lead_deadlines
SELECT id, sla_due_at FROM leads WHERE outcome IS NULL AND sla_breached_at IS NULL;

-- The claim order, one index per queue (the claim's ORDER BY q.tier, q.priority,
-- q.sla_due_at, q.lead_id matches both).
CREATE INDEX lead_queue_pool ON lead_queue (team_id, tier, priority, sla_due_at, lead_id)
    WHERE assigned_agent_id IS NULL;
CREATE INDEX lead_queue_personal ON lead_queue (assigned_agent_id, tier, priority, sla_due_at, lead_id)
    WHERE assigned_agent_id IS NOT NULL;
CREATE INDEX lead_queue_reserved ON lead_queue (reserved_until) WHERE reserved_until IS NOT NULL;
CREATE INDEX lead_leases_expiry ON lead_leases (lease_expires_at);
CREATE INDEX lead_leases_holder ON lead_leases (holder_agent_id);
CREATE INDEX lead_schedule_due ON lead_schedule (next_action_at);
CREATE INDEX lead_deadlines_due ON lead_deadlines (sla_due_at);

-- ---------------------------------------------------------------- the triggers
CREATE FUNCTION leads_side_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH q AS (
        INSERT INTO lead_queue
        SELECT id, team_id, assigned_agent_id, tier, priority, sla_due_at, reserved_until, starred, city, category, language
        FROM new_leads WHERE tier IS NOT NULL
    ),
    h AS (
        INSERT INTO lead_leases
        SELECT id, holder_agent_id, lease_expires_at FROM new_leads WHERE holder_agent_id IS NOT NULL
    ),
    d AS (
        INSERT INTO lead_deadlines
        SELECT id, sla_due_at FROM new_leads WHERE outcome IS NULL AND sla_breached_at IS NULL
    )
    INSERT INTO lead_schedule
    SELECT id, next_action_at FROM new_leads WHERE lead_is_scheduled(tier, holder_agent_id, state, next_action_at);
    RETURN NULL;
END $$;

CREATE FUNCTION leads_side_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH ch AS MATERIALIZED (
        SELECT n.id, n.team_id, n.assigned_agent_id, n.tier, n.priority, n.sla_due_at, n.reserved_until,
               n.starred, n.city, n.category, n.language, n.holder_agent_id, n.lease_expires_at, n.next_action_at,
               lead_is_scheduled(n.tier, n.holder_agent_id, n.state, n.next_action_at) AS scheduled,
               n.outcome IS NULL AND n.sla_breached_at IS NULL AS watched,
               o.tier IS NOT NULL AS was_queued, o.holder_agent_id IS NOT NULL AS was_held,
               lead_is_scheduled(o.tier, o.holder_agent_id, o.state, o.next_action_at) AS was_scheduled,
               o.outcome IS NULL AND o.sla_breached_at IS NULL AS was_watched
        FROM new_leads n JOIN old_leads o ON o.id = n.id
        WHERE (o.tier, o.team_id, o.assigned_agent_id, o.priority, o.sla_due_at, o.reserved_until, o.starred,
               o.city, o.category, o.language, o.holder_agent_id, o.lease_expires_at, o.state, o.next_action_at,
               o.outcome, o.sla_breached_at)
              IS DISTINCT FROM
              (n.tier, n.team_id, n.assigned_agent_id, n.priority, n.sla_due_at, n.reserved_until, n.starred,
               n.city, n.category, n.language, n.holder_agent_id, n.lease_expires_at, n.state, n.next_action_at,
               n.outcome, n.sla_breached_at)
    ),
    q_out AS (
        DELETE FROM lead_queue q USING ch WHERE q.lead_id = ch.id AND ch.was_queued AND ch.tier IS NULL
    ),
    q_in AS (
        INSERT INTO lead_queue AS q
        SELECT id, team_id, assigned_agent_id, tier, priority, sla_due_at, reserved_until, starred, city, category, language
        FROM ch WHERE tier IS NOT NULL
        ON CONFLICT (lead_id) DO UPDATE
        SET team_id = EXCLUDED.team_id, assigned_agent_id = EXCLUDED.assigned_agent_id, tier = EXCLUDED.tier,
            priority = EXCLUDED.priority, sla_due_at = EXCLUDED.sla_due_at, reserved_until = EXCLUDED.reserved_until,
            starred = EXCLUDED.starred, city = EXCLUDED.city, category = EXCLUDED.category, language = EXCLUDED.language
        WHERE (q.team_id, q.assigned_agent_id, q.tier, q.priority, q.sla_due_at, q.reserved_until, q.starred,
               q.city, q.category, q.language)
              IS DISTINCT FROM
              (EXCLUDED.team_id, EXCLUDED.assigned_agent_id, EXCLUDED.tier, EXCLUDED.priority, EXCLUDED.sla_due_at,
               EXCLUDED.reserved_until, EXCLUDED.starred, EXCLUDED.city, EXCLUDED.category, EXCLUDED.language)
    ),
    h_out AS (
        DELETE FROM lead_leases h USING ch WHERE h.lead_id = ch.id AND ch.was_held AND ch.holder_agent_id IS NULL
    ),
    h_in AS (
        INSERT INTO lead_leases AS h
        SELECT id, holder_agent_id, lease_expires_at FROM ch WHERE holder_agent_id IS NOT NULL
        ON CONFLICT (lead_id) DO UPDATE
        SET holder_agent_id = EXCLUDED.holder_agent_id, lease_expires_at = EXCLUDED.lease_expires_at
        WHERE (h.holder_agent_id, h.lease_expires_at) IS DISTINCT FROM (EXCLUDED.holder_agent_id, EXCLUDED.lease_expires_at)
    ),
    s_out AS (
        DELETE FROM lead_schedule s USING ch WHERE s.lead_id = ch.id AND ch.was_scheduled AND NOT ch.scheduled
    ),
    d_out AS (
        DELETE FROM lead_deadlines d USING ch WHERE d.lead_id = ch.id AND ch.was_watched AND NOT ch.watched
    ),
    d_in AS (
        INSERT INTO lead_deadlines AS d
        SELECT id, sla_due_at FROM ch WHERE watched
        ON CONFLICT (lead_id) DO UPDATE SET sla_due_at = EXCLUDED.sla_due_at
        WHERE d.sla_due_at IS DISTINCT FROM EXCLUDED.sla_due_at
    )
    INSERT INTO lead_schedule AS s
    SELECT id, next_action_at FROM ch WHERE scheduled
    ON CONFLICT (lead_id) DO UPDATE SET next_action_at = EXCLUDED.next_action_at
    WHERE s.next_action_at IS DISTINCT FROM EXCLUDED.next_action_at;
    RETURN NULL;
END $$;

CREATE FUNCTION leads_side_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH q AS (DELETE FROM lead_queue x USING old_leads o WHERE x.lead_id = o.id),
         h AS (DELETE FROM lead_leases x USING old_leads o WHERE x.lead_id = o.id),
         d AS (DELETE FROM lead_deadlines x USING old_leads o WHERE x.lead_id = o.id)
    DELETE FROM lead_schedule x USING old_leads o WHERE x.lead_id = o.id;
    RETURN NULL;
END $$;

CREATE TRIGGER leads_side_insert AFTER INSERT ON leads
    REFERENCING NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION leads_side_insert();
CREATE TRIGGER leads_side_update AFTER UPDATE ON leads
    REFERENCING OLD TABLE AS old_leads NEW TABLE AS new_leads
    FOR EACH STATEMENT EXECUTE FUNCTION leads_side_update();
CREATE TRIGGER leads_side_delete AFTER DELETE ON leads
    REFERENCING OLD TABLE AS old_leads
    FOR EACH STATEMENT EXECUTE FUNCTION leads_side_delete();

-- ---------------------------------------------------------------- leads' indexes
DROP INDEX leads_ready_pool;
DROP INDEX leads_ready_personal;
DROP INDEX leads_held;
DROP INDEX leads_lease_expiry;
DROP INDEX leads_scheduled;
DROP INDEX leads_reserved;
DROP INDEX leads_sla_open;
-- bi.backlog_now and the live columns of bi.weekly_snapshot find the open leads through a
-- narrow index on columns the floor does not change (BENCHMARKS.md: at 1M leads with 66,000
-- open, 112-185 ms against 240-590 ms for the covering index and 670-780 ms for none, on the
-- same loaded machine), instead of the covering one whose key and INCLUDE columns (state,
-- attempts, next_action_at, holder) every claim and disposition changed.
DROP INDEX leads_bi_open;
CREATE INDEX leads_bi_open ON leads (team_id, city) WHERE outcome IS NULL;
DROP INDEX leads_starred_open;
CREATE INDEX leads_starred_open ON leads (team_id) WHERE starred AND outcome IS NULL;
DROP INDEX leads_open_customer_device;
CREATE UNIQUE INDEX leads_open_customer_device ON leads (phone, category, brand, model, variant)
    WHERE outcome IS NULL;
