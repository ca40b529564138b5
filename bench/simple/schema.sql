-- The simplest schema that does the floor's job, for an honest raw-SQL baseline (issue 16:
-- "a pgbench run of the simplest schema that does the job, so the ratio is not against a
-- straw man"): one leads table, one partial claim index, claim + dispose + event.
-- No skills, no personal queues, no SLA watch, no BI: what a hand-written queue would be.
-- Loaded by `bash scripts/bench.sh simple` into its own database (leadline_simple) with
-- 1,000,000 leads (92 % claimable, as the seeded service database), then driven by
-- bench/simple/cycle.sql.
DROP TABLE IF EXISTS events, leads;
CREATE TABLE leads (
    id              bigserial PRIMARY KEY,
    team_id         int NOT NULL,
    tier            smallint,                -- NULL = not claimable now
    sla_due_at      timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'new',
    holder          int,
    lease_gen       bigint NOT NULL DEFAULT 0,
    lease_expires_at timestamptz,
    next_action_at  timestamptz,
    attempts        int NOT NULL DEFAULT 0,
    phone           text NOT NULL,
    payload         text NOT NULL            -- the lead's customer and device fields, one blob
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.005, autovacuum_vacuum_cost_delay = 0);
CREATE TABLE events (
    id       bigserial PRIMARY KEY,
    lead_id  bigint NOT NULL,
    kind     text NOT NULL,
    agent    int,
    at       timestamptz NOT NULL,
    detail   text
);
INSERT INTO leads (team_id, tier, sla_due_at, state, phone, payload)
SELECT 1 + g % 3,
       CASE WHEN g % 12 = 0 THEN NULL WHEN g % 10 = 0 THEN 1 ELSE 2 END,
       now() - interval '5 days' + (g % 432000) * interval '1 second',
       CASE WHEN g % 12 = 0 THEN 'retry' ELSE 'new' END,
       '+9198' || lpad(g::text, 8, '0'),
       repeat('x', 300)
FROM generate_series(1, 1000000) g;
UPDATE leads SET next_action_at = now() + interval '1 day' WHERE tier IS NULL;
-- The one claim index: claimable leads of a team in claim order.
CREATE INDEX leads_claim ON leads (team_id, tier, sla_due_at, id) WHERE tier IS NOT NULL;
VACUUM ANALYZE leads;
VACUUM ANALYZE events;
