-- The catalogue's verdicts for a conversion: is the pincode served for the device
-- category, and is the device supported (a device missing from the catalogue is not).
-- Matching ignores letter case.
--   $1 pincode, $2 category, $3 brand, $4 model, $5 variant
SELECT EXISTS (
           SELECT 1 FROM serviceable_pincodes
           WHERE pincode = $1::text AND lower(category) = lower($2::text)
       ) AS serviceable,
       coalesce((
           SELECT bool_or(supported) FROM devices
           WHERE lower(category) = lower($2::text) AND lower(brand) = lower($3::text)
             AND lower(model) = lower($4::text) AND lower(variant) = lower($5::text)
       ), false) AS supported;
