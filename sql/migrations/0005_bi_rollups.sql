-- 0005: BI rollups, so every report view answers in milliseconds at a million leads.
--
-- Two fact tables are derived from lead_events (one row per call, one row per SLA
-- deadline) and small rollups from those (per agent and day, per team, day and SLA view,
-- per creation-day cohort, per closing reason). `bi_refresh(now)` (sql/views/
-- 01_bi_refresh.sql) keeps them up to date incrementally: it recomputes only the leads
-- with new events and the days they touch. The service calls it from its background
-- pass (LeadStore `BIRollup.refresh`); docs/BI.md has every definition.
-- Nothing here is read by the claim path; the views in schema `bi` read only these
-- tables (and, for the live backlog, `leads` through the partial index below).

-- Where the last refresh stopped, and as of when its counts are.
CREATE TABLE bi_refresh_state (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- Every lead_events.id (leads.id) up to the mark is settled (its transaction ended)
    -- and was processed. Ids are handed out before commit, so a refresh cannot tell an
    -- open transaction's ids apart from a gap: it remembers the sequences' positions and
    -- the snapshot's xmax as "pending", and the next refresh moves the marks up to them
    -- once every transaction that was open then has ended.
    event_mark    bigint NOT NULL DEFAULT 0,
    lead_mark     bigint NOT NULL DEFAULT 0,
    pending_event_mark bigint NOT NULL DEFAULT 0,
    pending_lead_mark  bigint NOT NULL DEFAULT 0,
    pending_xmax  xid8,
    as_of         timestamptz,                      -- the `now` the last refresh classified deadlines at
    refreshed_at  timestamptz,                      -- wall clock of the last refresh
    leads_done    bigint NOT NULL DEFAULT 0,        -- leads recomputed by the last refresh
    seconds       double precision NOT NULL DEFAULT 0
);
INSERT INTO bi_refresh_state DEFAULT VALUES;

-- One row per call: a `disposition` or `converted` event (every call ends in exactly one).
CREATE TABLE bi_call (
    event_id               bigint PRIMARY KEY,      -- lead_events.id
    lead_id                bigint NOT NULL,
    team_id                bigint NOT NULL,         -- the lead's team; its time zone makes `day`
    agent_id               bigint NOT NULL,
    day                    date NOT NULL,           -- the call's local day
    at                     timestamptz NOT NULL,    -- when the call was logged (disposition time)
    started_at             timestamptz NOT NULL,    -- when its lease was claimed (the call began)
    disposition            disposition NOT NULL,
    reason                 non_conversion_reason,
    outcome                text,                    -- set when this call closed the lead
    connected              boolean NOT NULL,        -- the Connected group, or a conversion
    converted              boolean NOT NULL,        -- an order was created on this call
    high_end               boolean NOT NULL,
    city                   text NOT NULL,           -- the lead's, for the reasons rollup (no join with leads)
    category               text NOT NULL,
    meaningful_note        boolean NOT NULL,        -- Note.isMeaningful, mirrored by bi_note_meaningful()
    follow_up              boolean NOT NULL,        -- callback, will_place_order, waiting_for_quote
    follow_up_dated        boolean NOT NULL,        -- … with a next date the agent stated
    next_kind              text,                    -- callback | follow_up | retry (what this call scheduled)
    next_at                timestamptz,             -- … and for when
    ttfa_s                 integer,                 -- on the lead's first call: seconds since the lead was created
    prev_agent_day         date,                    -- previous call by this agent on this lead
    prev_agent_connect_day date,                    -- previous connected call by this agent on this lead
    prev_lead_day          date,                    -- previous call on this lead by anyone
    prev_lead_connect_day  date,                    -- previous connected call on this lead by anyone
    next_event_id          bigint,                  -- the lead's next call
    next_agent_id          bigint,
    next_started_at        timestamptz,
    next_call_at           timestamptz,
    next_converted         boolean
);
CREATE INDEX bi_call_lead ON bi_call (lead_id);
CREATE INDEX bi_call_agent_day ON bi_call (team_id, agent_id, day);
CREATE INDEX bi_call_closing ON bi_call (team_id, day) WHERE outcome IS NOT NULL;
CREATE INDEX bi_call_first ON bi_call (team_id, day) INCLUDE (agent_id, ttfa_s) WHERE ttfa_s IS NOT NULL;

-- One row per SLA deadline: the first attempt of every lead (High Ends 15 min, Not Called
-- the same day) and every scheduled step (callback at its time, follow-up and retry at
-- theirs, + the team's grace: the All Leads follow-up).
CREATE TABLE bi_deadline (
    lead_id          bigint NOT NULL,
    set_event_id     bigint NOT NULL,               -- 0: the first-attempt deadline; else the call that scheduled it
    team_id          bigint NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('high_end', 'not_called', 'callback', 'follow_up', 'retry')),
    sla_view         text NOT NULL CHECK (sla_view IN ('high_end', 'not_called', 'callback', 'all')),
    day              date NOT NULL,                 -- local day the clock started (creation, or the scheduled time)
    city             text NOT NULL,                 -- the lead's, for the breach list (no join with leads)
    category         text NOT NULL,
    high_end         boolean NOT NULL,
    starts_at        timestamptz NOT NULL,          -- creation, or the scheduled time
    due_at           timestamptz NOT NULL,
    owner_agent_id   bigint,                        -- who scheduled it
    call_event_id    bigint,                        -- the call that answered it (the next call on the lead)
    call_agent_id    bigint,
    call_started_at  timestamptz,
    call_at          timestamptz,
    call_converted   boolean,
    PRIMARY KEY (lead_id, set_event_id)
);
CREATE INDEX bi_deadline_day ON bi_deadline (day, team_id, sla_view);
-- bi.sla_breaches: the deadlines not met, by day
CREATE INDEX bi_deadline_breached ON bi_deadline (day, team_id) WHERE NOT coalesce(call_started_at <= due_at, false);
CREATE INDEX bi_deadline_owner ON bi_deadline (team_id, owner_agent_id, day) WHERE owner_agent_id IS NOT NULL;

-- Per agent and local day (the lead's team's zone). *_wk/*_mo count a lead only on the
-- first day of its week/month it was contacted (connected) so that week and month
-- totals of distinct leads are plain sums; t_* do the same per team (per lead).
CREATE TABLE bi_agent_day (
    team_id                 bigint NOT NULL,
    agent_id                bigint NOT NULL,
    day                     date NOT NULL,
    calls                   integer NOT NULL DEFAULT 0,
    connected_calls         integer NOT NULL DEFAULT 0,
    meaningful_note_calls   integer NOT NULL DEFAULT 0,
    orders                  integer NOT NULL DEFAULT 0,
    high_end_orders         integer NOT NULL DEFAULT 0,
    callbacks_scheduled     integer NOT NULL DEFAULT 0,
    follow_up_calls         integer NOT NULL DEFAULT 0,
    follow_up_dated         integer NOT NULL DEFAULT 0,
    first_attempts          integer NOT NULL DEFAULT 0,
    ttfa_sum_s              bigint NOT NULL DEFAULT 0,
    contacted               integer NOT NULL DEFAULT 0,
    contacted_wk            integer NOT NULL DEFAULT 0,
    contacted_mo            integer NOT NULL DEFAULT 0,
    connected               integer NOT NULL DEFAULT 0,
    connected_wk            integer NOT NULL DEFAULT 0,
    connected_mo            integer NOT NULL DEFAULT 0,
    he_connected            integer NOT NULL DEFAULT 0,
    he_connected_wk         integer NOT NULL DEFAULT 0,
    he_connected_mo         integer NOT NULL DEFAULT 0,
    t_contacted             integer NOT NULL DEFAULT 0,
    t_contacted_wk          integer NOT NULL DEFAULT 0,
    t_contacted_mo          integer NOT NULL DEFAULT 0,
    t_connected             integer NOT NULL DEFAULT 0,
    t_connected_wk          integer NOT NULL DEFAULT 0,
    t_connected_mo          integer NOT NULL DEFAULT 0,
    t_he_connected          integer NOT NULL DEFAULT 0,
    t_he_connected_wk       integer NOT NULL DEFAULT 0,
    t_he_connected_mo       integer NOT NULL DEFAULT 0,
    -- callbacks this agent scheduled, by the day they were due
    cb_total                integer NOT NULL DEFAULT 0,
    cb_on_time              integer NOT NULL DEFAULT 0,
    cb_missed               integer NOT NULL DEFAULT 0,
    cb_pending              integer NOT NULL DEFAULT 0,
    cb_attempted            integer NOT NULL DEFAULT 0,
    cb_converted            integer NOT NULL DEFAULT 0,
    -- callbacks and follow-ups this agent scheduled, by the day they were due
    fu_total                integer NOT NULL DEFAULT 0,
    fu_on_time              integer NOT NULL DEFAULT 0,
    fu_within_24h           integer NOT NULL DEFAULT 0,
    fu_missed               integer NOT NULL DEFAULT 0,
    fu_pending              integer NOT NULL DEFAULT 0,
    recheck_at              timestamptz,            -- a pending deadline falls due then: recompute
    PRIMARY KEY (team_id, agent_id, day)
);
CREATE INDEX bi_agent_day_recheck ON bi_agent_day (recheck_at) WHERE recheck_at IS NOT NULL;

-- Time to first attempt, average and p90, per period (grain day/week/month), per team
-- (agent_id 0) and per agent who made the first attempt.
CREATE TABLE bi_ttfa (
    grain        text NOT NULL CHECK (grain IN ('day', 'week', 'month')),
    period       date NOT NULL,
    team_id      bigint NOT NULL,
    agent_id     bigint NOT NULL,
    leads        integer NOT NULL,
    avg_s        double precision,
    p90_s        double precision,
    as_of        timestamptz NOT NULL,              -- the refresh `now` it was computed at
    PRIMARY KEY (grain, period, team_id, agent_id)
);
-- Week and month periods whose p90 is due for a recompute: one sorts up to a month of
-- first attempts, so a refresh recomputes a week or month at most every 10 minutes
-- (of its `now`) and parks it here meanwhile; days are recomputed every time.
CREATE TABLE bi_ttfa_pending (
    grain    text NOT NULL,
    period   date NOT NULL,
    team_id  bigint NOT NULL,
    PRIMARY KEY (grain, period, team_id)
);

-- SLA compliance per team, day and view.
CREATE TABLE bi_sla_day (
    team_id      bigint NOT NULL,
    day          date NOT NULL,
    sla_view     text NOT NULL,
    deadlines    integer NOT NULL,
    met          integer NOT NULL,
    breached     integer NOT NULL,
    late_calls   integer NOT NULL,                  -- breached, and called afterwards
    pending      integer NOT NULL,                  -- not called yet, not due yet
    recheck_at   timestamptz,
    PRIMARY KEY (team_id, day, sla_view)
);
CREATE INDEX bi_sla_day_recheck ON bi_sla_day (recheck_at) WHERE recheck_at IS NOT NULL;

-- Leads by creation day (team zone) and source dimensions: what became of them so far.
CREATE TABLE bi_cohort (
    team_id        bigint NOT NULL,
    day            date NOT NULL,
    city           text NOT NULL,
    category       text NOT NULL,
    source         text NOT NULL,
    campaign       text NOT NULL,                   -- '' when the lead had none
    high_end       boolean NOT NULL,
    received       integer NOT NULL,
    attempted      integer NOT NULL,
    called_15m     integer NOT NULL,
    called_1h      integer NOT NULL,
    called_4h      integer NOT NULL,
    called_same_day integer NOT NULL,
    called_24h     integer NOT NULL,
    called_48h     integer NOT NULL,
    attempts_3plus integer NOT NULL,
    connected      integer NOT NULL,
    converted      integer NOT NULL,
    closed         integer NOT NULL,
    ttfa_sum_s     bigint NOT NULL,
    PRIMARY KEY (team_id, day, city, category, source, campaign, high_end)
);

-- Leads closed without an order, by closing day, city, device category and reason.
CREATE TABLE bi_reason_day (
    team_id   bigint NOT NULL,
    day       date NOT NULL,
    city      text NOT NULL,
    category  text NOT NULL,
    outcome   text NOT NULL,
    reason    text NOT NULL,                        -- the non-conversion reason, or the outcome when none is asked
    leads     integer NOT NULL,
    PRIMARY KEY (team_id, day, city, category, outcome, reason)
);

-- The live backlog (bi.backlog_now) reads open leads only, from this index alone.
CREATE INDEX leads_bi_open ON leads (team_id, city, state)
    INCLUDE (high_end, attempts, created_at, next_action_at, holder_agent_id)
    WHERE state <> 'closed';

-- The refresh writes these; nobody else may, and leadline_bi may not even read them.
REVOKE ALL ON bi_refresh_state, bi_call, bi_deadline, bi_agent_day, bi_ttfa, bi_ttfa_pending, bi_sla_day, bi_cohort, bi_reason_day FROM PUBLIC;
