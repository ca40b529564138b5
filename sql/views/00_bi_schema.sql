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

-- The meaningful-note rule (docs/BI.md "meaningful note"; SOP 002 KPI 4): its one
-- definition. The BI refresh applies it to every call's note (bi_call.meaningful_note);
-- Note.isMeaningful (Sources/LeadCore/Note.swift) mirrors it for Swift, and a property test
-- (Tests/LeadStoreTests/NoteRuleTests.swift) holds the two equal on thousands of notes.
--   1. A-Z lower-cased (ASCII only: lower() would depend on the database's locale).
--   2. Words: cut at every separator = any ASCII character but a-z and 0-9, and U+0080-U+00BF,
--      U+0964-U+0965, U+2000-U+206F, U+3000-U+303F, U+FEFF (punctuation and spaces). Every
--      other character (letters, marks, digits of any script) belongs to a word.
--   3. A word counts when it has 2+ characters, is not only digits, is not one character
--      repeated, and is not a placeholder (na, ok, test, ...: Note.placeholderWords).
--   4. Meaningful = at least 4 different counting words, and the words written together are
--      not just a disposition (Note.dispositionWords).
CREATE OR REPLACE FUNCTION bi_note_meaningful(p_note text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce((
        SELECT count(DISTINCT w.word) FILTER (
                   WHERE char_length(w.word) >= 2 AND w.word !~ '^[0-9]+$' AND w.word !~ '^(.)\1*$'
                     AND w.word <> ALL ('{na,nil,none,"null",ok,okay,test,testing,asdf,qwerty,xyz,abc,xxx,tbd,dummy,blah,hmm,
                                          lorem,ipsum}'::text[])) >= 4
           AND string_agg(w.word, '' ORDER BY w.n)
               <> ALL ('{createorder,willplaceorder,callback,waitingforquote,alreadyplacedorder,notinterested,
                         soldelsewhere,notreachable,wrongnumber,notserviceable,devicenotsupported,
                         customerwillplaceorder,alreadyplacedanorder,alreadysoldelsewhere,notreachableswitchedoff,
                         pincodenotserviceable,switchedoff,switchoff,notconnected,noanswer,notanswered,noresponse,
                         ringingnoresponse,rnr,busy,callbacklater,calllater,followup,connected,invalid,notpicked,
                         notpicking,didnotpick}'::text[])
        FROM regexp_split_to_table(translate(p_note, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),
                                   '[\u0001-\u002f\u003a-\u0060\u007b-\u00bf\u0964\u0965\u2000-\u206f\u3000-\u303f\ufeff]+')
             WITH ORDINALITY AS w(word, n)
        WHERE w.word <> ''
    ), false)
$$;
COMMENT ON FUNCTION bi_note_meaningful(text) IS 'The meaningful-note rule (docs/BI.md): at least 4 different words of 2+ characters that are not only digits, one character repeated or a placeholder (na, ok, test, ...), and not just a disposition''s words. Mirrored by Note.isMeaningful (LeadCore).';
