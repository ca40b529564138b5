-- Bulk import: the session's staging table, filled by COPY one batch at a time.
CREATE TEMP TABLE IF NOT EXISTS lead_import (
    line        integer NOT NULL,
    team        text NOT NULL,
    phone       text NOT NULL,
    name        text NOT NULL,
    city        text NOT NULL,
    pincode     text NOT NULL,
    language    text,
    category    text NOT NULL,
    brand       text NOT NULL,
    model       text NOT NULL,
    variant     text NOT NULL,
    conditions  text NOT NULL,
    price       bigint NOT NULL,
    source      text NOT NULL,
    campaign    text,
    created_at  timestamptz NOT NULL
) ON COMMIT DELETE ROWS;
