-- Batched dispose: dispose.sql for several held leads (of different agents) in one
-- statement, so the executor start-up of an UPDATE on `leads` (its CHECK constraints,
-- indexes and triggers) is paid once per batch instead of once per lead.
-- The parameters are dispose.sql's, each an array with one element per lead (element k
-- of every array belongs to the k-th lead; no lead twice):
--   $1 leads, $2 agents, $3 lease generations, $4 now,
--   $5 next states, $6 outcomes (NULL while open), $7 next_action_at, $8 callback_at,
--   $9 callback agents, $10 new SLA deadlines (NULL = closed, keep the old one),
--   $11 attempts, $12 attempts_today, $13 attempts_day, $14 first_attempt_at,
--   $15 last_attempt_at, $16 last_connected_at, $17 unanswered_since,
--   $18 dispositions, $19 reasons, $20 notes, $21 request ids, $22 closed as unreachable
-- The callers lock the leads first (call_lead.sql, in lead-id order). Events are numbered
-- in lead-id order, a lead's `disposition` before its `closed_unreachable`, as one
-- dispose.sql per lead in that order would number them (tests: DisposeBatchTests).
WITH d AS MATERIALIZED (
    SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::timestamptz[],
                         $5::lead_state[], $6::text[], $7::timestamptz[], $8::timestamptz[],
                         $9::bigint[], $10::timestamptz[],
                         $11::int[], $12::int[], $13::date[], $14::timestamptz[],
                         $15::timestamptz[], $16::timestamptz[], $17::timestamptz[],
                         $18::disposition[], $19::non_conversion_reason[], $20::text[], $21::text[], $22::boolean[])
        AS d(p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p20, p21, p22)
),
disposed AS (
    UPDATE leads l
    SET holder_agent_id = NULL,
        lease_expires_at = NULL,
        state = d.p5,
        outcome = d.p6,
        closed_at = CASE WHEN d.p5 = 'closed' THEN d.p4 END,
        next_action_at = d.p7,
        tier = lead_tier(l.high_end, d.p5, d.p7, d.p4),
        assigned_agent_id = CASE WHEN d.p5 = 'callback' THEN NULL ELSE l.assigned_agent_id END,
        reserved_until = NULL,
        callback_at = d.p8,
        callback_agent_id = d.p9,
        sla_due_at = coalesce(d.p10, l.sla_due_at),
        sla_breached_at = CASE WHEN d.p10 IS NULL THEN l.sla_breached_at END,
        attempts = d.p11,
        attempts_today = d.p12,
        attempts_day = d.p13,
        first_attempt_at = d.p14,
        last_attempt_at = d.p15,
        last_connected_at = d.p16,
        unanswered_since = d.p17,
        last_disposition = d.p18
    FROM d
    WHERE l.id = d.p1 AND l.holder_agent_id = d.p2 AND l.lease_gen = d.p3
      AND l.lease_expires_at > d.p4
    RETURNING l.id, l.team_id, l.tier, l.assigned_agent_id, l.lease_gen, l.state::text AS state, l.outcome,
              l.next_action_at, l.callback_at, l.sla_due_at, l.attempts, l.attempts_today,
              d.p2 AS agent, d.p4 AS at, d.p18 AS disposition, d.p19 AS reason, d.p20 AS note, d.p21 AS request_id,
              d.p22 AS closed_unreachable
),
event AS (
    INSERT INTO lead_events (lead_id, kind, agent_id, at, disposition, reason, note, lease_gen, request_id, payload)
    SELECT x.id, k.kind, x.agent, x.at,
           CASE WHEN k.n = 1 THEN x.disposition END, CASE WHEN k.n = 1 THEN x.reason END,
           CASE WHEN k.n = 1 THEN x.note END, x.lease_gen, x.request_id,
           CASE WHEN k.n = 1
                THEN jsonb_build_object('state', x.state, 'next_at', x.next_action_at, 'outcome', x.outcome,
                                        'attempts', x.attempts, 'attempts_today', x.attempts_today)
                ELSE jsonb_build_object('attempts', x.attempts) END
    FROM disposed x
    CROSS JOIN LATERAL (VALUES (1, 'disposition'::lead_event_kind), (2, 'closed_unreachable'::lead_event_kind)) AS k(n, kind)
    WHERE k.n = 1 OR x.closed_unreachable
    ORDER BY x.id, k.n
    RETURNING id
),
wake AS (
    SELECT pg_notify('leadline_ready', team_id || ':' || coalesce(assigned_agent_id, 0) || ':' || id)
    FROM disposed WHERE tier IS NOT NULL
)
SELECT id, state, outcome, next_action_at, callback_at, sla_due_at, attempts, attempts_today,
       (SELECT count(*) FROM event) AS events, (SELECT count(*) FROM wake) AS woken
FROM disposed
ORDER BY id;
