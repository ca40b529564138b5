-- LEADS (SOP 001 §4A, All Leads): leads filtered and paged, newest drop-off first
-- (created_at, then id, both descending: a stable order). Keyset paging: the next page
-- starts after the last row's (created_at, id). A NULL filter matches everything. Dates
-- are the lead's team-local calendar days of created_at. Matching of city, device fields,
-- source and campaign ignores letter case and white space (catalogue_text()). Each row
-- carries the lead's most recent note (a note, a disposition, a conversion or a release
-- note) with its author and time, looked up for the page's rows only.
--   $1 team (NULL = every team), $2 from (local date, inclusive), $3 to (inclusive),
--   $4 city, $5 category, $6 brand, $7 model, $8 source, $9 campaign,
--   $10 state: 'open' (not closed), 'all', or a lead state, $11 view (high_end,
--   not_called, callback), $12 agent (holds it, has it in their personal queue, or owns
--   its pending callback), $13 breached, $14/$15 after (created_at in microseconds since 1970, id),
--   $16 limit, $17 now
WITH span AS MATERIALIZED (
    -- The date range as instants on the listed team's clock, so it bounds the
    -- (team_id, created_at, id) index scan. Listing every team (an admin), the range is
    -- widened over their zones and each row is then checked on its own team's clock.
    SELECT min($2::date::timestamp AT TIME ZONE t.time_zone) AS lo,
           max(($3::date + 1)::timestamp AT TIME ZONE t.time_zone) AS hi
    FROM teams t
    WHERE $1::bigint IS NULL OR t.id = $1::bigint
),
page AS (
    SELECT l.*
    FROM leads l
    JOIN teams t ON t.id = l.team_id
    WHERE ($1::bigint IS NULL OR l.team_id = $1::bigint)
      AND ($2::date IS NULL OR l.created_at >= (SELECT lo FROM span))
      AND ($3::date IS NULL OR l.created_at < (SELECT hi FROM span))
      AND ($1::bigint IS NOT NULL OR $2::date IS NULL OR l.created_at >= ($2::date::timestamp AT TIME ZONE t.time_zone))
      AND ($1::bigint IS NOT NULL OR $3::date IS NULL OR l.created_at < (($3::date + 1)::timestamp AT TIME ZONE t.time_zone))
      AND ($4::text IS NULL OR catalogue_text(l.city) = catalogue_text($4::text))
      AND ($5::text IS NULL OR catalogue_text(l.category) = catalogue_text($5::text))
      AND ($6::text IS NULL OR catalogue_text(l.brand) = catalogue_text($6::text))
      AND ($7::text IS NULL OR catalogue_text(l.model) = catalogue_text($7::text))
      AND ($8::text IS NULL OR catalogue_text(l.source) = catalogue_text($8::text))
      AND ($9::text IS NULL OR catalogue_text(l.campaign) = catalogue_text($9::text))
      AND (CASE $10::text WHEN 'all' THEN true WHEN 'open' THEN l.state <> 'closed' ELSE l.state::text = $10::text END)
      AND ($11::text IS NULL OR (l.state <> 'closed' AND
           (CASE WHEN l.high_end THEN 'high_end' WHEN l.state = 'new' THEN 'not_called' ELSE 'callback' END) = $11::text))
      AND ($12::bigint IS NULL
           OR (l.holder_agent_id = $12::bigint AND l.lease_expires_at > $17::timestamptz)
           OR (l.assigned_agent_id = $12::bigint AND l.state <> 'closed')
           OR (l.callback_agent_id = $12::bigint AND l.state = 'callback'))
      AND ($13::boolean IS NULL OR (l.sla_breached_at IS NOT NULL) = $13::boolean)
      AND ($14::bigint IS NULL
           OR (l.created_at, l.id) < ('epoch'::timestamptz + $14::bigint * interval '1 microsecond', $15::bigint))
    ORDER BY l.created_at DESC, l.id DESC
    LIMIT $16::int
)
SELECT l.id, t.name AS team, l.phone, l.customer_name, l.city, l.pincode, l.language,
       l.category, l.brand, l.model, l.variant, nullif(l.conditions, '') AS conditions, l.quoted_price, l.source, l.campaign,
       l.created_at, l.high_end, l.state::text AS state, l.outcome,
       CASE WHEN l.state IN ('callback', 'retry', 'follow_up') THEN l.next_action_at END AS next_at,
       CASE WHEN l.state = 'callback' THEN cb.name END AS callback_agent,
       l.attempts,
       CASE WHEN l.attempts_day = ($17::timestamptz AT TIME ZONE t.time_zone)::date THEN l.attempts_today ELSE 0 END
           AS attempts_today,
       l.last_disposition::text AS last_code, l.starred,
       CASE WHEN l.priority = 0 THEN l.boost_until END AS boost_until, asg.name AS assigned,
       CASE WHEN l.lease_expires_at > $17::timestamptz THEN h.name END AS holder,
       CASE WHEN l.lease_expires_at > $17::timestamptz THEN l.lease_expires_at END AS held_until,
       l.sla_due_at, (l.sla_breached_at IS NOT NULL) AS sla_breached,
       o.id AS order_id,
       CASE WHEN l.state = 'closed' THEN NULL WHEN l.high_end THEN 'high_end' WHEN l.state = 'new' THEN 'not_called'
            ELSE 'callback' END AS view,
       n.note AS last_note, n.at AS last_note_at, n.author AS last_note_by,
       (extract(epoch FROM l.created_at) * 1000000)::bigint AS cursor_at
FROM page l
JOIN teams t ON t.id = l.team_id
LEFT JOIN agents cb ON cb.id = l.callback_agent_id
LEFT JOIN agents asg ON asg.id = l.assigned_agent_id
LEFT JOIN agents h ON h.id = l.holder_agent_id
LEFT JOIN orders o ON o.lead_id = l.id
LEFT JOIN LATERAL (
    SELECT e.note, e.at, a.name AS author
    FROM lead_events e LEFT JOIN agents a ON a.id = e.agent_id
    WHERE e.lead_id = l.id AND e.note IS NOT NULL AND e.kind IN ('note', 'disposition', 'converted', 'released')
    ORDER BY e.id DESC
    LIMIT 1
) n ON true
ORDER BY l.created_at DESC, l.id DESC;
