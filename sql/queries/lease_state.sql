-- Why a lease action found nothing: does the lead exist, who holds it, under which lease.
--   $1 lead
SELECT id, holder_agent_id, lease_gen, lease_expires_at, state::text AS state, team_id, assigned_agent_id
FROM leads WHERE id = $1::bigint;
