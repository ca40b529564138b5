-- The catalogue's verdicts for a conversion: is the pincode served for the device
-- category, and is the device supported (a device missing from the catalogue is not).
-- Matching uses catalogue_text() on both sides (letter case and white space ignored),
-- the same rule as intake and import (migrations/0008).
--   $1 pincode, $2 category, $3 brand, $4 model, $5 variant
SELECT EXISTS (
           SELECT 1 FROM serviceable_pincodes
           WHERE pincode = $1::text AND catalogue_text(category) = catalogue_text($2::text)
       ) AS serviceable,
       coalesce((
           SELECT bool_or(supported) FROM devices
           WHERE catalogue_text(category) = catalogue_text($2::text) AND catalogue_text(brand) = catalogue_text($3::text)
             AND catalogue_text(model) = catalogue_text($4::text) AND catalogue_text(variant) = catalogue_text($5::text)
       ), false) AS supported;
