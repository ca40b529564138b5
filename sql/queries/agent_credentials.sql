-- The logins still valid: for each agent id given, its current token hash, if the agent
-- is enabled and has a token. A session logged in with another hash (the token was
-- rotated) or whose agent is missing here (disabled) is logged out (docs/PROTOCOL.md §7).
--   $1 agent ids (bigint[])
-- Plan: index scan on agents' primary key, one row per id.
SELECT id, token_hash
FROM agents
WHERE id = ANY($1::bigint[]) AND status <> 'disabled' AND token_hash IS NOT NULL;
