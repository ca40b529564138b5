-- 0004: leadline_bi, the read-only login for BI tools (docs/BI.md).
--
-- It may read the views in schema `bi` and nothing else: no base table, no phone number,
-- name or address, no writes. Views run with their owner's rights, which is how it reads
-- the data behind them. The grants themselves live with the views (sql/views/*.sql) and
-- are re-applied on every migrate, because the views are re-created then.
--
-- Roles belong to the whole cluster, not to one database, so this is idempotent: the
-- role is created only when missing. A migrating user without CREATEROLE does not fail
-- the migration: it gets a NOTICE, the views are still created (their grants are skipped
-- while the role is missing), and once a DBA has created the role (docs/BI.md) the next
-- `leadline migrate` grants the views to it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        BEGIN
            CREATE ROLE leadline_bi LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;
            -- Belt and braces for a reporting login: read-only transactions by default, a
            -- statement time limit, the report views first on its search path. Set
            -- only by whoever creates the role (two databases of one cluster migrating at
            -- once must not both update the role's settings).
            ALTER ROLE leadline_bi SET default_transaction_read_only = on;
            ALTER ROLE leadline_bi SET statement_timeout = '60s';
            ALTER ROLE leadline_bi SET search_path = bi, public;
            ALTER ROLE leadline_bi SET jit = off;  -- report queries here are small; JIT only adds latency
        EXCEPTION
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'leadline_bi was not created: % lacks CREATEROLE; a DBA can run CREATE ROLE leadline_bi LOGIN and then leadline migrate again (docs/BI.md)', current_user;
            WHEN duplicate_object OR unique_violation THEN
                NULL;  -- another database of this cluster created it at the same moment
        END;
    END IF;
END $$;

-- Nobody but the owner creates objects in the public schema (already the default on
-- PostgreSQL 15; older servers granted CREATE to PUBLIC). Only the schema's owner can
-- revoke it; for anyone else this is a no-op with a warning, never an error.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
