-- Catalogue writers take turns (until COMMIT): two admins adding the same device at once
-- would otherwise both create it. Intake, CONVERT and BI only read the catalogue and are
-- not blocked (SHARE ROW EXCLUSIVE conflicts with writers, not with readers).
LOCK TABLE devices, serviceable_pincodes IN SHARE ROW EXCLUSIVE MODE;
