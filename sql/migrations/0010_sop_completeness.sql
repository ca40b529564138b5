-- 0010: the rest of the SOPs (issue 15): catalogue management, escalations that close,
-- CONVERT completeness.
--
--   * catalogue_changes: the append-only audit of every change to the catalogue (devices,
--     the High End list, serviceable pincodes), by the admin verbs and `leadline catalogue
--     import`: who, what, the entry before and after, and how many open leads were
--     re-tiered (one row per change with the count, not an event per lead: RULES.md §13).
--   * catalogue_lead_high_end(): the High End verdict for one lead's device, by the same
--     rule as intake (catalogue_text() on both sides; the exactly spelled row wins, else
--     the oldest). Re-tiering (queries/catalogue_retier.sql) calls it per open lead.
--   * escalations: who resolved, and the resolution note; status and resolved_at move
--     together. Desks: a team may be the CX, Ops or Pricing desk (teams.desk), whose agents
--     resolve the escalations sent to it, whatever sales team raised them.
--   * orders: the city checked against the pincode, the accessories mentioned
--     (SOP 003 §4B), and the end of the pickup slot (a window, not a single time).
--   * lead_event_kind `escalation_resolved`: the lead's history shows the resolution.

-- ---------------------------------------------------------------- catalogue audit
CREATE TABLE catalogue_changes (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL,
    actor_agent_id  bigint REFERENCES agents,        -- NULL = the `leadline` command line
    action          text NOT NULL CHECK (action IN (
                        'device_add', 'device_retire', 'high_end_add', 'high_end_retire',
                        'pincode_add', 'pincode_retire', 'import_devices', 'import_pincodes')),
    entry           jsonb NOT NULL DEFAULT '{}',     -- the entry before and after, or an import's counts
    leads_retiered  integer NOT NULL DEFAULT 0 CHECK (leads_retiered >= 0)
);
CREATE INDEX catalogue_changes_at ON catalogue_changes (at);

CREATE FUNCTION catalogue_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'catalogue_changes is append-only (% refused)', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END $$;

CREATE TRIGGER catalogue_changes_no_update BEFORE UPDATE OR DELETE ON catalogue_changes
    FOR EACH ROW EXECUTE FUNCTION catalogue_changes_append_only();
CREATE TRIGGER catalogue_changes_no_truncate BEFORE TRUNCATE ON catalogue_changes
    FOR EACH STATEMENT EXECUTE FUNCTION catalogue_changes_append_only();
REVOKE ALL ON catalogue_changes FROM PUBLIC;

-- Serviceable pincodes are matched by category with catalogue_text() (CONVERT, the admin
-- verbs): indexed so.
CREATE INDEX serviceable_pincodes_match ON serviceable_pincodes (pincode, catalogue_text(category));

-- The High End flag the catalogue gives a lead's device (false when the device is not in
-- the catalogue): intake's rule, for re-tiering open leads.
CREATE FUNCTION catalogue_lead_high_end(p_category text, p_brand text, p_model text, p_variant text)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT d.high_end FROM devices d
        WHERE catalogue_text(d.category) = catalogue_text(p_category) AND catalogue_text(d.brand) = catalogue_text(p_brand)
          AND catalogue_text(d.model) = catalogue_text(p_model) AND catalogue_text(d.variant) = catalogue_text(p_variant)
        ORDER BY (d.category = p_category AND d.brand = p_brand AND d.model = p_model AND d.variant = p_variant) DESC, d.id
        LIMIT 1), false)
$$;

-- ---------------------------------------------------------------- escalations
ALTER TABLE teams ADD COLUMN desk escalation_target UNIQUE;   -- NULL = a sales team
ALTER TABLE escalations
    ADD COLUMN resolved_by bigint REFERENCES agents,
    ADD COLUMN resolution  text CHECK (resolution IS NULL OR btrim(resolution) <> ''),
    ADD CONSTRAINT escalations_resolved_together
        CHECK ((status = 'resolved') = (resolved_at IS NOT NULL) AND (status = 'resolved') = (resolution IS NOT NULL));
CREATE INDEX escalations_lead ON escalations (lead_id);

ALTER TYPE lead_event_kind ADD VALUE 'escalation_resolved';

-- ---------------------------------------------------------------- orders
ALTER TABLE orders
    ADD COLUMN city            text,          -- the city confirmed on the call (checked against the pincode)
    ADD COLUMN accessories     text,          -- comma-joined; '' = none; NULL = not asked (orders before 0010)
    ADD COLUMN pickup_slot_end timestamptz,   -- the slot is [pickup_slot, pickup_slot_end)
    ADD CONSTRAINT orders_slot_window CHECK (pickup_slot_end IS NULL OR pickup_slot_end > pickup_slot);

-- ---------------------------------------------------------------- the claim order
-- SOP 000's card puts High Ends first; SOP 001 calls Not Called the highest priority. A
-- team chooses (docs/RULES.md §14): 'high_end_first' (the default: High Ends → Not Called
-- → due callbacks) or 'not_called_first' (Not Called → High Ends → due callbacks).
ALTER TABLE teams ADD COLUMN claim_order text NOT NULL DEFAULT 'high_end_first'
    CHECK (claim_order IN ('high_end_first', 'not_called_first'));
