-- PAUSE, RESUME, DRAIN: an agent's new status (a disabled agent stays disabled: no row).
-- The agents_changed trigger (0006) sends NOTIFY leadline_agents, so the agent's waiting
-- CLAIMs on every instance look again and end with AGENT_NOT_ACTIVE.
--   $1 agent, $2 new status, $3 now
UPDATE agents SET status = $2::agent_status, updated_at = $3::timestamptz
WHERE id = $1::bigint AND status <> 'disabled'
RETURNING id, name, status::text AS status;
