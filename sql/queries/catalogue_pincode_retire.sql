-- PINCODE RETIRE: the pincode is no longer served for the device category (matched with
-- catalogue_text()). No row = it was not served.
--   $1 pincode, $2 category
DELETE FROM serviceable_pincodes
WHERE pincode = $1::text AND catalogue_text(category) = catalogue_text($2::text)
RETURNING pincode, category, city;
