-- 0006: floor control for team leads and lead managers (docs/PROTOCOL.md ASSIGN … AGENTS,
-- TEAM SET; docs/CLAIMS.md "Boosts", "Starring", "Fairness").
--
--   * leads.priority: 0 while a SIGNAL boost lasts, 1 otherwise. It sits in the ready
--     indexes between the tier and the SLA deadline, so a boosted lead goes ahead of its
--     tier and the claim stays one index range scan in ORDER BY order. A background pass
--     (sql/queries/boost_expire.sql) puts it back to 1 when boost_until passes.
--   * floor_actions: the append-only audit of every team-lead action (who, what, on whom,
--     how many leads, forced or not), and of the server's own shift-end unstar.
--   * teams.shift_end_unstarred_on: the team-local day the shift-end unstar last ran, so it
--     runs once per local day whichever instance gets there first.
--   * NOTIFY leadline_agents on a change of an agent's status, capacity or skills, so a
--     waiting CLAIM of a paused or drained agent ends at once on every instance.

-- ---------------------------------------------------------------- boosts
ALTER TABLE leads ADD COLUMN priority smallint NOT NULL DEFAULT 1 CHECK (priority IN (0, 1));

DROP INDEX leads_ready_pool;
DROP INDEX leads_ready_personal;
CREATE INDEX leads_ready_pool ON leads (team_id, tier, priority, sla_due_at, id)
    WHERE tier IS NOT NULL AND assigned_agent_id IS NULL;
CREATE INDEX leads_ready_personal ON leads (assigned_agent_id, tier, priority, sla_due_at, id)
    WHERE tier IS NOT NULL AND assigned_agent_id IS NOT NULL;
-- Boosts waiting to run out (the boost pass), and open starred leads (UNSTAR, shift end).
CREATE INDEX leads_boosted ON leads (boost_until) WHERE priority = 0;
CREATE INDEX leads_starred_open ON leads (team_id) WHERE starred AND state <> 'closed';
-- Every lead in a personal queue, due or not (MOVE from an agent, DRAIN, AGENTS).
CREATE INDEX leads_personal_queue ON leads (assigned_agent_id) WHERE assigned_agent_id IS NOT NULL;

-- ---------------------------------------------------------------- shift end
ALTER TABLE teams ADD COLUMN shift_end_unstarred_on date;

-- ---------------------------------------------------------------- audit
CREATE TABLE floor_actions (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL,
    team_id         bigint NOT NULL REFERENCES teams,
    actor_agent_id  bigint REFERENCES agents,        -- who did it; NULL = the server (shift-end unstar)
    action          text NOT NULL CHECK (action IN (
                        'assign', 'move', 'pause', 'resume', 'drain', 'agent_set', 'star', 'unstar',
                        'signal', 'team_set', 'shift_end_unstar')),
    agent_id        bigint REFERENCES agents,        -- the agent acted on (ASSIGN/MOVE target, PAUSE, …)
    lead_count      integer NOT NULL DEFAULT 0 CHECK (lead_count >= 0),
    forced          boolean NOT NULL DEFAULT false,  -- force=1: skill checks skipped and/or leases revoked
    details         jsonb NOT NULL DEFAULT '{}',     -- filters, counts by reason, settings before/after
    note            text
);
CREATE INDEX floor_actions_team_at ON floor_actions (team_id, at);
CREATE INDEX floor_actions_actor_at ON floor_actions (actor_agent_id, at) WHERE actor_agent_id IS NOT NULL;

CREATE FUNCTION floor_actions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'floor_actions is append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER floor_actions_no_update BEFORE UPDATE OR DELETE ON floor_actions
    FOR EACH ROW EXECUTE FUNCTION floor_actions_append_only();
CREATE TRIGGER floor_actions_no_truncate BEFORE TRUNCATE ON floor_actions
    FOR EACH STATEMENT EXECUTE FUNCTION floor_actions_append_only();

-- ---------------------------------------------------------------- agent wake-ups
-- Payload `agent:team:status`. Whoever changes an agent (a verb, `leadline agent disable`,
-- psql) wakes that agent's waiting CLAIMs on every instance; the holding counter's
-- updates do not fire it.
CREATE FUNCTION agents_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leadline_agents', NEW.id || ':' || NEW.team_id || ':' || NEW.status);
    RETURN NEW;
END $$;

CREATE TRIGGER agents_changed AFTER UPDATE OF status, capacity, senior, role, cities, device_categories, languages ON agents
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.capacity IS DISTINCT FROM NEW.capacity
          OR OLD.senior IS DISTINCT FROM NEW.senior OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.cities IS DISTINCT FROM NEW.cities OR OLD.device_categories IS DISTINCT FROM NEW.device_categories
          OR OLD.languages IS DISTINCT FROM NEW.languages)
    EXECUTE FUNCTION agents_announce_change();
