-- 0011: BI that measures what the SOPs mean (issue 15 item 5; docs/BI.md).
--
--   * bi_sla_day: every deadline is judged twice. met / breached / late_calls / pending are
--     now judged at the answering call's disposition (its logged time: SOP 002 KPI 3, "lead
--     created time vs call disposition time"), the *_at_claim columns at when that call
--     began (its claim), which is what met/breached meant before.
--   * bi_deadline_breached_logged: the breach list (bi.sla_breaches) by the disposition
--     measure replaces the index on the claim measure.
--   * bi_call: per lead (its calls so far, reached-or-closed), per first call (same local
--     day as the drop-off) and per lead and local day (calls that day, and the attempts the
--     cadence owed it when the customer was not reached) -- for per-associate coverage
--     (SOP 002 KPI 1) and attempts-per-lead-per-day compliance (SOP 000 "attempt 3x/day").
--   * bi_agent_day: the associate's new leads (those they called first): called within 1 h,
--     the same day, 24 h; with 3+ attempts; covered.
--   * bi_attempt_day (new): per team and local day, the leads not reached that day and how
--     many got the attempts owed (the team's attempts_per_day setting).
--   * bi_reason_day.reason is now the customer's reason only ('' for an outcome that takes
--     none), so customer reasons and outcomes such as not_serviceable are reported apart.
-- Every rollup is rebuilt by the next bi_refresh: the tables are emptied and the marks reset.

ALTER TABLE bi_sla_day
    ADD COLUMN met_at_claim        integer NOT NULL DEFAULT 0,
    ADD COLUMN breached_at_claim   integer NOT NULL DEFAULT 0,
    ADD COLUMN late_calls_at_claim integer NOT NULL DEFAULT 0,
    ADD COLUMN pending_at_claim    integer NOT NULL DEFAULT 0;

DROP INDEX IF EXISTS bi_deadline_breached;
CREATE INDEX bi_deadline_breached_logged ON bi_deadline (day, team_id) WHERE NOT coalesce(call_at <= due_at, false);

ALTER TABLE bi_call
    ADD COLUMN lead_calls     integer NOT NULL DEFAULT 0, -- the lead's calls over its life so far
    ADD COLUMN lead_settled   boolean NOT NULL DEFAULT false, -- the lead was reached (a connected call) or closed so far
    ADD COLUMN first_same_day boolean,                    -- on the lead's first call: made on the local day of the drop-off
    ADD COLUMN day_calls      smallint,                   -- on the lead's last call of a local day: its calls that day
    ADD COLUMN day_owed       smallint;                   -- ... when not reached that day (and not closed as invalid): attempts owed
CREATE INDEX bi_call_lead_day ON bi_call (team_id, day) INCLUDE (day_calls, day_owed) WHERE day_owed IS NOT NULL;

ALTER TABLE bi_agent_day
    ADD COLUMN first_within_1h  integer NOT NULL DEFAULT 0,
    ADD COLUMN first_same_day   integer NOT NULL DEFAULT 0,
    ADD COLUMN first_within_24h integer NOT NULL DEFAULT 0,
    ADD COLUMN first_3plus      integer NOT NULL DEFAULT 0,
    ADD COLUMN first_covered    integer NOT NULL DEFAULT 0;

-- Attempts per lead per local day (SOP 000 §6A "attempt at least 3 times/day", SOP 001 §5
-- "try 3 times and log attempts"), per team and day: over the leads that were called that
-- day and not reached (no connected call that day; a lead closed that day as a wrong number,
-- not serviceable or device not supported needs no more attempts and is left out).
CREATE TABLE bi_attempt_day (
    team_id          bigint NOT NULL,
    day              date NOT NULL,
    attempts_per_day integer NOT NULL,  -- the team's setting (teams.max_attempts_per_day) when computed
    leads_unreached  integer NOT NULL,  -- leads called that day, not reached
    leads_owed_met   integer NOT NULL,  -- ... that got every attempt the cadence owed them that day
    leads_at_setting integer NOT NULL,  -- ... that got attempts_per_day attempts or more
    attempts         integer NOT NULL,  -- their calls that day
    PRIMARY KEY (team_id, day)
);

REVOKE ALL ON bi_attempt_day FROM PUBLIC;

-- Rebuild everything with the new definitions at the next refresh.
TRUNCATE bi_call, bi_deadline, bi_agent_day, bi_ttfa, bi_ttfa_pending, bi_sla_day, bi_cohort, bi_lead_cohort, bi_reason_day;
UPDATE bi_refresh_state
SET event_mark = 0, lead_mark = 0, pending_event_mark = 0, pending_lead_mark = 0, pending_xmax = NULL;
