-- 0001: the whole Leadline domain.
--
-- The database refuses what must never happen, whatever the code above it does:
--   * two live claims on one lead        (one holder column per lead + guard trigger)
--   * an unknown disposition or reason   (enum types)
--   * an order without a lead            (NOT NULL foreign key, one order per lead)
--   * an update or delete of an event    (append-only trigger on lead_events)
-- Times are timestamptz; money is bigint minor units (paise).

-- ---------------------------------------------------------------- vocabulary
CREATE TYPE disposition AS ENUM (
    -- Connected
    'create_order', 'will_place_order', 'callback', 'waiting_for_quote',
    'already_placed_order', 'not_interested', 'sold_elsewhere',
    -- Not connected
    'not_reachable',
    -- Invalid
    'wrong_number', 'not_serviceable', 'device_not_supported'
);

CREATE TYPE non_conversion_reason AS ENUM (
    'price_too_low', 'competitor_quote', 'pickup_trust', 'payment_delay',
    'busy_later', 'no_pickup_area', 'other'
);

-- Where a lead stands. 'new' = Not Called (no call, no note, no disposition yet).
CREATE TYPE lead_state AS ENUM ('new', 'callback', 'retry', 'follow_up', 'closed');

CREATE TYPE agent_role AS ENUM ('agent', 'senior', 'team_lead', 'admin');
CREATE TYPE agent_status AS ENUM ('active', 'paused', 'draining', 'disabled');
CREATE TYPE escalation_target AS ENUM ('cx', 'ops', 'pricing');
CREATE TYPE payment_method AS ENUM ('upi', 'bank');
CREATE TYPE order_status AS ENUM ('pending_vendor_assignment', 'vendor_assigned', 'pickup_scheduled', 'picked_up', 'completed', 'cancelled');

CREATE TYPE lead_event_kind AS ENUM (
    'created', 'recheck', 'claimed', 'touched', 'released', 'expired', 'revoked',
    'disposition', 'note', 'assigned', 'moved', 'converted', 'escalated',
    'callback_missed', 'sla_breached', 'order_cancelled', 'signal',
    'starred', 'unstarred', 'closed_unreachable'
);

-- ---------------------------------------------------------------- teams, agents
CREATE TABLE teams (
    id                     bigserial PRIMARY KEY,
    name                   text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    time_zone              text NOT NULL DEFAULT 'Asia/Kolkata',
    allow_junior_high_end  boolean NOT NULL DEFAULT false,
    lease_duration         interval NOT NULL DEFAULT '10 minutes' CHECK (lease_duration > '0'),
    callback_grace         interval NOT NULL DEFAULT '5 minutes' CHECK (callback_grace >= '0'),
    callback_horizon       interval NOT NULL DEFAULT '14 days',
    follow_up_after        interval NOT NULL DEFAULT '24 hours',
    max_attempts_per_day   integer NOT NULL DEFAULT 3 CHECK (max_attempts_per_day > 0),
    attempt_spacing        interval NOT NULL DEFAULT '2 hours',
    call_window_start      time NOT NULL DEFAULT '09:00',
    call_window_end        time NOT NULL DEFAULT '21:00',
    unreachable_after_days integer NOT NULL DEFAULT 3 CHECK (unreachable_after_days > 0),
    high_end_sla           interval NOT NULL DEFAULT '15 minutes',
    starred_mode           boolean NOT NULL DEFAULT false,
    shift_end_unstar       time,
    created_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (call_window_start < call_window_end)
);

CREATE TABLE agents (
    id                bigserial PRIMARY KEY,
    team_id           bigint NOT NULL REFERENCES teams,
    name              text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
    role              agent_role NOT NULL DEFAULT 'agent',
    senior            boolean NOT NULL DEFAULT false,
    cities            text[] NOT NULL DEFAULT '{}' CHECK (cities = lower(cities::text)::text[]),  -- lower-case; empty = covers all
    device_categories text[] NOT NULL DEFAULT '{}' CHECK (device_categories = lower(device_categories::text)::text[]),
    languages         text[] NOT NULL DEFAULT '{}' CHECK (languages = lower(languages::text)::text[]),
    capacity          integer NOT NULL DEFAULT 1 CHECK (capacity BETWEEN 0 AND 100),
    status            agent_status NOT NULL DEFAULT 'active',
    token_salt        bytea,
    token_hash        bytea,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agents_team ON agents (team_id);

-- The account manager a team routes failed payments to (seed 004).
ALTER TABLE teams ADD COLUMN account_manager_id bigint REFERENCES agents;

-- ---------------------------------------------------------------- catalogue
CREATE TABLE devices (
    id        bigserial PRIMARY KEY,
    category  text NOT NULL,   -- phone, laptop, tablet, watch, …
    brand     text NOT NULL,
    model     text NOT NULL,
    variant   text NOT NULL,
    high_end  boolean NOT NULL DEFAULT false,
    supported boolean NOT NULL DEFAULT true,
    UNIQUE (category, brand, model, variant)
);

CREATE TABLE serviceable_pincodes (
    pincode  text NOT NULL CHECK (pincode ~ '^[1-9][0-9]{5}$'),
    category text NOT NULL,
    city     text NOT NULL,
    PRIMARY KEY (pincode, category)
);

-- ---------------------------------------------------------------- leads
-- The hot table. Only claimable-now leads have a non-null `tier`, so only they sit in
-- the ready indexes; held, closed and not-yet-due leads stay out of them.
CREATE TABLE leads (
    id                 bigserial PRIMARY KEY,
    team_id            bigint NOT NULL REFERENCES teams,
    phone              text NOT NULL CHECK (phone ~ '^\+[0-9]{8,15}$'),
    customer_name      text NOT NULL,
    city               text NOT NULL,
    pincode            text NOT NULL CHECK (pincode ~ '^[1-9][0-9]{5}$'),
    language           text,
    category           text NOT NULL,
    brand              text NOT NULL,
    model              text NOT NULL,
    variant            text NOT NULL,
    device_id          bigint REFERENCES devices,
    conditions         text NOT NULL DEFAULT '',
    quoted_price       bigint NOT NULL CHECK (quoted_price >= 0),
    source             text NOT NULL,
    campaign           text,
    created_at         timestamptz NOT NULL,            -- the customer's drop-off time
    ingested_at        timestamptz NOT NULL DEFAULT now(),
    high_end           boolean NOT NULL DEFAULT false,  -- from the catalogue, at ingest
    state              lead_state NOT NULL DEFAULT 'new',
    outcome            text CHECK (outcome IN (
                           'create_order', 'already_placed_order', 'not_interested', 'sold_elsewhere',
                           'wrong_number', 'not_serviceable', 'device_not_supported', 'unreachable')),
    closed_at          timestamptz,
    -- queueing
    tier               smallint CHECK (tier BETWEEN 1 AND 3), -- 1 High End, 2 Not Called, 3 due callback/retry/follow-up; NULL = not claimable now
    next_action_at     timestamptz,                      -- when a scheduled lead becomes due
    assigned_agent_id  bigint REFERENCES agents,         -- personal queue (claimed by that agent before the pool sees it)
    reserved_until     timestamptz,                      -- a due callback reserved for its owner until then
    callback_at        timestamptz,
    callback_agent_id  bigint REFERENCES agents,
    starred            boolean NOT NULL DEFAULT false,
    boost_until        timestamptz,
    -- attempts
    attempts           integer NOT NULL DEFAULT 0,
    attempts_today     integer NOT NULL DEFAULT 0,
    attempts_day       date,                             -- the team-local day attempts_today counts
    first_attempt_at   timestamptz,
    last_attempt_at    timestamptz,
    last_connected_at  timestamptz,
    unanswered_since   timestamptz,                      -- first unanswered attempt since the customer was last reached
    last_disposition   disposition,
    -- SLA clock
    sla_due_at         timestamptz NOT NULL,
    sla_breached_at    timestamptz,
    -- lease: one holder at most, with a fencing token
    holder_agent_id    bigint REFERENCES agents,
    lease_expires_at   timestamptz,
    lease_gen          bigint NOT NULL DEFAULT 0,
    claimed_at         timestamptz,
    CHECK ((holder_agent_id IS NULL) = (lease_expires_at IS NULL)),
    CHECK (holder_agent_id IS NULL OR tier IS NULL),
    CHECK ((state = 'closed') = (outcome IS NOT NULL)),
    CHECK (state <> 'closed' OR (tier IS NULL AND holder_agent_id IS NULL))
) WITH (fillfactor = 80,
        autovacuum_vacuum_scale_factor = 0.005,
        autovacuum_vacuum_threshold = 500,
        autovacuum_vacuum_cost_delay = 0,
        autovacuum_analyze_scale_factor = 0.02);

-- The claim order, served by one index per queue: team pool and personal queue.
CREATE INDEX leads_ready_pool ON leads (team_id, tier, sla_due_at, id)
    WHERE tier IS NOT NULL AND assigned_agent_id IS NULL;
CREATE INDEX leads_ready_personal ON leads (assigned_agent_id, tier, sla_due_at, id)
    WHERE tier IS NOT NULL AND assigned_agent_id IS NOT NULL;
-- Held leads: capacity checks and the lease reaper.
CREATE INDEX leads_held ON leads (holder_agent_id) WHERE holder_agent_id IS NOT NULL;
CREATE INDEX leads_lease_expiry ON leads (lease_expires_at) WHERE holder_agent_id IS NOT NULL;
-- Scheduled leads waiting to come due (the promoter), and due callbacks reserved for an owner.
CREATE INDEX leads_scheduled ON leads (next_action_at)
    WHERE tier IS NULL AND holder_agent_id IS NULL AND state IN ('callback', 'retry', 'follow_up');
CREATE INDEX leads_reserved ON leads (reserved_until) WHERE reserved_until IS NOT NULL;
-- The SLA watcher.
CREATE INDEX leads_sla_open ON leads (sla_due_at) WHERE state <> 'closed' AND sla_breached_at IS NULL;
-- A returning customer (same phone and device) updates the open lead instead of duplicating it.
CREATE UNIQUE INDEX leads_open_customer_device ON leads (phone, category, brand, model, variant)
    WHERE state <> 'closed';
CREATE INDEX leads_team_created ON leads (team_id, created_at);

-- Which tier a lead sits in at `now`; NULL when it is not claimable by time or state.
-- (Holding is handled by the callers: a held lead always has tier NULL.)
CREATE FUNCTION lead_tier(p_high_end boolean, p_state lead_state, p_next_action_at timestamptz, p_now timestamptz)
RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
    SELECT (CASE
        WHEN p_state = 'closed' THEN NULL
        WHEN p_state <> 'new' AND p_next_action_at > p_now THEN NULL
        WHEN p_high_end THEN 1
        WHEN p_state = 'new' THEN 2
        ELSE 3
    END)::smallint
$$;

-- Whether an agent's skills and its team's starred mode let it take a lead. An empty
-- skill list covers all; skills are stored lower-case and compared case-insensitively.
-- Deliberately PL/pgSQL (not inlined): the planner then estimates it as an ordinary
-- filter and keeps the claim's index scan in (tier, sla_due_at, id) order with LIMIT 1,
-- instead of sorting every ready lead of the team.
CREATE FUNCTION lead_in_reach(p_city text, p_category text, p_language text, p_starred boolean,
                              a_cities text[], a_categories text[], a_languages text[], a_starred_mode boolean)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN (cardinality(a_cities) = 0 OR lower(p_city) = ANY (a_cities))
       AND (cardinality(a_categories) = 0 OR lower(p_category) = ANY (a_categories))
       AND (cardinality(a_languages) = 0 OR p_language IS NULL OR lower(p_language) = ANY (a_languages))
       AND (p_starred OR NOT a_starred_mode);
END $$;

-- Guard: a lead held by one agent cannot be handed to another (or re-leased under the
-- same token) without first being released, expired or revoked; fencing tokens only grow.
CREATE FUNCTION leads_guard_lease() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.holder_agent_id IS NOT NULL THEN
        RAISE EXCEPTION 'lead % is already held by agent % under lease %', OLD.id, OLD.holder_agent_id, OLD.lease_gen
            USING ERRCODE = 'exclusion_violation', CONSTRAINT = 'leads_one_live_claim';
    END IF;
    IF NEW.lease_gen <= OLD.lease_gen THEN
        RAISE EXCEPTION 'lead % claimed without a new lease generation', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'leads_lease_gen_grows';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER leads_one_live_claim BEFORE UPDATE OF holder_agent_id, lease_gen ON leads
    FOR EACH ROW
    WHEN (NEW.holder_agent_id IS NOT NULL
          AND (OLD.holder_agent_id IS DISTINCT FROM NEW.holder_agent_id OR OLD.lease_gen IS DISTINCT FROM NEW.lease_gen))
    EXECUTE FUNCTION leads_guard_lease();

-- ---------------------------------------------------------------- events
-- Append-only history of every lead: claims, releases, expiries, dispositions, notes,
-- assignments, conversions, escalations, breaches.
CREATE TABLE lead_events (
    id          bigserial PRIMARY KEY,
    lead_id     bigint NOT NULL REFERENCES leads,
    kind        lead_event_kind NOT NULL,
    agent_id    bigint REFERENCES agents,
    at          timestamptz NOT NULL,
    disposition disposition,
    reason      non_conversion_reason,
    note        text,
    lease_gen   bigint,
    request_id  text,
    payload     jsonb NOT NULL DEFAULT '{}',
    CHECK (kind <> 'disposition' OR disposition IS NOT NULL)
);
CREATE INDEX lead_events_lead ON lead_events (lead_id, id);
CREATE INDEX lead_events_at ON lead_events (at);
CREATE INDEX lead_events_agent_at ON lead_events (agent_id, at) WHERE agent_id IS NOT NULL;

CREATE FUNCTION lead_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'lead_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER lead_events_no_update BEFORE UPDATE OR DELETE ON lead_events
    FOR EACH ROW EXECUTE FUNCTION lead_events_append_only();
CREATE TRIGGER lead_events_no_truncate BEFORE TRUNCATE ON lead_events
    FOR EACH STATEMENT EXECUTE FUNCTION lead_events_append_only();

-- ---------------------------------------------------------------- orders, escalations
CREATE TABLE orders (
    id                 bigserial PRIMARY KEY,
    lead_id            bigint NOT NULL UNIQUE REFERENCES leads,   -- a lead converts at most once
    status             order_status NOT NULL DEFAULT 'pending_vendor_assignment',
    created_by         bigint NOT NULL REFERENCES agents,
    category           text NOT NULL,
    brand              text NOT NULL,
    model              text NOT NULL,
    variant            text NOT NULL,
    conditions         text NOT NULL,
    pincode            text NOT NULL CHECK (pincode ~ '^[1-9][0-9]{5}$'),
    address            text NOT NULL CHECK (btrim(address) <> ''),
    landmark           text NOT NULL CHECK (btrim(landmark) <> ''),
    pickup_slot        timestamptz NOT NULL,
    payment_method     payment_method NOT NULL,
    payment_ref        text NOT NULL,
    quoted_price       bigint NOT NULL CHECK (quoted_price >= 0),
    consent_at         timestamptz NOT NULL,
    price_confirmed_at timestamptz NOT NULL,
    request_id         text NOT NULL,
    created_at         timestamptz NOT NULL,
    cancelled_at       timestamptz,
    cancelled_by       bigint REFERENCES agents,
    cancel_reason      text,
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX orders_created_at ON orders (created_at);
CREATE INDEX orders_created_by ON orders (created_by, created_at);

CREATE TABLE escalations (
    id          bigserial PRIMARY KEY,
    lead_id     bigint NOT NULL REFERENCES leads,
    agent_id    bigint NOT NULL REFERENCES agents,
    target      escalation_target NOT NULL,
    summary     text NOT NULL CHECK (btrim(summary) <> ''),
    ask         text NOT NULL CHECK (btrim(ask) <> ''),
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at  timestamptz NOT NULL,
    resolved_at timestamptz
);
CREATE INDEX escalations_open ON escalations (target, created_at) WHERE status = 'open';

-- ---------------------------------------------------------------- idempotency
-- A mutating request carrying `idem=` is remembered with its reply: a retry returns the
-- first reply and writes nothing; the same id with other arguments is a conflict.
CREATE TABLE requests (
    agent_id    bigint NOT NULL REFERENCES agents,
    request_id  text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 128),
    verb        text NOT NULL,
    fingerprint text NOT NULL,
    reply       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, request_id)
);
