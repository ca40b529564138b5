-- Idempotency, step 1, the first statement of a mutating transaction: take the request id.
-- A row inserted = this call owns the id and goes on (the reply is filled in before
-- COMMIT). No row = the id is taken: if another transaction is writing it right now, this
-- INSERT waits for it to finish, so the caller then reads a committed reply.
--   $1 agent, $2 request id, $3 verb, $4 fingerprint of the arguments, $5 now
INSERT INTO requests (agent_id, request_id, verb, fingerprint, reply, created_at)
VALUES ($1::bigint, $2::text, $3::text, $4::text, '', $5::timestamptz)
ON CONFLICT (agent_id, request_id) DO NOTHING
RETURNING request_id;
