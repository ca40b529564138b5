-- Holds an agent's row (FOR SHARE) for the rest of a team lead's transaction and re-reads
-- its status: a DRAIN or PAUSE of that agent waits until the routing commits, and then
-- sees (and returns) what was routed. Taken after the leads' locks, as a claim takes them.
--   $1 agent
SELECT status::text AS status FROM agents WHERE id = $1::bigint FOR SHARE;
