-- Convert: the order (Pending Vendor Assignment, its creator recorded), the lead closed as
-- create_order with its lease ended, and the `converted` event, in one statement. The
-- lead must still be held under this lease; orders.lead_id is unique, so a lead converts
-- at most once whatever races.
--   $1 lead, $2 agent, $3 lease generation, $4 now, $5 request id,
--   $6 category, $7 brand, $8 model, $9 variant, $10 conditions, $11 pincode,
--   $12 address, $13 landmark, $14 pickup slot, $15 payment method, $16 payment reference,
--   $17 attempts, $18 attempts_today, $19 attempts_day, $20 first_attempt_at, $21 note,
--   $22 the price stated to the customer (NULL = the lead's quoted price), $23 city,
--   $24 accessories (comma-joined; NULL = not applicable), $25 end of the pickup slot
WITH lead AS (
    SELECT id, quoted_price FROM leads
    WHERE id = $1::bigint AND holder_agent_id = $2::bigint AND lease_gen = $3::bigint
      AND lease_expires_at > $4::timestamptz
),
placed AS (
    INSERT INTO orders (lead_id, status, created_by, category, brand, model, variant, conditions, pincode,
                        address, landmark, pickup_slot, payment_method, payment_ref, quoted_price,
                        consent_at, price_confirmed_at, request_id, created_at, city, accessories, pickup_slot_end)
    SELECT id, 'pending_vendor_assignment', $2::bigint, $6::text, $7::text, $8::text, $9::text, $10::text, $11::text,
           $12::text, $13::text, $14::timestamptz, $15::payment_method, $16::text, coalesce($22::bigint, quoted_price),
           $4::timestamptz, $4::timestamptz, $5::text, $4::timestamptz, $23::text, $24::text, $25::timestamptz
    FROM lead
    RETURNING id, lead_id, status::text AS status, created_by, quoted_price, pickup_slot, pickup_slot_end, created_at
),
closed AS (
    UPDATE leads l
    SET holder_agent_id = NULL,
        lease_expires_at = NULL,
        state = 'closed',
        outcome = 'create_order',
        closed_at = $4::timestamptz,
        tier = NULL,
        next_action_at = NULL,
        reserved_until = NULL,
        callback_at = NULL,
        callback_agent_id = NULL,
        attempts = $17::int,
        attempts_today = $18::int,
        attempts_day = $19::date,
        first_attempt_at = $20::timestamptz,
        last_attempt_at = $4::timestamptz,
        last_connected_at = $4::timestamptz,
        unanswered_since = NULL,
        last_disposition = 'create_order'
    FROM placed p
    WHERE l.id = p.lead_id
    RETURNING l.id, l.lease_gen
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, disposition, note, lease_gen, request_id, payload)
    SELECT c.id, 'converted'::lead_event_kind, $2::bigint, $4::timestamptz, 'create_order'::disposition, $21::text, c.lease_gen, $5::text,
           jsonb_build_object('order', p.id, 'status', p.status, 'price', p.quoted_price, 'slot', p.pickup_slot,
                              'slot_end', p.pickup_slot_end, 'payment_method', $15::payment_method::text,
                              'city', $23::text, 'accessories', $24::text)
    FROM closed c JOIN placed p ON p.lead_id = c.id
    RETURNING id
)
SELECT p.id, p.lead_id, p.status, p.created_by, p.quoted_price, p.pickup_slot, p.created_at,
       (SELECT count(*) FROM closed) AS closed, (SELECT count(*) FROM event) AS events
FROM placed p;
