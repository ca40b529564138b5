import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// A small floor for the call desk, made with plain INSERTs: team blr (Asia/Kolkata, SOP
/// defaults) with agents asha and ravi, team lead tl; team del with agent dev, team lead
/// dtl and the admin; a catalogue with a supported phone, an unsupported one, and
/// pincodes served for some categories.
private struct DeskFloor {
    let c: PostgresConnection
    let conninfo: String
    let blr: Int64
    let del: Int64
    let asha: Int64
    let ravi: Int64
    let tl: Int64
    let dev: Int64
    let dtl: Int64
    let admin: Int64

    static func make() async throws -> DeskFloor {
        let info = try await TestCluster.shared.database()
        let c = try PostgresConnection(conninfo: info)
        try c.query("""
            INSERT INTO devices (category, brand, model, variant, high_end, supported) VALUES
              ('phone', 'Samsung', 'Galaxy A54', '128GB', false, true),
              ('phone', 'Apple', 'iPhone 15 Pro', '256GB', true, true),
              ('phone', 'Nokia', '3310', 'basic', false, false)
            """)
        try c.query("""
            INSERT INTO serviceable_pincodes (pincode, category, city) VALUES
              ('560001', 'phone', 'Bengaluru'), ('560001', 'laptop', 'Bengaluru'), ('110001', 'laptop', 'Delhi')
            """)
        func team(_ name: String) throws -> Int64 {
            try c.query("INSERT INTO teams (name, time_zone) VALUES ($1::text, 'Asia/Kolkata') RETURNING id", [name]).first!.int64("id")!
        }
        func agent(_ name: String, _ team: Int64, _ role: String) throws -> Int64 {
            try c.query("""
                INSERT INTO agents (team_id, name, role, senior, capacity) VALUES ($1::bigint, $2::text, $3::agent_role, $3::text <> 'agent', 5)
                RETURNING id
                """, [team, name, role]).first!.int64("id")!
        }
        let blr = try team("blr"), del = try team("del")
        return DeskFloor(c: c, conninfo: info, blr: blr, del: del,
                         asha: try agent("asha", blr, "agent"), ravi: try agent("ravi", blr, "agent"),
                         tl: try agent("tl", blr, "team_lead"), dev: try agent("dev", del, "agent"),
                         dtl: try agent("dtl", del, "team_lead"), admin: try agent("admin", del, "admin"))
    }

    /// A Not Called lead in the personal queue of `assignedTo` (so claims are deterministic).
    func lead(assignedTo agent: Int64?, createdAt: Date, team: Int64? = nil) throws -> Int64 {
        let phone = "+9198\(String(format: "%08d", Int.random(in: 0..<100_000_000)))"
        return try c.query("""
            INSERT INTO leads (team_id, phone, customer_name, city, pincode, category, brand, model, variant, conditions,
                               quoted_price, source, created_at, state, tier, sla_due_at, assigned_agent_id)
            VALUES ($1::bigint, $2::text, 'Test Customer', 'Bengaluru', '560001', 'phone', 'Samsung', 'Galaxy A54', '128GB',
                    'screen=good', 1450000, 'test', $3::timestamptz, 'new', 2, $3::timestamptz + interval '1 day', $4::bigint)
            RETURNING id
            """, [team ?? blr, phone, createdAt, agent]).first!.int64("id")!
    }

    /// Claims the next lead for `agent` (its personal queue first).
    func claim(_ agent: Int64, now: Date) throws -> ClaimedLead {
        guard case .claimed(let lead) = try LeadQueue().claim(c, agent: agent, now: now) else {
            throw Refusal(.empty, "nothing to claim for agent \(agent)")
        }
        return lead
    }

    /// Promotes due leads at `now`, then claims for `agent`.
    func claimDue(_ agent: Int64, now: Date) throws -> ClaimedLead {
        try LeadQueue().promoteDue(c, now: now)
        return try claim(agent, now: now)
    }

    func row(_ lead: Int64) throws -> Row {
        try c.query("SELECT *, state::text AS state_text, last_disposition::text AS disposition_text FROM leads WHERE id = $1::bigint",
                    [lead]).first!
    }

    /// The columns a refused call must not change.
    func snapshot(_ lead: Int64) throws -> String {
        let r = try c.query("""
            SELECT concat_ws('|', state, outcome, tier, holder_agent_id, lease_gen, lease_expires_at, attempts, attempts_today,
                             last_disposition, next_action_at, callback_at, sla_due_at) AS s FROM leads WHERE id = $1::bigint
            """, [lead])
        return r.first?["s"] ?? ""
    }

    func count(_ sql: String, _ params: [any PostgresBindable] = []) throws -> Int {
        try c.query(sql, params).first?.int("n") ?? -1
    }

    func events(_ lead: Int64, _ kind: String) throws -> Int {
        try count("SELECT count(*) AS n FROM lead_events WHERE lead_id = $1::bigint AND kind = $2::lead_event_kind", [lead, kind])
    }

    func orders(_ lead: Int64) throws -> Int {
        try count("SELECT count(*) AS n FROM orders WHERE lead_id = $1::bigint", [lead])
    }
}

/// The refusal `body` throws, or nil when it succeeds; any other error is recorded.
private func refusal<T>(_ body: () throws -> T) -> Refusal? {
    do {
        _ = try body()
        return nil
    } catch let refused as Refusal {
        return refused
    } catch {
        Issue.record("expected a Refusal, got \(error)")
        return Refusal(.internal, "\(error)")
    }
}

/// An instant on the Asia/Kolkata wall clock.
private func ist(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Asia/Kolkata")!
    return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
}

/// Runs blocking database work on its own thread (never on the Swift concurrency pool).

@Suite("Call desk: dispositions, cadence, conversion, idempotency, escalations, notes, cancellations")
struct CallDeskTests {
    let desk = CallDesk()
    /// Monday 2025-03-10 11:00 IST.
    let t0 = ist(2025, 3, 10, 11)
    let hour: TimeInterval = 3600
    let day: TimeInterval = 86_400

    var goodOrder: ConversionRequest {
        ConversionRequest(
            consent: true, priceConfirmed: true, category: "phone", brand: "Samsung", model: "Galaxy A54", variant: "128GB",
            conditions: ["screen=good", "body=minor_scratches"], pincode: "560001",
            address: "12, 3rd Cross, MG Road, Ashok Nagar", landmark: "Opposite the metro station",
            slot: t0 + day, paymentMethod: .upi, paymentRef: "Asha.K@okaxis")
    }

    // MARK: taxonomy

    @Test func theTaxonomyIsMirroredByTheDatabaseEnums() async throws {
        let f = try await DeskFloor.make()
        func values(_ type: String) throws -> [String] {
            // The enum type names are fixed literals of this test, not input.
            try f.c.query("SELECT unnest(enum_range(NULL::\(type)))::text AS v").rows.compactMap { $0["v"] }
        }
        #expect(try values("disposition") == Disposition.allCases.map(\.rawValue))
        #expect(try values("non_conversion_reason") == NonConversionReason.allCases.map(\.rawValue))
        #expect(try values("escalation_target") == EscalationTarget.allCases.map(\.rawValue))
        #expect(try values("payment_method") == PaymentMethod.allCases.map(\.rawValue))
        #expect(try values("order_status") == OrderStatus.allCases.map(\.rawValue))
        #expect(Set(try values("lead_event_kind")) == Set(LeadEventKind.allCases.map(\.rawValue)))
    }

    // MARK: dispositions

    @Test func closingDispositionsCloseTheLeadWithTheirOutcome() async throws {
        let f = try await DeskFloor.make()
        let cases: [(Disposition, NonConversionReason?, String)] = [
            (.alreadyPlacedOrder, nil, "already_placed_order"), (.notInterested, .priceTooLow, "not_interested"),
            (.soldElsewhere, .competitorQuote, "sold_elsewhere"), (.wrongNumber, nil, "wrong_number"),
            (.notServiceable, nil, "not_serviceable"), (.deviceNotSupported, nil, "device_not_supported"),
        ]
        for (code, reason, outcome) in cases {
            let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
            let held = try f.claim(f.asha, now: t0)
            #expect(held.id == id)
            let r = try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: code,
                                     note: "  Spoke to the customer: \(code.label)  ", reason: reason, requestID: "close-\(id)", now: t0)
            #expect(r.state == "closed")
            #expect(r.outcome == outcome)
            #expect(r.nextAt == nil && r.slaDue == nil)
            #expect(r.attempts == 1 && r.attemptsToday == 1)
            let row = try f.row(id)
            #expect(row["state_text"] == "closed")
            #expect(row["outcome"] == outcome)
            #expect(row["disposition_text"] == code.rawValue)
            #expect(row["holder_agent_id"] == nil && row["tier"] == nil && row["lease_expires_at"] == nil)
            #expect(row.date("closed_at") == t0)
            let e = try #require(try f.c.query("""
                SELECT disposition::text AS d, reason::text AS r, note, lease_gen, request_id, agent_id FROM lead_events
                WHERE lead_id = $1::bigint AND kind = 'disposition'
                """, [id]).first)
            #expect(e["d"] == code.rawValue)
            #expect(e["r"] == reason?.rawValue)
            #expect(e["note"] == "Spoke to the customer: \(code.label)")
            #expect(e.int64("lease_gen") == held.lease)
            #expect(e["request_id"] == "close-\(id)")
            #expect(e.int64("agent_id") == f.asha)
        }
        // The lease ended each time: asha holds nothing.
        #expect(try f.count("SELECT holding AS n FROM agents WHERE id = $1::bigint", [f.asha]) == 0)
    }

    @Test func aCallbackIsScheduledForItsOwnerAndResetsTheBreach() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - day)
        try f.c.query("UPDATE leads SET sla_breached_at = $2::timestamptz WHERE id = $1::bigint", [id, t0 - hour])
        let held = try f.claim(f.asha, now: t0)
        let at = ist(2025, 3, 10, 19)
        let r = try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .callback,
                                 note: "Customer busy, callback at 7 PM", at: at, now: t0)
        #expect(r.state == "callback")
        #expect(r.nextAt == at && r.callbackAt == at)
        #expect(r.slaDue == at + 300)
        #expect(r.outcome == nil)
        let row = try f.row(id)
        #expect(row.int64("callback_agent_id") == f.asha)
        #expect(row.date("next_action_at") == at)
        #expect(row.date("sla_due_at") == at + 300)
        #expect(row["sla_breached_at"] == nil)
        #expect(row["tier"] == nil && row["holder_agent_id"] == nil)
        #expect(row["assigned_agent_id"] == nil)  // the promoter reserves it for asha when due
        #expect(row.date("last_connected_at") == t0 && row["unanswered_since"] == nil)
        // Not handed out early; when due it goes to asha first, not ravi.
        #expect(try LeadQueue().claim(f.c, agent: f.ravi, now: at - 60) == .empty)
        try LeadQueue().promoteDue(f.c, now: at)
        #expect(try LeadQueue().claim(f.c, agent: f.ravi, now: at) == .empty)
        #expect(try f.claim(f.asha, now: at).id == id)
    }

    @Test func willPlaceOrderAndWaitingForQuoteFollowUp() async throws {
        let f = try await DeskFloor.make()
        let a = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let ha = try f.claim(f.asha, now: t0)
        let r1 = try desk.dispose(f.c, lead: a, agent: f.asha, lease: ha.lease, code: .willPlaceOrder,
                                  note: "Will place the order on the app tonight", now: t0)
        #expect(r1.state == "follow_up" && r1.nextAt == t0 + 24 * hour && r1.slaDue == t0 + 24 * hour + 300)
        #expect(try f.row(a)["callback_at"] == nil)

        let b = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let hb = try f.claim(f.asha, now: t0)
        let chosen = ist(2025, 3, 12, 10)
        let r2 = try desk.dispose(f.c, lead: b, agent: f.asha, lease: hb.lease, code: .waitingForQuote,
                                  note: "Comparing with a competitor quote", at: chosen, now: t0)
        #expect(r2.state == "follow_up" && r2.nextAt == chosen)
        // Due at its time, in tier 3, for the agent it is assigned to.
        try LeadQueue().promoteDue(f.c, now: chosen)
        #expect(try f.row(b).int("tier") == 3)
    }

    @Test func dispositionRefusalsChangeNothing() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        let before = try f.snapshot(id)
        func code(_ d: Disposition, note: String? = "Spoke to the customer about the order", at: Date? = nil,
                  reason: NonConversionReason? = nil) -> ErrorCode? {
            refusal { try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: d, note: note, at: at,
                                       reason: reason, requestID: "refused", now: t0) }?.code
        }
        for blank in [nil, "", "   ", "\n\t ", "\u{00A0}\u{200B}"] as [String?] {
            #expect(code(.waitingForQuote, note: blank) == .noteRequired)
        }
        #expect(code(.callback) == .callbackTimeRequired)
        #expect(code(.callback, at: t0) == .callbackInPast)
        #expect(code(.callback, at: t0 - 60) == .callbackInPast)
        #expect(code(.callback, at: t0 + 14 * day + 1) == .callbackTooFar)
        #expect(code(.willPlaceOrder, at: t0 + 15 * day) == .callbackTooFar)
        #expect(code(.notInterested) == .reasonRequired)
        #expect(code(.soldElsewhere) == .reasonRequired)
        #expect(code(.wrongNumber, reason: .other) == .badArg)
        #expect(code(.createOrder) == .badArg)
        #expect(code(.notReachable, at: t0 + hour) == .badArg)
        #expect(try f.snapshot(id) == before)
        #expect(try f.events(id, "disposition") == 0)
        // Refused calls store nothing under their request id: the same id works afterwards.
        #expect(try f.count("SELECT count(*) AS n FROM requests") == 0)
        let ok = try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .callback,
                                  note: "Call back at 14 h", at: t0 + 3 * hour, requestID: "refused", now: t0)
        #expect(ok.state == "callback")
    }

    @Test func leaseChecksNameWhatWentWrong() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        func code(lead: Int64, agent: Int64, lease: Int64, now: Date) -> ErrorCode? {
            refusal { try desk.dispose(f.c, lead: lead, agent: agent, lease: lease, code: .waitingForQuote,
                                       note: "Asked for a better quote", now: now) }?.code
        }
        #expect(code(lead: 999_999, agent: f.asha, lease: 1, now: t0) == .notFound)
        #expect(code(lead: id, agent: f.ravi, lease: held.lease, now: t0) == .leaseHeld)
        #expect(code(lead: id, agent: f.asha, lease: held.lease + 1, now: t0) == .leaseLost)
        #expect(code(lead: id, agent: f.asha, lease: held.lease, now: held.leaseExpiresAt) == .leaseLost)
        #expect(refusal { try desk.convert(f.c, lead: id, agent: f.ravi, lease: held.lease, requestID: "x",
                                           request: goodOrder, now: t0) }?.code == .leaseHeld)
        // Still held and untouched; the real holder disposes fine.
        #expect(try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .waitingForQuote,
                                 note: "Asked for a better quote", now: t0).state == "follow_up")
        #expect(code(lead: id, agent: f.asha, lease: held.lease, now: t0) == .leaseLost)
    }

    // MARK: the Not Connected cadence

    @Test func notReachableRetriesThreeTimesADayThenClosesAfterThreeDays() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: ist(2025, 3, 10, 9))
        var now = ist(2025, 3, 10, 10)
        var held = try f.claim(f.asha, now: now)
        // (attempt time, expected next attempt, attempts_today)
        let plan: [(Date, Date?, Int)] = [
            (ist(2025, 3, 10, 10), ist(2025, 3, 10, 12), 1),
            (ist(2025, 3, 10, 12), ist(2025, 3, 10, 14), 2),
            (ist(2025, 3, 10, 14), ist(2025, 3, 11, 9), 3),   // day's attempts used up: next local morning
            (ist(2025, 3, 11, 9), ist(2025, 3, 11, 11), 1),
            (ist(2025, 3, 11, 11), ist(2025, 3, 11, 13), 2),
            (ist(2025, 3, 11, 13), ist(2025, 3, 12, 9), 3),
            (ist(2025, 3, 12, 9), ist(2025, 3, 12, 11), 1),
            (ist(2025, 3, 12, 11), ist(2025, 3, 12, 13), 2),
            (ist(2025, 3, 12, 13), nil, 3),                  // a 4th local day would start: closed as unreachable
        ]
        for (i, (at, next, today)) in plan.enumerated() {
            if i > 0 {
                #expect(try LeadQueue().claim(f.c, agent: f.asha, now: at - 60) == .empty, "not due before \(at)")
                held = try f.claimDue(f.asha, now: at)
                #expect(held.id == id)
            }
            now = at
            let r = try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .notReachable,
                                     note: "Switched off, retrying later", now: now)
            #expect(r.attempts == i + 1)
            #expect(r.attemptsToday == today)
            #expect(r.nextAt == next)
            if let next {
                #expect(r.state == "retry")
                #expect(r.slaDue == next + 300)
                let row = try f.row(id)
                #expect(row.int("attempts") == i + 1 && row.int("attempts_today") == today)
                #expect(row.date("unanswered_since") == ist(2025, 3, 10, 10))
            } else {
                #expect(r.state == "closed" && r.outcome == "unreachable")
            }
        }
        let row = try f.row(id)
        #expect(row["outcome"] == "unreachable" && row["disposition_text"] == "not_reachable")
        #expect(try f.events(id, "disposition") == 9)
        #expect(try f.events(id, "closed_unreachable") == 1)
        let shown = try desk.leadHistory(f.c, lead: id, now: now)
        #expect(shown.fields.attempts == 9 && shown.fields.attemptsToday == 3)
        #expect(try desk.leadHistory(f.c, lead: id, now: now + day).fields.attemptsToday == 0)
    }

    @Test func aFourthAttemptOnOneLocalDayIsRefused() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: ist(2025, 3, 10, 9))
        // Three calls today (callbacks the customer kept moving), then the customer is unreachable.
        var now = ist(2025, 3, 10, 10)
        var held = try f.claim(f.asha, now: now)
        for _ in 0..<3 {
            let r = try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .callback,
                                     note: "Customer asked to call back in half an hour", at: now + 1800, now: now)
            now += 1800
            held = try f.claimDue(f.asha, now: r.nextAt!)
        }
        #expect(try f.row(id).int("attempts_today") == 3)
        let before = try f.snapshot(id)
        let refused = refusal { try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .notReachable,
                                                 note: "No answer", now: now) }
        #expect(refused?.code == .attemptLimit)
        #expect(try f.snapshot(id) == before)
        // A connected outcome is still recorded: the conversation happened.
        #expect(try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .willPlaceOrder,
                                 note: "Picked up at last, will order tomorrow", now: now).attemptsToday == 4)
    }

    @Test func notReachableOnlyInsideTheCallingWindow() async throws {
        let f = try await DeskFloor.make()
        for at in [ist(2025, 3, 10, 8, 59), ist(2025, 3, 10, 21), ist(2025, 3, 10, 23, 30), ist(2025, 3, 11, 2)] {
            let id = try f.lead(assignedTo: f.asha, createdAt: at - hour)
            let held = try f.claim(f.asha, now: at)
            #expect(held.id == id)
            #expect(refusal { try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .notReachable,
                                               note: "No answer", now: at) }?.code == .outsideCallWindow)
            #expect(try f.row(id).int("attempts") == 0)
        }
        // 09:00 is inside the window, 21:00 is not.
        let early = try f.lead(assignedTo: f.ravi, createdAt: ist(2025, 3, 11, 8))
        let eh = try f.claim(f.ravi, now: ist(2025, 3, 11, 9))
        #expect(try desk.dispose(f.c, lead: early, agent: f.ravi, lease: eh.lease, code: .notReachable,
                                 note: "Switched off", now: ist(2025, 3, 11, 9)).nextAt == ist(2025, 3, 11, 11))
        // 20:00: the next attempt (22:00) would be after the window: tomorrow 09:00.
        let late = try f.lead(assignedTo: f.ravi, createdAt: ist(2025, 3, 10, 19))
        let lh = try f.claim(f.ravi, now: ist(2025, 3, 10, 20))
        let r = try desk.dispose(f.c, lead: late, agent: f.ravi, lease: lh.lease, code: .notReachable,
                                 note: "Switched off", now: ist(2025, 3, 10, 20))
        #expect(r.nextAt == ist(2025, 3, 11, 9))
    }

    // MARK: conversion

    @Test func aConversionMakesOneOrderAndClosesTheLead() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        let order = try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "conv-1",
                                     request: goodOrder, note: "Customer said yes, please place the order", now: t0)
        #expect(order.status == "pending_vendor_assignment")
        #expect(order.lead == id && order.createdBy == f.asha && order.price == 1_450_000)
        #expect(order.pickupSlot == t0 + day)
        let o = try #require(try f.c.query("SELECT *, status::text AS s, payment_method::text AS pm FROM orders WHERE id = $1::bigint",
                                           [order.order]).first)
        #expect(o["s"] == "pending_vendor_assignment")
        #expect(o.int64("created_by") == f.asha)
        #expect(o["conditions"] == "screen=good,body=minor_scratches")
        #expect(o["pm"] == "upi" && o["payment_ref"] == "asha.k@okaxis")
        #expect(o["request_id"] == "conv-1")
        #expect(o.date("consent_at") == t0 && o.date("price_confirmed_at") == t0)
        let row = try f.row(id)
        #expect(row["state_text"] == "closed" && row["outcome"] == "create_order" && row["disposition_text"] == "create_order")
        #expect(row["holder_agent_id"] == nil && row["tier"] == nil)
        #expect(row.int("attempts") == 1 && row.date("last_connected_at") == t0)
        let e = try #require(try f.c.query("""
            SELECT agent_id, disposition::text AS d, note, request_id, payload->>'order' AS o FROM lead_events
            WHERE lead_id = $1::bigint AND kind = 'converted'
            """, [id]).first)
        #expect(e.int64("agent_id") == f.asha && e["d"] == "create_order" && e["request_id"] == "conv-1")
        #expect(e["note"] == "Customer said yes, please place the order")
        #expect(e.int64("o") == order.order)
        // A lead converts at most once.
        #expect(refusal { try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "conv-2",
                                           request: goodOrder, now: t0) }?.code == .alreadyConverted)
        #expect(try f.orders(id) == 1)
        // The price stated on the call, when given, is the order's price.
        let other = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let h2 = try f.claim(f.asha, now: t0)
        #expect(try desk.convert(f.c, lead: other, agent: f.asha, lease: h2.lease, requestID: "conv-3", request: goodOrder,
                                 price: 1_400_000, now: t0).price == 1_400_000)
        #expect(try desk.leadHistory(f.c, lead: other, now: t0).fields.order != nil)
    }

    @Test func everyConversionPreCheckHasItsOwnCodeAndWritesNothing() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        let before = try f.snapshot(id)
        let cases: [(String, ErrorCode, (inout ConversionRequest) -> Void)] = [
            ("no consent", .consentRequired, { $0.consent = nil }),
            ("consent false", .consentRequired, { $0.consent = false }),
            ("price not confirmed", .priceNotConfirmed, { $0.priceConfirmed = false }),
            ("no category", .deviceRequired, { $0.category = nil }),
            ("no brand", .deviceRequired, { $0.brand = " " }),
            ("no model", .deviceRequired, { $0.model = nil }),
            ("no variant", .deviceRequired, { $0.variant = "" }),
            ("no conditions", .conditionsRequired, { $0.conditions = [] }),
            ("no pincode", .pincodeRequired, { $0.pincode = nil }),
            ("bad pincode", .pincodeRequired, { $0.pincode = "056001" }),
            ("short address", .addressRequired, { $0.address = "MG Road" }),
            ("no landmark", .landmarkRequired, { $0.landmark = "  " }),
            ("no slot", .slotRequired, { $0.slot = nil }),
            ("slot in the past", .slotInPast, { $0.slot = self.t0 - 60 }),
            ("slot too far", .slotTooFar, { $0.slot = self.t0 + 15 * self.day }),
            ("no payment method", .paymentRequired, { $0.paymentMethod = nil }),
            ("no payment reference", .paymentRequired, { $0.paymentRef = nil }),
            ("bad upi id", .paymentRequired, { $0.paymentRef = "not-an-upi" }),
            ("bank ref on upi", .paymentRequired, { $0.paymentMethod = .bank; $0.paymentRef = "asha@okaxis" }),
            ("pincode in another city", .pincodeCityMismatch, { $0.pincode = "110001" }),
            ("pincode not served for phones", .notServiceable, { $0.pincode = "110001"; $0.city = " delhi " }),
            ("pincode unknown", .notServiceable, { $0.pincode = "999999" }),
            ("category not served there", .notServiceable, { $0.category = "tablet" }),
            ("unsupported device", .deviceNotSupported, { $0.brand = "Nokia"; $0.model = "3310"; $0.variant = "basic" }),
            ("device not in the catalogue", .deviceNotSupported, { $0.model = "Galaxy A99" }),
        ]
        for (label, expected, change) in cases {
            var request = goodOrder
            change(&request)
            let got = refusal { try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "pre-\(label)",
                                                 request: request, now: t0) }
            #expect(got?.code == expected, "\(label): \(got?.description ?? "accepted")")
        }
        #expect(refusal { try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: nil,
                                           request: goodOrder, now: t0) }?.code == .idemRequired)
        #expect(refusal { try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "",
                                           request: goodOrder, now: t0) }?.code == .idemRequired)
        #expect(try f.snapshot(id) == before)
        #expect(try f.orders(id) == 0)
        #expect(try f.count("SELECT count(*) AS n FROM requests") == 0)
        #expect(try f.events(id, "converted") == 0)
        // Letter case does not matter against the catalogue.
        var lower = goodOrder
        lower.brand = "samsung"; lower.model = "galaxy a54"; lower.category = "Phone"
        #expect(try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "ok", request: lower, now: t0).status
                == "pending_vendor_assignment")
    }

    @Test func aConversionFailingHalfWayLeavesNoOrderAndNoChangedLead() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        let before = try f.snapshot(id)
        // 1. The converted event fails after the order row and the lead update were written.
        try f.c.execute(script: """
            CREATE FUNCTION fail_converted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.kind = 'converted' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER fail_converted BEFORE INSERT ON lead_events FOR EACH ROW EXECUTE FUNCTION fail_converted();
            """)
        #expect(throws: PostgresError.self) {
            try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "half", request: goodOrder, now: t0)
        }
        #expect(try f.orders(id) == 0)
        #expect(try f.snapshot(id) == before)
        #expect(try f.count("SELECT count(*) AS n FROM requests") == 0)
        try f.c.execute(script: "DROP TRIGGER fail_converted ON lead_events")
        // 2. The idempotency record fails last: the order goes with it.
        try f.c.execute(script: """
            CREATE FUNCTION fail_reply() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'injected failure'; END $$;
            CREATE TRIGGER fail_reply BEFORE UPDATE ON requests FOR EACH ROW EXECUTE FUNCTION fail_reply();
            """)
        #expect(throws: PostgresError.self) {
            try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "half", request: goodOrder, now: t0)
        }
        #expect(try f.orders(id) == 0)
        #expect(try f.snapshot(id) == before)
        #expect(try f.events(id, "converted") == 0)
        try f.c.execute(script: "DROP TRIGGER fail_reply ON requests")
        // Nothing was remembered, so the same request id now converts.
        let order = try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "half", request: goodOrder, now: t0)
        #expect(order.lead == id)
        #expect(try f.orders(id) == 1)
    }

    // MARK: idempotency

    @Test func aRetriedDispositionReturnsTheFirstReplyAndWritesNothing() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        let at = t0 + 2 * hour
        let first = try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .callback, note: "Call at 1 PM",
                                     at: at, requestID: "d-1", now: t0)
        // Later, after the lease ended and with `at` now in the past: still the first reply.
        let again = try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .callback, note: "Call at 1 PM",
                                     at: at, requestID: "d-1", now: at + hour)
        #expect(again == first)
        #expect(try f.events(id, "disposition") == 1)
        #expect(try f.row(id).int("attempts") == 1)
        // The same id with other arguments, or for another verb, is a conflict.
        #expect(refusal { try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .callback, note: "Call at 2 PM",
                                           at: at + hour, requestID: "d-1", now: t0) }?.code == .conflict)
        #expect(refusal { try desk.addNote(f.c, lead: id, agent: f.asha, text: "Call at 1 PM", requestID: "d-1", now: t0) }?.code
                == .conflict)
        // Ids are per agent: ravi's d-1 is another request (refused here by the lease, not CONFLICT).
        #expect(refusal { try desk.dispose(f.c, lead: id, agent: f.ravi, lease: held.lease, code: .callback, note: "Call at 1 PM",
                                           at: at, requestID: "d-1", now: t0) }?.code == .leaseLost)
        #expect(try f.events(id, "disposition") == 1)
    }

    @Test func aRetriedConversionMakesExactlyOneOrder() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        let first = try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "c-1", request: goodOrder, now: t0)
        let again = try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "c-1", request: goodOrder, now: t0 + 60)
        #expect(again == first)
        #expect(try f.orders(id) == 1)
        #expect(try f.events(id, "converted") == 1)
        var other = goodOrder
        other.landmark = "Behind the temple"
        #expect(refusal { try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "c-1",
                                           request: other, now: t0) }?.code == .conflict)
        #expect(try f.orders(id) == 1)
    }

    @Test func twoConcurrentIdenticalRetriesWriteOnceAndBothGetTheWinnersReply() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        let blocker = try PostgresConnection(conninfo: f.conninfo)
        let a = try PostgresConnection(conninfo: f.conninfo)
        let b = try PostgresConnection(conninfo: f.conninfo)
        let watcher = try PostgresConnection(conninfo: f.conninfo)
        // Hold the lead row so the first call stops after taking the request id.
        try blocker.query("BEGIN")
        try blocker.query("SELECT id FROM leads WHERE id = $1::bigint FOR UPDATE", [id])
        func waiting() throws -> Int {
            try watcher.query("""
                SELECT count(*) AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
                """).first?.int("n") ?? 0
        }
        func waitFor(_ n: Int) async throws {
            var tries = 0
            while try waiting() < n, tries < 500 {
                tries += 1
                try await Task.sleep(nanoseconds: 10_000_000)
            }
            #expect(try waiting() == n)
        }
        let desk = self.desk, lease = held.lease, agent = f.asha, now = t0
        let call: @Sendable (PostgresConnection) throws -> DispositionResult = { c in
            try desk.dispose(c, lead: id, agent: agent, lease: lease, code: .waitingForQuote,
                             note: "Wants a quote comparison", requestID: "race", now: now)
        }
        let first = Task { try await onThread { try call(a) } }
        try await waitFor(1)   // a holds the request id, waits for the lead row
        let second = Task { try await onThread { try call(b) } }
        try await waitFor(2)   // b waits on a's request id
        try blocker.query("COMMIT")
        let r1 = try await first.value
        let r2 = try await second.value
        #expect(r1 == r2)
        #expect(r1.state == "follow_up")
        #expect(try f.events(id, "disposition") == 1)
        #expect(try f.count("SELECT count(*) AS n FROM requests WHERE request_id = 'race'") == 1)
    }

    // MARK: escalations

    @Test func escalationsAreLoggedAndListedForTheirTargetTeam() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let e = try desk.escalate(f.c, lead: id, agent: f.asha, to: .pricing,
                                  summary: "Customer has a competitor quote of Rs 15,500", ask: "Can we match Rs 15,500?",
                                  requestID: "esc-1", now: t0)
        #expect(e.target == "pricing" && e.status == "open" && e.lead == id && e.agent == f.asha && e.agentName == "asha")
        #expect(e.team == f.blr && e.createdAt == t0)
        let again = try desk.escalate(f.c, lead: id, agent: f.asha, to: .pricing,
                                      summary: "Customer has a competitor quote of Rs 15,500", ask: "Can we match Rs 15,500?",
                                      requestID: "esc-1", now: t0 + 60)
        #expect(again == e)
        _ = try desk.escalate(f.c, lead: id, agent: f.tl, to: .ops, summary: "Pickup missed twice", ask: "Confirm a slot tomorrow",
                              now: t0 + 120)
        #expect(try desk.escalations(f.c, team: f.blr, target: .pricing, status: .open).map(\.id) == [e.id])
        #expect(try desk.escalations(f.c, team: f.blr, target: .cx, status: .open).isEmpty)
        let all = try desk.escalations(f.c, team: f.blr, status: nil)
        #expect(all.map(\.target) == ["ops", "pricing"])  // newest first
        #expect(try desk.escalations(f.c, team: f.del, target: .pricing, status: .open).isEmpty)
        #expect(try desk.escalations(f.c, team: nil, target: .ops, status: .open, lead: id).count == 1)
        #expect(try desk.escalations(f.c, team: f.blr, status: .resolved).isEmpty)
        #expect(e.target == "pricing")
        let ev = try #require(try f.c.query("""
            SELECT agent_id, note, payload->>'to' AS t, payload->>'ask' AS a FROM lead_events
            WHERE lead_id = $1::bigint AND kind = 'escalated' ORDER BY id LIMIT 1
            """, [id]).first)
        #expect(ev.int64("agent_id") == f.asha && ev["t"] == "pricing" && ev["a"] == "Can we match Rs 15,500?")
        #expect(try f.events(id, "escalated") == 2)
        // Refusals.
        #expect(refusal { try desk.escalate(f.c, lead: id, agent: f.dev, to: .cx, summary: "s", ask: "a", now: t0) }?.code == .denied)
        #expect(refusal { try desk.escalate(f.c, lead: id, agent: f.asha, to: .cx, summary: " ", ask: "a", now: t0) }?.code == .badArg)
        #expect(refusal { try desk.escalate(f.c, lead: id, agent: f.asha, to: .cx, summary: "s", ask: nil, now: t0) }?.code == .badArg)
        #expect(refusal { try desk.escalate(f.c, lead: 999_999, agent: f.asha, to: .cx, summary: "s", ask: "a", now: t0) }?.code
                == .notFound)
        // An admin may escalate any team's lead.
        #expect(try desk.escalate(f.c, lead: id, agent: f.admin, to: .cx, summary: "Complaint", ask: "Call the customer",
                                  now: t0).target == "cx")
    }

    // MARK: notes

    @Test func notesComeFromTheHolderOrATeamLead() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        // Not held: a plain agent is denied, the team lead and the admin may write.
        #expect(refusal { try desk.addNote(f.c, lead: id, agent: f.asha, text: "Prefers Hindi", now: t0) }?.code == .denied)
        let byLead = try desk.addNote(f.c, lead: id, agent: f.tl, text: "  Prefers Hindi, call after 6 PM ", now: t0)
        #expect(byLead.lead == id && byLead.at == t0)
        #expect(try desk.addNote(f.c, lead: id, agent: f.admin, text: "VIP customer", now: t0).lead == id)
        #expect(refusal { try desk.addNote(f.c, lead: id, agent: f.dtl, text: "Not my team", now: t0) }?.code == .denied)
        // Held by asha: asha may, ravi gets LEASE_HELD, the team lead still may.
        let held = try f.claim(f.asha, now: t0)
        let mine = try desk.addNote(f.c, lead: id, agent: f.asha, text: "Customer asked about the pickup time",
                                    requestID: "n-1", now: t0 + 60)
        #expect(try desk.addNote(f.c, lead: id, agent: f.asha, text: "Customer asked about the pickup time",
                                 requestID: "n-1", now: t0 + 90) == mine)
        #expect(refusal { try desk.addNote(f.c, lead: id, agent: f.ravi, text: "Me too", now: t0) }?.code == .leaseHeld)
        #expect(refusal { try desk.addNote(f.c, lead: id, agent: f.dtl, text: "Me too", now: t0) }?.code == .leaseHeld)
        #expect(try desk.addNote(f.c, lead: id, agent: f.tl, text: "Offer the WhatsApp follow-up", now: t0 + 120).lead == id)
        #expect(refusal { try desk.addNote(f.c, lead: id, agent: f.asha, text: " \n ", now: t0) }?.code == .noteRequired)
        // After the lease ran out, asha's note is refused as LEASE_LOST.
        #expect(refusal { try desk.addNote(f.c, lead: id, agent: f.asha, text: "Late", now: held.leaseExpiresAt) }?.code == .leaseLost)
        #expect(refusal { try desk.addNote(f.c, lead: 999_999, agent: f.tl, text: "x", now: t0) }?.code == .notFound)
        let notes = try f.c.query("""
            SELECT a.name, e.note, e.at, e.lease_gen FROM lead_events e JOIN agents a ON a.id = e.agent_id
            WHERE e.lead_id = $1::bigint AND e.kind = 'note' ORDER BY e.id
            """, [id]).rows
        #expect(notes.map { $0["name"] } == ["tl", "admin", "asha", "tl"])
        #expect(notes[0]["note"] == "Prefers Hindi, call after 6 PM")
        #expect(notes[2].int64("lease_gen") == held.lease && notes[0]["lease_gen"] == nil)
        #expect(notes[2].date("at") == t0 + 60)
        // A note is not a call attempt, and the lead is still held by asha.
        let row = try f.row(id)
        #expect(row["state_text"] == "follow_up" && row.int("attempts") == 0 && row.int64("holder_agent_id") == f.asha)
    }

    @Test func aNoteTakesALeadOutOfNotCalled() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: nil, createdAt: t0 - hour)
        let slaBefore = try f.row(id).date("sla_due_at")
        #expect(try f.row(id).int("tier") == 2)
        _ = try desk.addNote(f.c, lead: id, agent: f.tl, text: "Customer wrote in on WhatsApp asking for a call", now: t0)
        let row = try f.row(id)
        #expect(row["state_text"] == "follow_up" && row.int("tier") == 3 && row.date("next_action_at") == t0)
        #expect(row.date("sla_due_at") == slaBefore && row.int("attempts") == 0)
        // Due at once, from the callback/follow-up tier; a second note changes nothing more.
        _ = try desk.addNote(f.c, lead: id, agent: f.tl, text: "Second note from the team lead", now: t0 + 60)
        #expect(try f.row(id).date("next_action_at") == t0)
        let held = try f.claim(f.asha, now: t0 + 120)
        #expect(held.id == id && held.view == "callback")
    }

    @Test func concurrentNotesOnOneLeadAllLand() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: nil, createdAt: t0 - hour)
        let desk = self.desk, tl = f.tl, info = f.conninfo, now = t0
        try await withThrowingTaskGroup(of: NoteResult.self) { group in
            for i in 0..<6 {
                group.addTask {
                    try await onThread {
                        let c = try PostgresConnection(conninfo: info)
                        defer { c.close() }
                        return try desk.addNote(c, lead: id, agent: tl, text: "Note number \(i) from the team lead", now: now)
                    }
                }
            }
            for try await note in group { #expect(note.lead == id) }
        }
        #expect(try f.events(id, "note") == 6)
        #expect(try f.row(id)["state_text"] == "follow_up")
    }

    // MARK: cancellations

    @Test func aTeamLeadCancelsAnOrderAndTheHistoryShowsIt() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        let order = try desk.convert(f.c, lead: id, agent: f.asha, lease: held.lease, requestID: "c", request: goodOrder, now: t0)
        let later = t0 + 3 * hour
        #expect(refusal { try desk.cancelOrder(f.c, order: order.order, agent: f.asha, reason: "Price dispute", now: later) }?.code
                == .denied)
        #expect(refusal { try desk.cancelOrder(f.c, order: order.order, agent: f.dtl, reason: "Price dispute", now: later) }?.code
                == .denied)
        #expect(refusal { try desk.cancelOrder(f.c, order: order.order, agent: f.tl, reason: "  ", now: later) }?.code == .badArg)
        #expect(refusal { try desk.cancelOrder(f.c, order: 999_999, agent: f.tl, reason: "x", now: later) }?.code == .notFound)
        let cancelled = try desk.cancelOrder(f.c, order: order.order, agent: f.tl,
                                             reason: "Customer says they did not agree to Rs 14,500", requestID: "k-1", now: later)
        #expect(cancelled.status == "cancelled" && cancelled.cancelledAt == later && cancelled.lead == id)
        #expect(cancelled.cancelReason == "Customer says they did not agree to Rs 14,500")
        #expect(try desk.cancelOrder(f.c, order: order.order, agent: f.tl, reason: "Customer says they did not agree to Rs 14,500",
                                     requestID: "k-1", now: later + 60) == cancelled)
        #expect(refusal { try desk.cancelOrder(f.c, order: order.order, agent: f.tl, reason: "again", now: later) }?.code == .conflict)
        let o = try #require(try f.c.query("SELECT status::text AS s, cancelled_by, cancel_reason FROM orders WHERE id = $1::bigint",
                                           [order.order]).first)
        #expect(o["s"] == "cancelled" && o.int64("cancelled_by") == f.tl)
        let history = try desk.leadHistory(f.c, lead: id, now: later)
        let last = try #require(history.events.last)
        #expect(last.kind == "order_cancelled" && last.agent == "tl" && last.note == "Customer says they did not agree to Rs 14,500")
        #expect(history.orderStatus == "cancelled" && history.orderID == order.order)
        #expect(last.order == order.order)
        #expect(try f.events(id, "order_cancelled") == 1)
        // An admin of another team may cancel too.
        let id2 = try f.lead(assignedTo: f.ravi, createdAt: t0 - hour)
        let h2 = try f.claim(f.ravi, now: t0)
        let o2 = try desk.convert(f.c, lead: id2, agent: f.ravi, lease: h2.lease, requestID: "c2", request: goodOrder, now: t0)
        #expect(try desk.cancelOrder(f.c, order: o2.order, agent: f.admin, reason: "Duplicate order", now: later).status == "cancelled")
    }

    // MARK: history and release

    @Test func leadHistoryShowsFieldsAndEventsInOrder() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        _ = try desk.addNote(f.c, lead: id, agent: f.asha, text: "Customer wants to talk to family first", now: t0 + 60)
        let at = ist(2025, 3, 11, 18)
        _ = try desk.dispose(f.c, lead: id, agent: f.asha, lease: held.lease, code: .callback, note: "Callback tomorrow 6 PM",
                             at: at, requestID: "h-1", now: t0 + 120)
        let h = try desk.leadHistory(f.c, lead: id, now: t0 + 180)
        #expect(h.id == id && h.teamID == f.blr && h.state == "callback")
        // The §11 fields this lead has (the reply's order is RepliesTests' business)…
        let v = h.fields
        #expect(v.phone != nil && v.name != nil && v.city != nil && v.pincode != nil && v.category != nil && v.brand != nil
                && v.model != nil && v.variant != nil && v.conditions != nil && v.price != nil && v.source != nil
                && v.createdAt != nil && v.highEnd == false && v.starred == false)
        // …and those it has not: no language, campaign, outcome, boost, assignee, holder or order.
        #expect(v.language == nil && v.campaign == nil && v.outcome == nil && v.boostUntil == nil && v.assigned == nil
                && v.holder == nil && v.heldUntil == nil && v.order == nil)
        #expect(v.state == "callback" && v.nextAt == at && v.callbackAgent == "asha")
        #expect(v.attempts == 1 && v.attemptsToday == 1)
        #expect(v.lastCode == "callback" && v.team == "blr")
        #expect(v.slaDueAt == at + 300 && v.slaBreached == false)
        #expect(h.events.map(\.kind) == ["claimed", "note", "disposition"])
        let d = h.events[2]
        #expect(d.disposition == "callback" && d.note == "Callback tomorrow 6 PM" && d.requestID == "h-1" && d.lease == held.lease)
        #expect(d.agent == "asha" && d.at == t0 + 120 && d.nextAt == at)
        #expect(d.reason == nil && d.to == nil && d.order == nil && d.from == nil && d.signal == nil && d.boostUntil == nil
                && !d.forced)
        #expect(h.events[0].kind == "claimed" && h.events[0].agent == "asha" && h.events[0].lease == held.lease
                && h.events[0].disposition == nil && h.events[0].note == nil && h.events[0].nextAt == nil)
        // While held, LEAD SHOW names the holder and the lease expiry.
        let other = try f.lead(assignedTo: f.ravi, createdAt: t0 - hour)
        let oh = try f.claim(f.ravi, now: t0)
        let shown = try desk.leadHistory(f.c, lead: other, now: t0 + 60)
        #expect(shown.fields.holder == "ravi" && shown.fields.heldUntil == oh.leaseExpiresAt)
        #expect(shown.fields.assigned == "ravi" && shown.fields.state == "new" && shown.fields.nextAt == nil)
        #expect(try desk.leadHistory(f.c, lead: other, now: oh.leaseExpiresAt).fields.holder == nil)
        #expect(try desk.leadHistory(f.c, lead: id, now: t0, events: 1).events.map(\.kind) == ["disposition"])
        #expect(refusal { try desk.leadHistory(f.c, lead: 999_999, now: t0) }?.code == .notFound)
    }

    @Test func releaseNeedsANoteAndIsIdempotent() async throws {
        let f = try await DeskFloor.make()
        let id = try f.lead(assignedTo: f.asha, createdAt: t0 - hour)
        let held = try f.claim(f.asha, now: t0)
        #expect(refusal { try desk.release(f.c, lead: id, agent: f.asha, lease: held.lease, note: "  ", requestID: "r-1", now: t0) }?
            .code == .noteRequired)
        let r = try desk.release(f.c, lead: id, agent: f.asha, lease: held.lease, note: "Wrong language, back to the pool",
                                 requestID: "r-1", now: t0)
        #expect(try desk.release(f.c, lead: id, agent: f.asha, lease: held.lease, note: "Wrong language, back to the pool",
                                 requestID: "r-1", now: t0 + 60) == r)
        #expect(r.state == "new" && r.lead == id)
        #expect(try f.events(id, "released") == 1)
        #expect(try f.row(id)["holder_agent_id"] == nil)
    }
}
