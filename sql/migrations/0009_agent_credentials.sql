-- A changed token announces itself like a changed status: `leadline agent token` (and
-- `agent disable`, which clears the token) sends NOTIFY leadline_agents, so every
-- instance re-checks that agent's open sessions at once and logs out those holding the
-- old credential (docs/PROTOCOL.md §7).
DROP TRIGGER agents_changed ON agents;
CREATE TRIGGER agents_changed AFTER UPDATE OF status, capacity, senior, role, cities, device_categories, languages, token_hash ON agents
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.capacity IS DISTINCT FROM NEW.capacity
          OR OLD.senior IS DISTINCT FROM NEW.senior OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.cities IS DISTINCT FROM NEW.cities OR OLD.device_categories IS DISTINCT FROM NEW.device_categories
          OR OLD.languages IS DISTINCT FROM NEW.languages OR OLD.token_hash IS DISTINCT FROM NEW.token_hash)
    EXECUTE FUNCTION agents_announce_change();
