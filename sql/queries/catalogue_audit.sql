-- One row of the catalogue audit (catalogue_changes, append-only): who changed what,
-- the entry before and after (or an import's counts), how many open leads were re-tiered.
--   $1 now, $2 acting agent (NULL = the `leadline` command line), $3 action,
--   $4 entry (jsonb), $5 leads re-tiered
INSERT INTO catalogue_changes (at, actor_agent_id, action, entry, leads_retiered)
VALUES ($1::timestamptz, $2::bigint, $3::text, $4::jsonb, $5::int)
RETURNING id;
