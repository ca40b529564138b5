-- AGENTS: one row per agent of a team (NULL = every team), by team then name: settings,
-- status, what it holds under a live lease and since when (its oldest live claim), its
-- personal queue, and its claims, calls (dispositions and conversions) and conversions
-- since the team's local midnight.
--   $1 team (NULL = every team), $2 now
SELECT a.id, a.name, t.name AS team, a.role::text AS role, a.status::text AS status, a.senior, a.capacity,
       a.cities, a.device_categories, a.languages,
       h.holding, h.leads AS held_leads, h.since AS held_since,
       (SELECT count(*) FROM leads q WHERE q.assigned_agent_id = a.id AND q.state <> 'closed') AS assigned,
       d.claims, d.calls, d.conversions
FROM agents a
JOIN teams t ON t.id = a.team_id
CROSS JOIN LATERAL (
    SELECT count(*) AS holding, string_agg(l.id::text, ',' ORDER BY l.claimed_at, l.id) AS leads, min(l.claimed_at) AS since
    FROM lead_leases x JOIN leads l ON l.id = x.lead_id
    WHERE x.holder_agent_id = a.id AND l.holder_agent_id = a.id AND l.lease_expires_at > $2::timestamptz
) h
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE e.kind = 'claimed') AS claims,
           count(*) FILTER (WHERE e.kind IN ('disposition', 'converted')) AS calls,
           count(*) FILTER (WHERE e.kind = 'converted') AS conversions
    FROM lead_events e
    WHERE e.agent_id = a.id
      AND e.at >= (date_trunc('day', $2::timestamptz AT TIME ZONE t.time_zone) AT TIME ZONE t.time_zone)
      AND e.at <= $2::timestamptz
) d
WHERE $1::bigint IS NULL OR a.team_id = $1::bigint
ORDER BY t.name, a.name;
