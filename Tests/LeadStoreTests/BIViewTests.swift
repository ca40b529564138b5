import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// An instant on a wall clock.
private func wall(_ zone: String, _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: zone)!
    return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
}

private func ist(_ day: Int, _ hour: Int, _ minute: Int = 0) -> Date { wall("Asia/Kolkata", 2025, 3, day, hour, minute) }

/// `yyyy-MM-dd` of `date` on the wall clock of `zone`.
private func localDay(_ date: Date, _ zone: String) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: zone)!
    let p = calendar.dateComponents([.year, .month, .day], from: date)
    return String(format: "%04d-%02d-%02d", p.year!, p.month!, p.day!)
}

/// `100 × part ÷ whole`, rounded to one decimal as the views do; nil when whole is 0.
private func pct(_ part: Int, _ whole: Int) -> Double? {
    whole == 0 ? nil : (1000.0 * Double(part) / Double(whole)).rounded() / 10
}

/// PostgreSQL's percentile_cont(0.9) over `values`.
private func p90(_ values: [Double]) -> Double? {
    let v = values.sorted()
    guard !v.isEmpty else { return nil }
    let pos = 0.9 * Double(v.count - 1)
    let lo = Int(pos.rounded(.down))
    let hi = min(lo + 1, v.count - 1)
    return v[lo] + (pos - Double(lo)) * (v[hi] - v[lo])
}

private func round1(_ x: Double?) -> Double? { x.map { ($0 * 10).rounded() / 10 } }

/// One call as the test made it: the oracle the views are compared with.
private struct Call {
    let lead: Int64
    let agent: Int64
    let team: String
    let zone: String
    let startedAt: Date
    let at: Date
    let code: Disposition
    let reason: NonConversionReason?
    let note: String?
    let highEnd: Bool

    var connected: Bool { code.isConnected }
    var converted: Bool { code == .createOrder }
    var meaningful: Bool { note.map(Note.isMeaningful) ?? false }
    var day: String { localDay(at, zone) }
}

/// A callback or follow-up an agent scheduled, and the call that answered it.
private struct Scheduled {
    let lead: Int64
    let team: String
    let owner: Int64
    /// When it was set: the end of the call that scheduled it.
    let setAt: Date
    let kind: String          // callback | follow_up | retry
    let time: Date
    let due: Date             // time + the team's grace (5 min)
    let zone: String
    var day: String { localDay(time, zone) }
}

/// One known day of a sales floor, made through the service's own store functions
/// (LEAD ADD's statement, LeadQueue claims and background passes, CallDesk dispositions,
/// conversions and releases) on a controlled clock. Team blr (Asia/Kolkata): asha
/// (senior, covers Bengaluru only) and ravi; team nyc (America/New_York): ny1.
///
/// Monday 10 March 2025, IST:
/// - L1 High End, created 10:00: asha claims 10:05, converts 10:10.
/// - L2 High End, created 10:01: asha claims 10:20 (after its 10:16 deadline), Not Interested
///   (price too low) 10:25.
/// - L3, created 09:30: ravi 11:00 Not Reachable ("RNR") 11:02 → retry 13:02; ravi 13:05
///   → callback for 16:00 (13:08); ravi claims it 16:01, converts 16:06 (no note).
/// - L4, created 09:45: ravi 12:00 → callback for 15:00 (12:05); ravi misses it, asha takes
///   it from the pool at 15:30 → Waiting for Quote without a date (15:33) → follow-up 24 h on.
/// - L5 (Mumbai), created 10:30: ravi claims it at 17:00 and releases it unworked: never called.
/// - L6, created 13:30: asha 14:00 → Wrong Number, note "wrong number" (not meaningful) 14:03.
/// - L8, created 16:30: asha 17:10 → callback for 18:00 (17:13), which nobody makes.
/// - nyc L7, created 22:00 New York time (03:00 UTC the next day): ny1 22:30 → Not Interested
///   (busy, later) 22:35: it counts on 10 March, the team's local day.
/// Rollups refreshed as of Tuesday 11 March 09:00 IST.
private struct KnownDay {
    let floor: Floor
    let c: PostgresConnection
    let asha: Int64, ravi: Int64, ny1: Int64
    var leads: [String: Int64] = [:]
    var created: [Int64: Date] = [:]
    var highEnd: Set<Int64> = []
    var calls: [Call] = []
    var scheduled: [Scheduled] = []
    let asOf = ist(11, 9)
    static let day = "2025-03-10"

    static func build() async throws -> KnownDay {
        let floor = try await Floor.make()
        try floor.team("blr")
        try floor.team("nyc", timeZone: "America/New_York")
        let asha = try floor.agent("asha", team: "blr", role: "senior", cities: ["Bengaluru"])
        let ravi = try floor.agent("ravi", team: "blr")
        let ny1 = try floor.agent("ny1", team: "nyc", role: "senior")
        var d = KnownDay(floor: floor, c: try floor.connect(), asha: asha, ravi: ravi, ny1: ny1)
        try d.play()
        return d
    }

    mutating func lead(_ name: String, team: String = "blr", city: String = "Bengaluru", pincode: String = "560001",
                       highEnd: Bool = false, created: Date) throws {
        let id = try floor.lead(team: team, city: city, pincode: pincode, highEnd: highEnd, createdAt: created)
        leads[name] = id
        self.created[id] = created
        if highEnd { self.highEnd.insert(id) }
    }

    func claim(_ agent: Int64, _ now: Date, _ view: View? = nil) throws -> ClaimedLead {
        guard case .claimed(let lead) = try LeadQueue().claim(c, agent: agent, now: now, view: view) else {
            throw Refusal(.empty, "nothing to claim for agent \(agent) at \(now)")
        }
        return lead
    }

    /// Claims at `start` and disposes at `end`, recording the call (and what it scheduled).
    mutating func call(_ agent: Int64, _ expected: String, start: Date, end: Date, _ code: Disposition, note: String,
                       at: Date? = nil, reason: NonConversionReason? = nil, view: View? = nil,
                       team: String = "blr", zone: String = "Asia/Kolkata") throws {
        let held = try claim(agent, start, view)
        #expect(held.id == leads[expected], "agent \(agent) at \(start) should hold \(expected)")
        let result = try CallDesk().dispose(c, lead: held.id, agent: agent, lease: held.lease, code: code, note: note, at: at,
                                            reason: reason, now: end)
        calls.append(Call(lead: held.id, agent: agent, team: team, zone: zone, startedAt: start, at: end, code: code,
                          reason: reason, note: note, highEnd: highEnd.contains(held.id)))
        if let next = result.nextAt, result.state != "closed" {
            let kind = result.state == "callback" ? "callback" : result.state == "retry" ? "retry" : "follow_up"
            scheduled.append(Scheduled(lead: held.id, team: team, owner: agent, setAt: end, kind: kind, time: next,
                                       due: next.addingTimeInterval(300), zone: zone))
        }
    }

    mutating func convert(_ agent: Int64, _ expected: String, start: Date, end: Date, note: String?, view: View? = nil) throws {
        let held = try claim(agent, start, view)
        #expect(held.id == leads[expected], "agent \(agent) at \(start) should hold \(expected)")
        let he = highEnd.contains(held.id)
        let request = ConversionRequest(
            consent: true, priceConfirmed: true, category: "phone", brand: he ? "Apple" : "Samsung",
            model: he ? "iPhone 15 Pro" : "Galaxy A54", variant: he ? "256GB" : "128GB", conditions: ["screen=good"],
            pincode: "560001", address: "12, 3rd Cross, MG Road", landmark: "Opposite the metro station",
            slot: end.addingTimeInterval(86_400), paymentMethod: .upi, paymentRef: "customer@okaxis")
        _ = try CallDesk().convert(c, lead: held.id, agent: agent, lease: held.lease, requestID: "conv-\(held.id)",
                                   request: request, note: note, now: end)
        calls.append(Call(lead: held.id, agent: agent, team: "blr", zone: "Asia/Kolkata", startedAt: start, at: end,
                          code: .createOrder, reason: nil, note: note, highEnd: he))
    }

    mutating func play() throws {
        let queue = LeadQueue()
        try lead("L3", created: ist(10, 9, 30))
        try lead("L4", created: ist(10, 9, 45))
        try lead("L1", highEnd: true, created: ist(10, 10, 0))
        try lead("L2", highEnd: true, created: ist(10, 10, 1))
        try lead("L5", city: "Mumbai", pincode: "400001", created: ist(10, 10, 30))

        try convert(asha, "L1", start: ist(10, 10, 5), end: ist(10, 10, 10),
                    note: "Customer confirmed pickup slot and UPI details; order created", view: .highEnd)
        try call(asha, "L2", start: ist(10, 10, 20), end: ist(10, 10, 25), .notInterested,
                 note: "Customer feels the price is too low for the condition", reason: .priceTooLow, view: .highEnd)
        try call(ravi, "L3", start: ist(10, 11, 0), end: ist(10, 11, 2), .notReachable, note: "RNR")
        try call(ravi, "L4", start: ist(10, 12, 0), end: ist(10, 12, 5), .callback,
                 note: "Customer busy at work, asked for a call at 3 PM", at: ist(10, 15, 0))
        _ = try queue.tick(c, now: ist(10, 13, 5))
        try call(ravi, "L3", start: ist(10, 13, 5), end: ist(10, 13, 8), .callback,
                 note: "Spoke to the customer, wants a call at 4 PM after school pickup", at: ist(10, 16, 0), view: .callback)
        try lead("L6", created: ist(10, 13, 30))
        try call(asha, "L6", start: ist(10, 14, 0), end: ist(10, 14, 3), .wrongNumber, note: "wrong number", view: .notCalled)
        _ = try queue.tick(c, now: ist(10, 15, 0))     // L4's callback comes due, reserved for ravi
        _ = try queue.tick(c, now: ist(10, 15, 6))     // ravi did not come: the team gets it (and a breach)
        try call(asha, "L4", start: ist(10, 15, 30), end: ist(10, 15, 33), .waitingForQuote,
                 note: "Waiting for a competitor quote, will decide tomorrow", view: .callback)
        _ = try queue.tick(c, now: ist(10, 16, 0))
        try convert(ravi, "L3", start: ist(10, 16, 1), end: ist(10, 16, 6), note: nil)
        try lead("L8", created: ist(10, 16, 30))
        let held = try claim(ravi, ist(10, 17, 0))
        #expect(held.id == leads["L5"])
        _ = try CallDesk().release(c, lead: held.id, agent: ravi, lease: held.lease, note: "Picked by mistake, giving it back",
                                   now: ist(10, 17, 2))
        try call(asha, "L8", start: ist(10, 17, 10), end: ist(10, 17, 13), .callback,
                 note: "Customer asked for a call at 6 PM sharp", at: ist(10, 18, 0), view: .notCalled)
        _ = try queue.tick(c, now: ist(10, 18, 30))

        let ny = "America/New_York"
        try lead("L7", team: "nyc", created: wall(ny, 2025, 3, 10, 22, 0))
        try call(ny1, "L7", start: wall(ny, 2025, 3, 10, 22, 30), end: wall(ny, 2025, 3, 10, 22, 35), .notInterested,
                 note: "Customer says busy this week, not interested now", reason: .busyLater, team: "nyc", zone: ny)

        let refreshed = try BIRollup().refresh(c, now: asOf)
        #expect(refreshed != nil)
        try c.query("SELECT set_config('leadline.bi_now', $1::text, false)", [PostgresTime.format(asOf)])
    }

    // MARK: reading the views

    func rows(_ sql: String, _ params: [any PostgresBindable] = []) throws -> [Row] {
        try c.query(sql, params).rows
    }

    func one(_ sql: String, _ params: [any PostgresBindable] = []) throws -> Row {
        let r = try rows(sql, params)
        #expect(r.count == 1, "expected one row from \(sql) \(params.map { $0.postgresText ?? "NULL" })")
        return r.first ?? Row(index: [:], values: [])
    }

    // MARK: the oracle

    /// The per-agent (or per-team when agent is nil) KPIs of item 1 from the recorded calls.
    func expected(team: String, agent: Int64?, days: Set<String>) -> [String: Double?] {
        let mine = calls.filter { $0.team == team && days.contains($0.day) && (agent == nil || $0.agent == agent) }
        let connectedLeads = Set(mine.filter(\.connected).map(\.lead))
        let orders = mine.filter(\.converted).count
        let heConnected = Set(mine.filter { $0.connected && $0.highEnd }.map(\.lead))
        let heOrders = mine.filter { $0.converted && $0.highEnd }.count
        // First attempts: each lead's first call, credited to whoever made it.
        var firsts: [Double] = []
        for lead in Set(calls.map(\.lead)) {
            guard let first = calls.filter({ $0.lead == lead }).min(by: { $0.at < $1.at }),
                  first.team == team, days.contains(first.day), agent == nil || first.agent == agent else { continue }
            firsts.append(first.at.timeIntervalSince(created[lead]!) / 60)
        }
        // Callbacks the agent (or team) scheduled, by the day they were due, and their answering call.
        let callbacks = scheduled.filter { $0.kind == "callback" && $0.team == team && days.contains($0.day) && (agent == nil || $0.owner == agent) }
        var onTime = 0, attempted = 0, converted = 0, due = 0
        for cb in callbacks {
            let call = answer(cb)
            if let call {
                attempted += 1
                if call.startedAt <= cb.due { onTime += 1 }
                if call.converted { converted += 1 }
            }
            if call != nil || cb.due <= asOf { due += 1 }
        }
        let meaningful = mine.filter(\.meaningful).count
        // Per-associate coverage: of the leads first called by this agent (team) in the period.
        var firstLeads: [(lead: Int64, first: Call)] = []
        for lead in Set(calls.map(\.lead)) {
            guard let first = calls.filter({ $0.lead == lead }).min(by: { $0.at < $1.at }),
                  first.team == team, days.contains(first.day), agent == nil || first.agent == agent else { continue }
            firstLeads.append((lead, first))
        }
        let within1h = firstLeads.filter { $0.first.at.timeIntervalSince(created[$0.lead]!) <= 3600 }.count
        let sameDay = firstLeads.filter { $0.first.day == localDay(created[$0.lead]!, $0.first.zone) }.count
        let within24h = firstLeads.filter { $0.first.at.timeIntervalSince(created[$0.lead]!) <= 86_400 }.count
        let leadCalls = { (lead: Int64) in calls.filter { $0.lead == lead } }
        let threePlus = firstLeads.filter { leadCalls($0.lead).count >= 3 }.count
        let covered = firstLeads.filter { f in
            let all = leadCalls(f.lead)
            return all.count >= 3 || all.contains { $0.connected || [.wrongNumber, .notServiceable, .deviceNotSupported, .createOrder].contains($0.code) }
        }.count
        let normalConnected = Set(mine.filter { $0.connected && !$0.highEnd }.map(\.lead)).count
        let normalOrders = mine.filter { $0.converted && !$0.highEnd }.count
        return [
            "normal_leads_connected": Double(normalConnected),
            "normal_orders": Double(normalOrders),
            "normal_conversion_pct": pct(normalOrders, normalConnected),
            "first_called_within_1h": Double(within1h),
            "first_called_within_1h_pct": pct(within1h, firstLeads.count),
            "first_called_same_day": Double(sameDay),
            "first_called_same_day_pct": pct(sameDay, firstLeads.count),
            "first_called_within_24h": Double(within24h),
            "first_called_within_24h_pct": pct(within24h, firstLeads.count),
            "first_called_with_3_attempts": Double(threePlus),
            "first_called_with_3_attempts_pct": pct(threePlus, firstLeads.count),
            "first_called_covered": Double(covered),
            "first_called_covered_pct": pct(covered, firstLeads.count),
            "calls_made": Double(mine.count),
            "connected_calls": Double(mine.filter(\.connected).count),
            "leads_contacted": Double(Set(mine.map(\.lead)).count),
            "leads_connected": Double(connectedLeads.count),
            "orders_created": Double(orders),
            "lead_to_order_pct": pct(orders, connectedLeads.count),
            "high_end_leads_connected": Double(heConnected.count),
            "high_end_orders": Double(heOrders),
            "high_end_conversion_pct": pct(heOrders, heConnected.count),
            "callbacks_due": Double(due),
            "callbacks_on_time": Double(onTime),
            "callbacks_missed": Double(due - onTime),
            "callback_on_time_pct": pct(onTime, due),
            "callbacks_attempted": Double(attempted),
            "callbacks_converted": Double(converted),
            "callback_conversion_pct": pct(converted, attempted),
            "meaningful_note_calls": Double(meaningful),
            "meaningful_note_pct": pct(meaningful, mine.count),
            "first_attempts": Double(firsts.count),
            "avg_first_attempt_min": firsts.isEmpty ? nil : round1(firsts.reduce(0, +) / Double(firsts.count)),
            "p90_first_attempt_min": round1(p90(firsts)),
        ]
    }

    /// The call that answered a scheduled step: the lead's next call after the one that set it.
    func answer(_ s: Scheduled) -> Call? {
        calls.filter { $0.lead == s.lead && $0.at > s.setAt }.min { $0.at < $1.at }
    }

    /// Compares every KPI column of one view row with the oracle.
    func check(_ row: Row, _ want: [String: Double?], _ label: String) {
        for (column, value) in want {
            let got = row.double(column)
            switch (got, value) {
            case (nil, nil): break
            case (let g?, let w?): #expect(abs(g - w) < 0.051, "\(label) \(column): view \(g), by hand \(w)")
            default: Issue.record("\(label) \(column): view \(String(describing: got)), by hand \(String(describing: value))")
            }
        }
    }
}

@Suite("BI views: every SOP KPI from SQL, the read-only role, the rollups")
struct BIViewTests {
    @Test func perAgentAndTeamKPIsMatchAHandCount() async throws {
        let d = try await KnownDay.build()
        let day = KnownDay.day
        // The headline numbers, spelled out (the oracle below recomputes all of them).
        let ashaDay = try d.one("SELECT * FROM bi.agent_day WHERE agent = 'asha' AND day = $1::date", [day])
        #expect(ashaDay.int("calls_made") == 5)          // L1 convert, L2, L6, L4, L8
        #expect(ashaDay.int("leads_connected") == 4)     // L1, L2, L4, L8 (a wrong number is not connected)
        #expect(ashaDay.int("orders_created") == 1)
        #expect(ashaDay.double("lead_to_order_pct") == 25.0)
        #expect(ashaDay.double("high_end_conversion_pct") == 50.0)
        #expect(ashaDay.double("meaningful_note_pct") == 80.0)  // "wrong number" says nothing
        let raviDay = try d.one("SELECT * FROM bi.agent_day WHERE agent = 'ravi' AND day = $1::date", [day])
        #expect(raviDay.int("calls_made") == 4)
        #expect(raviDay.int("callbacks_due") == 2)
        #expect(raviDay.int("callbacks_on_time") == 1)   // L3 on time; L4 was called at 15:30 for 15:00
        #expect(raviDay.int("callbacks_converted") == 1)
        #expect(raviDay.double("avg_first_attempt_min") == 116.0)  // L3 92 min, L4 140 min
        #expect(raviDay.double("p90_first_attempt_min") == 135.2)
        // Per-associate coverage (SOP 002 KPI 1): ravi called L3 and L4 first, 92 and 140
        // minutes after they dropped off, the same day; L3 got 3 attempts and converted, L4
        // was reached. asha called L1, L2, L6, L8 first, each within the hour.
        #expect(raviDay.int("first_called_within_1h") == 0 && raviDay.int("first_called_same_day") == 2)
        #expect(raviDay.int("first_called_with_3_attempts") == 1 && raviDay.double("first_called_with_3_attempts_pct") == 50.0)
        #expect(raviDay.int("first_called_covered") == 2)
        #expect(ashaDay.int("first_called_within_1h") == 4 && ashaDay.double("first_called_within_1h_pct") == 100.0)
        // Normal-lead conversion beside High-End: blr spoke to L3, L4, L8 (normal) and converted L3.
        let blrDay = try d.one("SELECT * FROM bi.team_day WHERE team = 'blr' AND day = $1::date", [day])
        #expect(blrDay.int("normal_leads_connected") == 3 && blrDay.int("normal_orders") == 1)
        #expect(blrDay.double("normal_conversion_pct") == 33.3 && blrDay.double("high_end_conversion_pct") == 50.0)
        #expect(blrDay["time_zone"] == "Asia/Kolkata")

        for (name, id) in [("asha", d.asha), ("ravi", d.ravi)] {
            for (view, column) in [("agent_day", "day"), ("agent_week", "week"), ("agent_month", "month")] {
                let period = view == "agent_day" ? day : view == "agent_week" ? "2025-03-10" : "2025-03-01"
                // The view name is a fixed literal of this test, not input.
                let row = try d.one("SELECT * FROM bi.\(view) WHERE agent_id = $1::bigint AND \(column) = $2::date", [id, period])
                d.check(row, d.expected(team: "blr", agent: id, days: [day]), "\(name) \(view)")
            }
        }
        for (view, column, period) in [("team_day", "day", day), ("team_week", "week", "2025-03-10"), ("team_month", "month", "2025-03-01")] {
            let row = try d.one("SELECT * FROM bi.\(view) WHERE team = 'blr' AND \(column) = $1::date", [period])
            d.check(row, d.expected(team: "blr", agent: nil, days: [day]), "blr \(view)")
        }
        let blr = try d.one("SELECT * FROM bi.team_day WHERE team = 'blr' AND day = $1::date", [day])
        #expect(blr.int("leads_contacted") == 6)         // distinct leads: L1 L2 L3 L4 L6 L8 (L3 called three times)
        #expect(blr.int("leads_connected") == 5)
        #expect(blr.double("lead_to_order_pct") == 40.0)
        #expect(blr.double("p90_first_attempt_min") == 116.0)

        // New York's call at 22:35 local is 02:35 UTC on the 11th, but its day is the 10th.
        let nyc = try d.one("SELECT * FROM bi.team_day WHERE team = 'nyc'")
        #expect(nyc["day"] == day)
        d.check(nyc, d.expected(team: "nyc", agent: nil, days: [day]), "nyc team_day")
        #expect(nyc.double("avg_first_attempt_min") == 35.0)

        // The sales dashboard of seed 004.
        for (name, id) in [("asha", d.asha), ("ravi", d.ravi)] {
            let row = try d.one("SELECT * FROM bi.sales_dashboard WHERE agent_id = $1::bigint AND day = $2::date", [id, day])
            let mine = d.calls.filter { $0.agent == id }
            let connected = mine.filter(\.connected).count
            let orders = mine.filter(\.converted).count
            #expect(row.int("calls") == mine.count, "\(name) calls")
            #expect(row.int("connected_calls") == connected, "\(name) connected calls")
            #expect(row.double("connect_ratio_pct") == pct(connected, mine.count), "\(name) connect ratio")
            #expect(row.int("orders") == orders, "\(name) orders")
            #expect(row.double("orders_per_connected_call_pct") == pct(orders, connected), "\(name) orders per connected call")
        }
    }

    @Test func slaComplianceCoverageReasonsFollowUpsAndTheWeeklySnapshot() async throws {
        let d = try await KnownDay.build()
        let day = KnownDay.day
        let blrLeads = ["L1", "L2", "L3", "L4", "L5", "L6", "L8"].map { d.leads[$0]! }

        // SLA per view: first calls (High Ends 15 min, the rest the same day), callbacks, follow-ups.
        func sla(_ view: String) throws -> Row {
            try d.one("SELECT * FROM bi.sla_compliance WHERE team = 'blr' AND day = $1::date AND sla_view = $2::text", [day, view])
        }
        // By hand: a first-call deadline is met when the first call was logged (disposed) by
        // it (SOP 002 KPI 3: "lead created time vs call disposition time"); the *_at_claim
        // columns judge it at when the call began.
        func firstCall(_ lead: Int64) -> Call? { d.calls.filter { $0.lead == lead }.min { $0.at < $1.at } }
        var highEndMet = 0, notCalledMet = 0
        for lead in blrLeads {
            let created = d.created[lead]!
            let deadline = d.highEnd.contains(lead) ? created.addingTimeInterval(900) : ist(11, 0)
            if let first = firstCall(lead), first.at <= deadline {
                if d.highEnd.contains(lead) { highEndMet += 1 } else { notCalledMet += 1 }
            }
        }
        let highEnd = try sla("high_end")
        #expect(highEnd.int("deadlines") == 2)
        #expect(highEnd.int("met") == highEndMet)                         // L1 (L2 was claimed 4 min late)
        #expect(highEnd.double("compliance_pct") == pct(highEndMet, 2))
        let notCalled = try sla("not_called")
        #expect(notCalled.int("deadlines") == 5)
        #expect(notCalled.int("met") == notCalledMet)                     // all but L5
        #expect(notCalled.int("breached_not_called") == 1)
        #expect(notCalled.double("compliance_pct") == pct(notCalledMet, 5))
        // Callbacks and follow-ups: met when the lead's next call was logged by its time +
        // grace; at claim, when that call began by it.
        let callbacks = d.scheduled.filter { $0.kind == "callback" && $0.day == day && $0.team == "blr" }
        let callbacksMet = callbacks.filter { s in d.answer(s).map { $0.at <= s.due } ?? false }.count
        let callbacksMetAtClaim = callbacks.filter { s in d.answer(s).map { $0.startedAt <= s.due } ?? false }.count
        let cb = try sla("callback")
        #expect(cb.int("deadlines") == callbacks.count)                   // L4, L3, L8
        #expect(cb.int("met") == callbacksMet && callbacksMet == 0)       // L3's 16:00 callback was logged at 16:06
        #expect(cb.int("met_at_claim") == callbacksMetAtClaim && callbacksMetAtClaim == 1)  // … but began at 16:01
        #expect(cb.int("breached_called_late") == 2)                      // L4 (called 15:30), L3 (logged 16:06)
        #expect(cb.int("breached_not_called") == 1)                       // L8
        #expect(cb.double("compliance_pct") == 0.0 && cb.double("compliance_at_claim_pct") == pct(1, 3))
        #expect(cb.double("allowed_min") == 5.0)
        let all = try sla("all")
        // L3's retry at 13:02 (due 13:07): claimed 13:05, logged 13:08.
        #expect(all.int("deadlines") == 1 && all.int("met") == 0 && all.int("met_at_claim") == 1)
        let pending = try d.one("SELECT * FROM bi.sla_compliance WHERE team = 'blr' AND day = '2025-03-11' AND sla_view = 'all'")
        #expect(pending.int("pending") == 1)                              // L4's follow-up, due at 15:38 on the 11th
        let breaches = try d.rows("SELECT * FROM bi.sla_breaches WHERE team = 'blr' ORDER BY due_at")
        #expect(breaches.map { $0.int64("lead_id")! } == ["L2", "L3", "L4", "L3", "L8", "L5"].map { d.leads[$0]! })
        #expect(breaches.map { $0["sla_view"]! } == ["high_end", "all", "callback", "callback", "callback", "not_called"])
        #expect(breaches.map { $0.bool("met_at_claim")! } == [false, true, false, true, false, false])
        #expect(breaches[2]["owner"] == "ravi" && breaches[2]["called_by"] == "asha")
        #expect(breaches[3].date("logged_at") == ist(10, 16, 6) && breaches[3].double("late_by_min") == 1.0)
        #expect(breaches[5]["called_at"] == nil && breaches[5]["logged_at"] == nil)
        #expect(breaches[5].double("late_by_min") == 540.0)   // not called: until the refresh, Tuesday 09:00

        // Coverage of the day's leads (by creation day).
        let coverage = try d.one("SELECT * FROM bi.contact_coverage WHERE team = 'blr' AND day = $1::date", [day])
        let minutes = blrLeads.compactMap { lead in firstCall(lead).map { $0.at.timeIntervalSince(d.created[lead]!) / 60 } }
        #expect(coverage.int("leads_received") == 7)
        #expect(coverage.int("called") == minutes.count)                              // all but L5
        #expect(coverage.int("called_within_15m") == minutes.filter { $0 <= 15 }.count)   // L1
        #expect(coverage.int("called_within_1h") == minutes.filter { $0 <= 60 }.count)    // L1 L2 L6 L8
        #expect(coverage.int("called_within_4h") == minutes.filter { $0 <= 240 }.count)
        #expect(coverage.double("called_within_1h_pct") == pct(minutes.filter { $0 <= 60 }.count, 7))
        let attempts = Dictionary(grouping: d.calls, by: \.lead).mapValues(\.count)
        #expect(coverage.int("with_3_attempts") == blrLeads.filter { (attempts[$0] ?? 0) >= 3 }.count)  // L3
        #expect(coverage.double("with_3_attempts_pct") == pct(1, 7))

        // Lead quality by city (marketing): Bengaluru's six leads and Mumbai's one.
        let blrCity = try d.one("SELECT * FROM bi.lead_quality_week WHERE team = 'blr' AND city = 'Bengaluru'")
        #expect(blrCity["week"] == "2025-03-10")
        #expect(blrCity.int("leads_received") == 6 && blrCity.int("leads_contacted") == 6)
        #expect(blrCity.int("leads_connected") == 5 && blrCity.int("orders_created") == 2)
        #expect(blrCity.double("lead_to_order_pct") == pct(2, 5))
        let mumbai = try d.one("SELECT * FROM bi.lead_quality_month WHERE team = 'blr' AND city = 'Mumbai'")
        #expect(mumbai["month"] == "2025-03-01" && mumbai.int("leads_received") == 1 && mumbai.int("leads_contacted") == 0)

        // Reasons for not converting: the customer's reasons only (L2's price), as rows; the
        // wrong number (L6) is an outcome, not a customer's reason.
        let reasons = try d.rows("SELECT reason, leads, rank FROM bi.non_conversion_reasons_week WHERE team = 'blr' ORDER BY reason")
        #expect(reasons.map { "\($0["reason"]!)=\($0["leads"]!) rank \($0["rank"]!)" } == ["price_too_low=1 rank 1"])
        let monthly = try d.rows("SELECT reason, leads, share_pct FROM bi.non_conversion_reasons_month WHERE team = 'blr' AND month = '2025-03-01'")
        #expect(monthly.map { "\($0["reason"]!)=\($0["leads"]!) \($0["share_pct"]!)%" } == ["price_too_low=1 100.0%"])
        let closed = try d.rows("SELECT outcome, outcome_group, reason, leads FROM bi.closed_without_order_week WHERE team = 'blr' ORDER BY outcome")
        #expect(closed.map { "\($0["outcome"]!)/\($0["outcome_group"]!)/\($0["reason"] ?? "-")=\($0["leads"]!)" }
                == ["not_interested/customer/price_too_low=1", "wrong_number/invalid/-=1"])
        let nycReason = try d.one("SELECT * FROM bi.non_conversion_reasons_week WHERE team = 'nyc'")
        #expect(nycReason["reason"] == "busy_later" && nycReason["week"] == "2025-03-10" && nycReason["time_zone"] == "America/New_York")
        let nycClosed = try d.one("SELECT * FROM bi.closed_without_order_month WHERE team = 'nyc'")
        #expect(nycClosed["outcome"] == "not_interested" && nycClosed["reason"] == "busy_later" && nycClosed["month"] == "2025-03-01")

        // Follow-up discipline.
        for (name, id) in [("asha", d.asha), ("ravi", d.ravi)] {
            let row = try d.one("SELECT * FROM bi.follow_up_discipline WHERE agent_id = $1::bigint AND day = $2::date", [id, day])
            let followUps = d.calls.filter { $0.agent == id && [.callback, .willPlaceOrder, .waitingForQuote].contains($0.code) }
            let dated = followUps.filter { $0.code == .callback }.count   // the waiting-for-quote took the default 24 h
            let mine = d.scheduled.filter { $0.owner == id && $0.kind != "retry" && $0.day == day }
            let onTime = mine.filter { s in d.answer(s).map { $0.startedAt <= s.due } ?? false }.count
            #expect(row.int("follow_up_calls") == followUps.count, "\(name)")
            #expect(row.int("follow_ups_with_date") == dated, "\(name)")
            #expect(row.double("with_date_pct") == pct(dated, followUps.count), "\(name)")
            #expect(row.int("follow_ups_due") == mine.count, "\(name)")
            #expect(row.int("done_on_time") == onTime, "\(name)")
            #expect(row.double("on_time_pct") == pct(onTime, mine.count), "\(name)")
        }
        let tomorrow = try d.one("SELECT * FROM bi.follow_up_discipline WHERE agent = 'asha' AND day = '2025-03-11'")
        #expect(tomorrow.int("pending") == 1 && tomorrow.int("follow_ups_due") == 0)

        // Backlog now (as of Tuesday 09:00 IST).
        let mumbaiNow = try d.one("SELECT * FROM bi.backlog_now WHERE team = 'blr' AND city = 'Mumbai'")
        #expect(mumbaiNow.int("not_called") == 1)
        #expect(mumbaiNow.date("oldest_not_called_at") == ist(10, 10, 30))
        #expect(mumbaiNow.double("oldest_not_called_age_min") == 22.5 * 60)
        #expect(mumbaiNow.int("open_under_3_attempts") == 1)
        let blrNow = try d.one("SELECT * FROM bi.backlog_now WHERE team = 'blr' AND city = 'Bengaluru'")
        #expect(blrNow.int("not_called") == 0 && blrNow.int("open_leads") == 2)       // L4 (follow-up), L8 (callback)
        #expect(blrNow.int("callbacks_due") == 1 && blrNow.int("callbacks_overdue") == 1)  // L8's 18:00 callback
        #expect(blrNow.date("oldest_overdue_callback_at") == ist(10, 18))
        #expect(blrNow.int("follow_ups_overdue") == 0)                                // L4 is due at 15:33 today
        #expect(blrNow.int("open_under_3_attempts") == 2)

        // The weekly snapshot of SOP 002 §6.
        let week = try d.one("SELECT * FROM bi.weekly_snapshot WHERE team = 'blr' AND week = '2025-03-10'")
        let blrCalls = d.calls.filter { $0.team == "blr" }
        let connected = Set(blrCalls.filter(\.connected).map(\.lead)).count
        let orders = blrCalls.filter(\.converted).count
        #expect(week.int("leads_received") == 7)
        #expect(week.int("leads_received_contacted") == 6)
        #expect(week.int("leads_contacted") == Set(blrCalls.map(\.lead)).count)
        #expect(week.int("leads_with_3_attempts") == 1)
        #expect(week.int("calls_made") == blrCalls.count)
        #expect(week.int("leads_connected") == connected)
        #expect(week.int("orders_created") == orders)
        #expect(week.double("lead_to_order_pct") == pct(orders, connected))
        #expect(week.int("callbacks_scheduled") == blrCalls.filter { $0.code == .callback }.count)
        #expect(week.int("callbacks_due") == 3 && week.int("callbacks_on_time") == 1 && week.int("callbacks_missed") == 2)
        #expect(week.int("follow_ups_missed") == 4)      // callbacks L4, L3, L8 and L3's retry, by the logged time
        #expect(week.int("callback_pipeline_now") == 1)                              // L8
        #expect(week.int("follow_ups_overdue_now") == 1)
        #expect(week.int("closed_with_reason") == 1 && week.int("closed_other_outcome") == 1)  // L2; L6
        #expect(week.double("normal_conversion_pct") == pct(1, 3))
    }

    @Test func theReadOnlyRoleReadsTheViewsAndNothingElse() async throws {
        let d = try await KnownDay.build()
        // Trust auth on the throwaway cluster's socket: the role logs in by name.
        let bi = try PostgresConnection(conninfo: d.floor.conninfo + " user=leadline_bi")
        defer { bi.close() }
        #expect(try bi.query("SELECT current_user AS u").first?["u"] == "leadline_bi")

        // Every view of schema bi is readable.
        let views = try bi.query("SELECT table_name FROM information_schema.views WHERE table_schema = 'bi' ORDER BY 1").rows.map { $0["table_name"]! }
        #expect(views.count == 21)
        for view in views {
            // The names come from the catalogue, quoted by quote_ident on the server.
            let quoted = try bi.query("SELECT quote_ident($1::text) AS q", [view]).first!["q"]!
            _ = try bi.query("SELECT * FROM bi.\(quoted) LIMIT 5")
        }
        #expect(try bi.query("SELECT calls_made FROM bi.team_day WHERE team = 'blr' AND day = '2025-03-10'").first?.int("calls_made") == 9)

        // No view has a column with customer data.
        let pii = try bi.query("""
            SELECT table_name || '.' || column_name AS c FROM information_schema.columns
            WHERE table_schema = 'bi' AND column_name ~ '(phone|customer|name$|address|landmark|pincode|payment|note$|conditions)'
            """).rows.map { $0["c"]! }
        #expect(pii.isEmpty, "PII-like columns in bi views: \(pii)")

        func refused(_ sql: String, _ states: Set<String>) {
            do {
                _ = try bi.query(sql)
                Issue.record("leadline_bi could run: \(sql)")
            } catch {
                #expect(states.contains(error.sqlState ?? ""), "\(sql): \(error)")
            }
        }
        // No base table, no rollup, no PII.
        for table in ["leads", "lead_events", "orders", "agents", "teams", "escalations", "requests", "bi_call", "bi_agent_day"] {
            refused("SELECT * FROM \(table) LIMIT 1", ["42501"])
        }
        refused("SELECT phone, customer_name FROM leads", ["42501"])
        refused("SELECT address, payment_ref FROM orders", ["42501"])
        // Sessions are read-only by default; even in a read-write transaction nothing may be written.
        refused("INSERT INTO leads (team_id) VALUES (1)", ["25006"])
        _ = try bi.query("SET default_transaction_read_only = off")
        refused("INSERT INTO leads (team_id) VALUES (1)", ["42501"])
        refused("UPDATE leads SET state = 'closed'", ["42501"])
        refused("DELETE FROM orders", ["42501"])
        refused("UPDATE bi.team_day SET calls_made = 0", ["42501", "55000"])  // no privilege; not an updatable view
        refused("CREATE TABLE public.mine (x int)", ["42501"])
        refused("CREATE VIEW bi.mine AS SELECT 1", ["42501"])
        refused("SELECT * FROM bi_refresh(now())", ["42501"])
    }

    @Test func incrementalRefreshesEqualARebuild() async throws {
        let d = try await KnownDay.build()
        // The day was refreshed once at the end. Refresh again later (the L8 callback and L5's
        // deadline have long passed), then rebuild from nothing: every view reads the same.
        let later = ist(12, 9)
        try BIRollup().refresh(d.c, now: later, overlap: 0)
        // After that refresh three leads change, each with an event so the next refresh sees
        // it: a returning customer's new city (the lead moves to another cohort), more
        // attempts and a connection, an early first attempt. The incremental cohort sums
        // (old contributions out, new in) must come out as a rebuild's.
        let ids = try d.c.query("SELECT id FROM leads ORDER BY id LIMIT 3").rows.compactMap { $0.int64("id") }
        try #require(ids.count == 3)
        try d.c.query("UPDATE leads SET city = 'Testpur' WHERE id = $1::bigint", [ids[0]])
        try d.c.query("UPDATE leads SET attempts = attempts + 3, last_connected_at = $2::timestamptz WHERE id = $1::bigint", [ids[1], later])
        try d.c.query("UPDATE leads SET first_attempt_at = created_at + interval '10 minutes' WHERE id = $1::bigint", [ids[2]])
        try d.c.query("INSERT INTO lead_events (lead_id, kind, at, payload) SELECT unnest($1::bigint[]), 'recheck', $2::timestamptz, '{}'::jsonb",
                      [ids, later])
        try BIRollup().refresh(d.c, now: later, overlap: 0)
        #expect(try d.c.query("SELECT sum(received) AS n FROM bi_cohort WHERE city = 'Testpur'").first?.int("n") == 1)
        #expect(try d.c.query("""
            SELECT count(*) AS n FROM bi_cohort c FULL JOIN (
                SELECT team_id, day, city, category, source, campaign, high_end, count(*) AS received, sum(attempted) AS attempted,
                       sum(connected) AS connected, sum(ttfa_s) AS ttfa
                FROM bi_lead_cohort GROUP BY 1, 2, 3, 4, 5, 6, 7) k USING (team_id, day, city, category, source, campaign, high_end)
            WHERE c.received IS DISTINCT FROM k.received::int OR c.attempted IS DISTINCT FROM k.attempted::int
               OR c.connected IS DISTINCT FROM k.connected::int OR c.ttfa_sum_s IS DISTINCT FROM k.ttfa::bigint
            """).first?.int("n") == 0, "bi_cohort is the sum of bi_lead_cohort")
        let views = ["agent_day", "team_week", "sla_compliance", "sla_breaches", "contact_coverage", "lead_quality_week",
                     "non_conversion_reasons_week", "non_conversion_reasons_month", "closed_without_order_week",
                     "attempts_per_day", "follow_up_discipline", "weekly_snapshot", "sales_dashboard"]
        func snapshot() throws -> [String] {
            try views.map { view in
                // Fixed view names of this test; rows as text in a stable order.
                try d.c.query("SELECT coalesce(string_agg(v::text, E'\\n' ORDER BY v::text), '') AS t FROM bi.\(view) v").first!["t"]!
            }
        }
        let incremental = try snapshot()
        try d.c.query("TRUNCATE bi_call, bi_deadline, bi_agent_day, bi_ttfa, bi_ttfa_pending, bi_sla_day, bi_cohort, bi_lead_cohort, bi_reason_day, bi_attempt_day")
        try d.c.query("UPDATE bi_refresh_state SET event_mark = 0, lead_mark = 0, pending_event_mark = 0, pending_lead_mark = 0, pending_xmax = NULL")
        try BIRollup().refresh(d.c, now: later)
        let rebuilt = try snapshot()
        for (i, view) in views.enumerated() {
            #expect(incremental[i] == rebuilt[i], "bi.\(view) differs after a rebuild")
        }
        // With nothing new, refreshing recomputes nothing once the marks have settled (they
        // wait for transactions that were open, in any database of the cluster, to end).
        var idle: Int? = nil
        for _ in 0..<50 where idle != 0 {
            idle = try BIRollup().refresh(d.c, now: later, overlap: 0)?.leads
            if idle != 0 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(idle == 0)
    }

    @Test func theMeaningfulNoteRuleIsTheSameInSQLAndSwift() async throws {
        let floor = Floor(conninfo: try await TestCluster.shared.database())
        var samples = ["Customer busy, callback at 7 PM", "Customer negotiating price — asked for quote comparison",
                       "Switched off — will retry at 3 PM", "RNR", "busy", "Not reachable.", "aaaaaaaaaaaa", "..........1111111111",
                       "1234567890", "ok ok ok ok", "Customer ready — shared checkout link", "  Not   Reachable / Switched Off ",
                       "ग्राहक व्यस्त है, शाम को कॉल करें", "Kunde möchte Rückruf um 19 Uhr", "", "wrong number!!!"]
        samples += Note.dispositionWords.map { $0 }
        samples += Disposition.allCases.map(\.label)
        let c = try floor.connect()
        defer { c.close() }
        for note in samples {
            let sql = try c.query("SELECT bi_note_meaningful($1::text) AS m", [note]).first?.bool("m")
            #expect(sql == Note.isMeaningful(note), "\"\(note)\": SQL \(String(describing: sql)), Swift \(Note.isMeaningful(note))")
        }
    }

    /// Outside testers run exactly what docs/BI.md says: every ready query runs as
    /// leadline_bi, and none takes its day from current_date (the session's zone).
    @Test func theReadyQueriesInBIMdRunAsTheBIRole() async throws {
        let d = try await KnownDay.build()
        let doc = try String(contentsOfFile: Self.repoRoot + "/docs/BI.md", encoding: .utf8)
        let section = try #require(doc.range(of: "## Ready queries for each SOP report").map { doc[$0.upperBound...] })
        let body = section[..<(section.range(of: "\n## ")?.lowerBound ?? section.endIndex)]
        var statements: [String] = []
        for block in body.components(separatedBy: "```sql\n").dropFirst() {
            let sql = block.components(separatedBy: "```").first ?? ""
            statements += sql.components(separatedBy: ";\n").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                .filter { !$0.isEmpty }
        }
        #expect(statements.count >= 20, "\(statements.count) ready queries")
        let bi = try PostgresConnection(conninfo: d.floor.conninfo + " user=leadline_bi")
        defer { bi.close() }
        for statement in statements {
            #expect(!statement.contains("current_date"), "uses current_date: \(statement)")
            do {
                _ = try bi.query(statement)
            } catch {
                Issue.record("docs/BI.md ready query failed as leadline_bi: \(error)\n\(statement)")
            }
        }
        // On the team's local day: with the clock at the known day's refresh (11 March,
        // 12:00 IST = 02:30 in New York), "yesterday" is 10 March for both teams.
        let yesterday = try bi.query("""
            SELECT DISTINCT team FROM bi.agent_day
            WHERE day = ($1::timestamptz AT TIME ZONE time_zone)::date - 1 ORDER BY team
            """, [ist(11, 12)]).rows.map { $0["team"]! }
        #expect(yesterday == ["blr", "nyc"])
    }

    @Test func docsBIListsEveryView() throws {
        let doc = try String(contentsOfFile: Self.repoRoot + "/docs/BI.md", encoding: .utf8)
        var names: [String] = []
        for (_, sql) in SQLFiles.views {
            for line in sql.split(separator: "\n") where line.hasPrefix("CREATE VIEW ") {
                names.append(String(line.dropFirst("CREATE VIEW ".count).split(separator: " ").first ?? ""))
            }
        }
        #expect(names.count >= 18)
        for name in names {
            #expect(doc.contains("`\(name)`"), "docs/BI.md does not mention `\(name)`")
        }
    }

    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}
