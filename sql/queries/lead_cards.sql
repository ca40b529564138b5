-- Leads as MINE and LEAD SHOW describe them (docs/PROTOCOL.md §11; the column names are
-- those of claim.sql, read by LeadFieldValues(row:) and written by the server's Replies):
-- every field, agent names resolved, the order id, whether the SLA watcher recorded a
-- breach. One round trip either way: by ids, or every lead an agent holds under a live
-- lease (MINE).
--   $1 lead ids (NULL = the leads $2 holds), $2 holder agent id, $3 now
SELECT l.id, t.name AS team, l.phone, l.customer_name, l.city, l.pincode, l.language,
       l.category, l.brand, l.model, l.variant, nullif(l.conditions, '') AS conditions, l.quoted_price, l.source, l.campaign,
       l.created_at, l.high_end, l.state::text AS state, l.outcome,
       CASE WHEN l.state IN ('callback', 'retry', 'follow_up') THEN l.next_action_at END AS next_at,
       CASE WHEN l.state = 'callback' THEN cb.name END AS callback_agent,
       l.attempts,
       CASE WHEN l.attempts_day = ($3::timestamptz AT TIME ZONE t.time_zone)::date THEN l.attempts_today ELSE 0 END
           AS attempts_today,
       l.last_disposition::text AS last_code, l.starred,
       CASE WHEN l.priority = 0 THEN l.boost_until END AS boost_until, asg.name AS assigned,
       h.name AS holder, l.holder_agent_id, l.lease_gen, l.lease_expires_at, l.lease_expires_at AS held_until,
       CASE WHEN l.state <> 'closed' THEN l.sla_due_at END AS sla_due_at,
       (l.sla_breached_at IS NOT NULL) AS sla_breached,
       o.id AS order_id,
       CASE WHEN l.high_end THEN 'high_end' WHEN l.state = 'new' THEN 'not_called' ELSE 'callback' END AS view
FROM leads l
JOIN teams t ON t.id = l.team_id
LEFT JOIN agents cb ON cb.id = l.callback_agent_id
LEFT JOIN agents asg ON asg.id = l.assigned_agent_id
LEFT JOIN agents h ON h.id = l.holder_agent_id
LEFT JOIN orders o ON o.lead_id = l.id
WHERE l.id = ANY (coalesce($1::bigint[],
                           ARRAY(SELECT x.lead_id FROM lead_leases x
                                 WHERE x.holder_agent_id = $2::bigint AND x.lease_expires_at > $3::timestamptz)))
ORDER BY l.lease_expires_at NULLS LAST, l.id;
