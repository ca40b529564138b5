-- A lead's history, oldest first: the last $2 events (NULL = all). Floor actions keep
-- their detail in the payload: `from`/`to` (assigned, moved, revoked), `signal` and
-- `boost_until` (signal), `force` (a forced assignment or move).
--   $1 lead, $2 how many
SELECT * FROM (
    SELECT e.id, e.kind::text AS kind, e.at, e.agent_id, a.name AS agent, e.disposition::text AS disposition,
           e.reason::text AS reason, e.note, e.lease_gen, e.request_id, e.payload::text AS payload,
           e.payload->>'next_at' AS next_at, e.payload->>'to' AS target, e.payload->>'order' AS order_id,
           e.payload->>'from' AS from_agent, e.payload->>'signal' AS signal, e.payload->>'boost_until' AS boost_until,
           e.payload->>'force' AS forced
    FROM lead_events e LEFT JOIN agents a ON a.id = e.agent_id
    WHERE e.lead_id = $1::bigint
    ORDER BY e.id DESC
    LIMIT $2::int
) recent
ORDER BY id;
