-- One agent's cycle on the simplest schema (bench/simple/schema.sql): claim the best
-- claimable lead of the agent's team (SKIP LOCKED) with its event, then dispose it with
-- its event: 40 % retry tomorrow, 20 % callback, 10 % follow-up (rescheduled, out of the
-- claim index), 30 % closed -- the floor's mix (a conversion counts as a closing disposition).
-- pgbench -M prepared -f cycle.sql; :client_id picks the team.
\set team 1 + :client_id % 3
\set agent 1000 + :client_id
\set r random(1, 100)
WITH c AS (
    SELECT id FROM leads WHERE team_id = :team AND tier IS NOT NULL
    ORDER BY tier, sla_due_at, id LIMIT 1 FOR UPDATE SKIP LOCKED
), u AS (
    UPDATE leads l SET holder = :agent, lease_gen = l.lease_gen + 1, lease_expires_at = now() + interval '10 minutes', tier = NULL
    FROM c WHERE l.id = c.id RETURNING l.id, l.lease_gen
), e AS (
    INSERT INTO events (lead_id, kind, agent, at) SELECT id, 'claimed', :agent, now() FROM u
)
SELECT id, lease_gen FROM u
\gset
WITH d AS (
    UPDATE leads SET holder = NULL, lease_expires_at = NULL, attempts = attempts + 1,
           state = CASE WHEN :r <= 40 THEN 'retry' WHEN :r <= 60 THEN 'callback' WHEN :r <= 70 THEN 'follow_up' ELSE 'closed' END,
           next_action_at = CASE WHEN :r <= 70 THEN now() + interval '1 day' END
    WHERE id = :id AND holder = :agent AND lease_gen = :lease_gen RETURNING id
)
INSERT INTO events (lead_id, kind, agent, at, detail) SELECT id, 'disposition', :agent, now(), 'mix ' || :r FROM d;
