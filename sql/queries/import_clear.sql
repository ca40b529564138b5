-- Bulk import: empty the staging table between the passes of one batch (a customer and
-- device that appears more than once in a batch is staged once per pass).
TRUNCATE lead_import;
