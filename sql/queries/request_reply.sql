-- Idempotency, step 2, in the same transaction as the mutation: remember the reply.
--   $1 agent, $2 request id, $3 reply
UPDATE requests SET reply = $3::text WHERE agent_id = $1::bigint AND request_id = $2::text;
