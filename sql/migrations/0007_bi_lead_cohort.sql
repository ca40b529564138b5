-- 0007: creation-day cohorts kept incrementally.
--
-- bi_cohort (0005) is a sum over leads, per creation day and dimensions. The refresh used
-- to re-sum every lead created on each day that a dirty lead belongs to: on a busy floor
-- that is most leads of most recent days, seconds of work every minute. bi_lead_cohort
-- keeps each lead's own contribution, so a refresh takes the dirty leads' old
-- contributions out of bi_cohort and puts their new ones in (sql/views/01_bi_refresh.sql,
-- step 10). Invariant: bi_cohort = the sum of bi_lead_cohort. The first refresh after this
-- migration finds the table empty and starts it (and bi_cohort) from every lead.
CREATE TABLE bi_lead_cohort (
    lead_id         bigint PRIMARY KEY,
    team_id         bigint NOT NULL,
    day             date NOT NULL,
    city            text NOT NULL,
    category        text NOT NULL,
    source          text NOT NULL,
    campaign        text NOT NULL,
    high_end        boolean NOT NULL,
    attempted       smallint NOT NULL,
    called_15m      smallint NOT NULL,
    called_1h       smallint NOT NULL,
    called_4h       smallint NOT NULL,
    called_same_day smallint NOT NULL,
    called_24h      smallint NOT NULL,
    called_48h      smallint NOT NULL,
    attempts_3plus  smallint NOT NULL,
    connected       smallint NOT NULL,
    converted       smallint NOT NULL,
    closed          smallint NOT NULL,
    ttfa_s          bigint NOT NULL
);

-- Written by the refresh only, like the other rollups; leadline_bi may not read it.
REVOKE ALL ON bi_lead_cohort FROM PUBLIC;
