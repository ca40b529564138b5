-- 0008: one catalogue-matching rule, and a BI login that cannot stall the refresh.
--
-- 1. catalogue_text(text): the one normalisation used wherever a lead's device (or a
--    category) is matched against the catalogue (`devices`, `serviceable_pincodes`):
--    lower case, every run of white space one space, none at either end. Intake
--    (queries/lead_add.sql), bulk import (queries/import_batch.sql) and CONVERT
--    (queries/conversion_catalogue.sql) call it on both sides, so
--    `phone / apple / iphone  14 / 128gb` is the catalogue's `phone/Apple/iPhone 14/128GB`.
--    IMMUTABLE, so the catalogue can be indexed by it; it reads no table (like the other
--    helper functions, PUBLIC may execute it: docs/BI.md).
CREATE FUNCTION catalogue_text(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT lower(btrim(regexp_replace($1, '\s+', ' ', 'g')))
$$;
COMMENT ON FUNCTION catalogue_text(text) IS 'How a device field or category is compared with the catalogue: lower case, inner white space collapsed to one space, trimmed (docs/RULES.md §12).';

CREATE INDEX devices_catalogue_match ON devices
    (catalogue_text(category), catalogue_text(brand), catalogue_text(model), catalogue_text(variant));

-- 2. Refreshes that could not run (docs/BI.md, "How current the numbers are"): the
--    service records each one here (queries/bi_refresh_skip.sql) besides its metric and
--    log line, and bi.freshness shows it to BI tools. One row; leadline_bi cannot read or
--    lock it (only through the view).
CREATE TABLE bi_refresh_skips (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    skips           bigint NOT NULL DEFAULT 0,   -- refreshes that could not run, ever
    last_skipped_at timestamptz,                 -- the service's clock when the last one was given up
    last_reason     text                         -- 'busy' (another refresh held the lock) or 'failed: <error>'
);
INSERT INTO bi_refresh_skips DEFAULT VALUES;
REVOKE ALL ON bi_refresh_skips FROM PUBLIC;

-- 3. Defaults for the BI login that 0004 did not set (it sets them only when it creates
--    the role). They are defaults: PostgreSQL 15 lets a role change any of its
--    user-settable parameters in its own session (SET), so these limit a well-behaved BI
--    tool, not a hostile one; docs/BI.md says what is enforced and what is not.
--    CONNECTION LIMIT is enforced: only a role with CREATEROLE can change it, and it keeps
--    BI tools from taking the connection slots the service needs.
--    A migrating user without CREATEROLE (or a cluster where another database is changing
--    the role at the same moment) gets a NOTICE, not a failed migration.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        BEGIN
            ALTER ROLE leadline_bi SET idle_in_transaction_session_timeout = '5min';
            ALTER ROLE leadline_bi SET lock_timeout = '5s';
            ALTER ROLE leadline_bi CONNECTION LIMIT 10;
        EXCEPTION
            WHEN insufficient_privilege OR internal_error THEN
                RAISE NOTICE 'leadline_bi settings not changed (%); a DBA can run the ALTER ROLE lines of migration 0008 (docs/BI.md)', SQLERRM;
        END;
    END IF;
END $$;
