-- Bulk import, after import_batch.sql in the same transaction: staged rows (of a known
-- team) that were not imported because an open lead of the same phone and device belongs
-- to another team (docs/RULES.md §12). Every other staged row of a known team now has an
-- open lead of its own team with its phone and device (created or re-checked by this
-- transaction, so no one else can have closed it since).
--   no parameters; returns line, team (the row's) and other_team
SELECT s.line, s.team, o.name AS other_team
FROM lead_import s
JOIN teams t ON t.name = s.team
JOIN leads x ON x.phone = s.phone AND x.category = s.category AND x.brand = s.brand AND x.model = s.model
            AND x.variant = s.variant AND x.outcome IS NULL
JOIN teams o ON o.id = x.team_id
WHERE x.team_id <> t.id
ORDER BY s.line;
