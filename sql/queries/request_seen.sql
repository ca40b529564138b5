-- Idempotency: what an earlier call with this request id was and what it replied.
--   $1 agent, $2 request id
SELECT verb, fingerprint, reply FROM requests WHERE agent_id = $1::bigint AND request_id = $2::text;
