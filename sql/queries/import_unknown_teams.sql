-- Bulk import: staged rows whose team does not exist (rejected, not imported).
SELECT s.line, s.team FROM lead_import s
WHERE NOT EXISTS (SELECT 1 FROM teams t WHERE t.name = s.team)
ORDER BY s.line;
