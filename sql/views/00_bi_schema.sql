-- The schema BI tools read: every report view of docs/BI.md and nothing else.
-- Re-created on every migrate (with the views in the files after this one), so a view
-- renamed or dropped from sql/views/ does not linger. Only views live here; the rollup
-- tables and helpers are in `public`, out of leadline_bi's reach.
DROP SCHEMA IF EXISTS bi CASCADE;
CREATE SCHEMA bi;
COMMENT ON SCHEMA bi IS 'Leadline reports (docs/BI.md): one view per KPI of the SOPs, readable by leadline_bi; no PII.';

-- The grants are skipped while the role is missing (see migrations/0004_bi_role.sql);
-- the next migrate after a DBA created it grants everything.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'leadline_bi') THEN
        GRANT USAGE ON SCHEMA bi TO leadline_bi;
    END IF;
END $$;

-- The instant the live views (backlog) count from: the session setting leadline.bi_now
-- when set (an "as of" report, or a test's clock), else the transaction's now().
CREATE OR REPLACE FUNCTION bi_now() RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(nullif(current_setting('leadline.bi_now', true), '')::timestamptz, now())
$$;

-- Note.isMeaningful (Sources/LeadCore/Note.swift), in SQL: at least 10 letters or digits,
-- not just a disposition's words, not one character repeated. The word list is
-- Note.dispositionWords (a test checks the two agree).
CREATE OR REPLACE FUNCTION bi_note_meaningful(p_note text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT length(x.core) >= 10
           AND x.core <> ALL ('{createorder,willplaceorder,callback,waitingforquote,alreadyplacedorder,notinterested,
                                soldelsewhere,notreachable,wrongnumber,notserviceable,devicenotsupported,
                                customerwillplaceorder,alreadyplacedanorder,alreadysoldelsewhere,notreachableswitchedoff,
                                pincodenotserviceable,switchedoff,switchoff,notconnected,noanswer,notanswered,noresponse,
                                ringingnoresponse,rnr,busy,callbacklater,calllater,followup,connected,invalid,notpicked,
                                notpicking,didnotpick}'::text[])
           AND x.core !~ '^(.)\1*$'
        FROM (SELECT lower(regexp_replace(p_note, '[^[:alnum:]]', '', 'g')) AS core) x
    ), false)
$$;
