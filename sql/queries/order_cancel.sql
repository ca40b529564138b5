-- Cancel an order (a price dispute, seed 003 §8): the order is marked cancelled with who
-- and why, and the lead's history gets an `order_cancelled` event. The lead stays closed.
--   $1 order, $2 agent, $3 reason, $4 now, $5 request id
WITH cancelled AS (
    UPDATE orders
    SET status = 'cancelled', cancelled_at = $4::timestamptz, cancelled_by = $2::bigint, cancel_reason = $3::text
    WHERE id = $1::bigint AND status NOT IN ('picked_up', 'completed', 'cancelled')
    RETURNING id, lead_id, status::text AS status, created_by, quoted_price, pickup_slot, cancelled_at, cancel_reason
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, note, request_id, payload)
    SELECT lead_id, 'order_cancelled'::lead_event_kind, $2::bigint, $4::timestamptz, $3::text, $5::text,
           jsonb_build_object('order', id)
    FROM cancelled
    RETURNING id
)
SELECT c.*, (SELECT count(*) FROM event) AS events FROM cancelled c;
