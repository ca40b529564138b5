-- 0002: strict per-agent capacity.
--
-- agents.holding counts the leads an agent holds, maintained by a trigger whenever a
-- lead's holder changes. A claim that would take an agent past its capacity fails inside
-- the same statement (the agent row is locked and re-checked), so two concurrent claims
-- by one agent on two connections cannot both pass a stale count.
ALTER TABLE agents ADD COLUMN holding integer NOT NULL DEFAULT 0 CHECK (holding >= 0);

CREATE FUNCTION leads_track_holding() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.holder_agent_id IS NOT NULL THEN
        UPDATE agents SET holding = holding - 1 WHERE id = OLD.holder_agent_id;
    END IF;
    IF NEW.holder_agent_id IS NOT NULL THEN
        UPDATE agents SET holding = holding + 1 WHERE id = NEW.holder_agent_id AND holding < capacity;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'agent % is at capacity', NEW.holder_agent_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'agents_capacity';
        END IF;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER leads_holding AFTER UPDATE OF holder_agent_id ON leads
    FOR EACH ROW WHEN (OLD.holder_agent_id IS DISTINCT FROM NEW.holder_agent_id)
    EXECUTE FUNCTION leads_track_holding();
