-- One lead as LEAD SHOW prints it (docs/PROTOCOL.md §11): agent names for ids, its order
-- if any. attempts_today counts only the team-local day of `now` (0 on a new day); the
-- holder is shown only while its lease is live; next_at only for a scheduled state.
--   $1 lead, $2 now
SELECT l.id, l.team_id, t.name AS team, l.phone, l.customer_name, l.city, l.pincode, l.language,
       l.category, l.brand, l.model, l.variant, l.conditions, l.quoted_price, l.source, l.campaign, l.created_at,
       l.high_end, l.state::text AS state, l.outcome,
       CASE WHEN l.state IN ('callback', 'retry', 'follow_up') THEN l.next_action_at END AS next_at,
       CASE WHEN l.state = 'callback' THEN cb.name END AS callback_agent,
       l.attempts,
       CASE WHEN l.attempts_day = ($2::timestamptz AT TIME ZONE t.time_zone)::date THEN l.attempts_today ELSE 0 END
           AS attempts_today,
       l.last_disposition::text AS last_code, l.starred,
       CASE WHEN l.priority = 0 THEN l.boost_until END AS boost_until, asg.name AS assigned,
       CASE WHEN l.lease_expires_at > $2::timestamptz THEN h.name END AS holder,
       CASE WHEN l.lease_expires_at > $2::timestamptz THEN l.lease_expires_at END AS held_until,
       l.sla_due_at, (l.sla_breached_at IS NOT NULL) AS sla_breached,
       o.id AS order_id, o.status::text AS order_status
FROM leads l
JOIN teams t ON t.id = l.team_id
LEFT JOIN agents cb ON cb.id = l.callback_agent_id
LEFT JOIN agents asg ON asg.id = l.assigned_agent_id
LEFT JOIN agents h ON h.id = l.holder_agent_id
LEFT JOIN orders o ON o.lead_id = l.id
WHERE l.id = $1::bigint;
