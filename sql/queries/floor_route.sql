-- Route open leads into one agent's personal queue or back to the team pool (ASSIGN,
-- MOVE, a failed payment's SIGNAL), in one statement: the leads (already locked and
-- judged by the caller), the revocation of the live leases the caller chose to revoke
-- (`force=1`; the holder's next action gets LEASE_LOST), one `revoked` event per revoked
-- lease and one `assigned`/`moved` event per lead, and a wake-up per lead now claimable.
-- A revoked lead keeps its lease generation: nobody holds it, so the old token matches
-- nothing, and the next claim issues a larger one.
--   $1 lead ids, $2 the subset whose lease is revoked, $3 receiving agent (NULL = pool),
--   $4 acting agent (NULL = the server), $5 now, $6 event kind (assigned, moved),
--   $7 the event payload (from, to, force, via)
WITH target AS (
    SELECT l.id, l.holder_agent_id, l.lease_gen, (l.id = ANY ($2::bigint[])) AS revoke
    FROM leads l
    WHERE l.id = ANY ($1::bigint[]) AND l.state <> 'closed'
    FOR UPDATE OF l
),
routed AS (
    UPDATE leads l
    SET assigned_agent_id = $3::bigint,
        reserved_until = NULL,
        holder_agent_id = CASE WHEN t.revoke THEN NULL ELSE l.holder_agent_id END,
        lease_expires_at = CASE WHEN t.revoke THEN NULL ELSE l.lease_expires_at END,
        tier = CASE WHEN t.revoke THEN lead_tier(l.high_end, l.state, l.next_action_at, $5::timestamptz) ELSE l.tier END
    FROM target t
    WHERE l.id = t.id
    RETURNING l.id, l.team_id, l.tier, l.assigned_agent_id, t.revoke, t.holder_agent_id AS old_holder, t.lease_gen
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, lease_gen, payload)
    SELECT lead_id, kind, $4::bigint, $5::timestamptz, lease_gen, payload
    FROM (SELECT r.id AS lead_id, 1 AS step, 'revoked'::lead_event_kind AS kind, r.lease_gen,
                 jsonb_build_object('from', h.name, 'via', $6::text, 'force', true) AS payload
          FROM routed r JOIN agents h ON h.id = r.old_holder
          WHERE r.revoke
          UNION ALL
          SELECT r.id, 2, $6::text::lead_event_kind, NULL::bigint, $7::jsonb
          FROM routed r) e
    ORDER BY lead_id, step
    RETURNING kind
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':' || coalesce(assigned_agent_id, 0) || ':' || id)
    FROM routed WHERE tier IS NOT NULL
)
SELECT r.id, r.revoke, r.tier, (SELECT count(*) FROM event WHERE kind = 'revoked') AS revoked,
       (SELECT count(*) FROM event) AS events,
       (SELECT count(*) FROM wake) AS woken
FROM routed r
ORDER BY r.id;
