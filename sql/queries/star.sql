-- STAR / UNSTAR: set or clear the star of a team's open leads chosen by the filters (all
-- of them together; NULL = any), with one `starred`/`unstarred` event per lead whose star
-- changed. In a team running in starred mode a newly starred ready lead becomes
-- claimable: one wake-up for the team (lead 0 = several leads).
--   $1 team, $2 starred (true = STAR, false = UNSTAR), $3 lead, $4 view, $5 city,
--   $6 source, $7 before (created_at < it), $8 after (created_at >= it), $9 acting agent, $10 now
WITH changed AS (
    UPDATE leads l SET starred = $2::boolean
    WHERE l.team_id = $1::bigint AND l.outcome IS NULL AND l.starred <> $2::boolean
      AND ($3::bigint IS NULL OR l.id = $3::bigint)
      AND ($4::text IS NULL OR (CASE WHEN l.high_end THEN 'high_end' WHEN l.state = 'new' THEN 'not_called' ELSE 'callback' END) = $4::text)
      AND ($5::text IS NULL OR lower(l.city) = lower($5::text))
      AND ($6::text IS NULL OR lower(l.source) = lower($6::text))
      AND ($7::timestamptz IS NULL OR l.created_at < $7::timestamptz)
      AND ($8::timestamptz IS NULL OR l.created_at >= $8::timestamptz)
    RETURNING l.id, l.tier
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at)
    SELECT id, (CASE WHEN $2::boolean THEN 'starred' ELSE 'unstarred' END)::lead_event_kind, $9::bigint, $10::timestamptz
    FROM changed
    ORDER BY id
    RETURNING id
),
wake AS (
    SELECT pg_notify('leadline_ready', t.id || ':0:0')
    FROM teams t
    WHERE t.id = $1::bigint AND t.starred_mode AND $2::boolean AND EXISTS (SELECT 1 FROM changed WHERE tier IS NOT NULL)
)
SELECT (SELECT count(*) FROM changed) AS changed, (SELECT count(*) FROM event) AS events, (SELECT count(*) FROM wake) AS woken;
