import Foundation
import LeadCore
import LeadStore
import Postgres

// Over 400 lines on purpose: one simulation of a lead's life (`simulate`) and the COPY
// writer of its rows read best as one piece. Issue 14 item 3 replaces the simulation's own
// cadence and SLA arithmetic with LeadCore's planners; the file shrinks then.

/// Past activity for `leadline seed --history`: every demo lead lives out its days up to
/// `now` the way the floor would have worked it — claims (leases), calls ending in a
/// disposition with a note (some lazy), the Not Reachable cadence (2 h apart, 3 a day,
/// closed as unreachable on the third day), callbacks at the customer's time (mostly on
/// time, some late), follow-ups, non-conversion reasons, conversions into orders, and the
/// SLA watcher's breach events. The lead rows end in the state that history leaves them
/// in (open leads with their tier, counters and deadlines; closed ones with their outcome).
///
/// Everything is written with COPY in batches (leads, then orders, then events), with
/// ids reserved up front. The seeded teams are on Asia/Kolkata, a fixed +05:30 zone, so
/// local days and the 09:00–21:00 calling window are plain arithmetic here.
struct DemoHistory {
    struct Agent { let id: Int; let senior: Bool }

    /// Per team: every agent who calls, and those who may take High Ends.
    let agents: [Int: [Agent]]
    let now: Int64
    static let offset: Int64 = 19_800
    static let grace: Int64 = 300

    struct Counts {
        var leads = 0
        var events = 0
        var orders = 0
        var callbacks = 0
    }

    // MARK: local clock (+05:30)

    static func day(_ t: Int64) -> Int64 { (t + offset).floorDivided(by: 86_400) }
    static func secondOfDay(_ t: Int64) -> Int64 { (t + offset) - day(t) * 86_400 }
    static func dayStart(_ day: Int64) -> Int64 { day * 86_400 - offset }
    static func opening(_ day: Int64) -> Int64 { dayStart(day) + 9 * 3600 }
    static func closing(_ day: Int64) -> Int64 { dayStart(day) + 21 * 3600 }

    /// Moves `t` into the calling window (a little after the opening when outside it).
    static func intoWindow(_ t: Int64, _ rng: inout SplitMix) -> Int64 {
        let d = day(t)
        if t < opening(d) { return opening(d) + 60 + Int64(rng.next() % 1140) }
        if t >= closing(d) { return opening(d + 1) + 60 + Int64(rng.next() % 1140) }
        return t
    }

    static func serviceable(_ lead: DemoData.GeneratedLead) -> Bool {
        let n = Int(lead.pincode.suffix(3)) ?? 99
        switch lead.device.category {
        case "phone": return n <= 40
        case "laptop", "tablet": return n <= 25
        case "watch": return n <= 10 && ["Bengaluru", "Mumbai", "Delhi"].contains(lead.city.name)
        default: return false
        }
    }

    // MARK: notes

    static let notes: [String: [String]] = [
        "not_reachable": ["Switched off, will retry in two hours", "Rang fully, no answer; retrying later today",
                          "Number busy twice, will try again after lunch", "Not reachable, network issue message played"],
        "callback": ["Customer busy at work, asked for a call at 7 PM", "Wants to talk to family first, call back tomorrow evening",
                     "Driving right now, asked to call back after an hour", "Checking the price with a friend, callback requested"],
        "will_place_order": ["Customer will place the order on the app tonight, shared the checkout link",
                             "Liked the price, will complete checkout after office"],
        "waiting_for_quote": ["Waiting for a competitor quote before deciding, follow up tomorrow",
                              "Asked for a better quote on the 256GB variant, pricing to confirm"],
        "already_placed_order": ["Customer already placed the order himself yesterday", "Order already placed from the website"],
        "not_interested": ["Customer feels the price is too low for the condition", "Not comfortable with home pickup by a stranger",
                           "Wants instant cash, did not like payment timeline", "Has decided to keep the phone for now"],
        "sold_elsewhere": ["Sold it at a local shop for a higher price", "Got a better exchange offer from the brand store"],
        "wrong_number": ["Number belongs to someone else, says never checked any price"],
        "not_serviceable": ["Pincode outside our pickup area, explained and closed"],
        "device_not_supported": ["Model is not supported for pickup, informed the customer"],
        "create_order": ["Customer confirmed pickup slot, address and UPI details; order created",
                         "Read back the summary, customer said yes please place the order"],
    ]
    static let lazyNotes = ["RNR", "busy", "Not reachable.", "ok", "callback", "done", "cust not intrstd"]

    static func note(_ code: String, _ rng: inout SplitMix) -> String {
        if rng.next() % 100 < 12 { return lazyNotes[Int(rng.next() % UInt64(lazyNotes.count))] }
        let pool = notes[code] ?? ["Spoke to the customer about the device"]
        return pool[Int(rng.next() % UInt64(pool.count))]
    }

    // MARK: one lead

    /// The lead's lines for COPY: the lead row, its order (if converted), its events.
    struct Output {
        var lead: String = ""
        var order: String?
        var events: [String] = []
        var callback = false
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    func simulate(_ g: DemoData.GeneratedLead, id: Int, orderID: Int, team: Int, deviceID: Int?,
                  rng: inout SplitMix) -> Output {
        var out = Output()
        let created = Int64(g.createdAt.timeIntervalSince1970.rounded(.down))
        let highEnd = g.device.highEnd
        let serviceable = Self.serviceable(g)
        let badPhone = rng.next() % 100 < 3
        let staff = agents[team] ?? []
        let seniors = staff.filter(\.senior)
        // Lead quality by source: how likely a spoken-to customer orders.
        let quality: Double = switch g.source {
        case "referral": 1.5
        case "google_search": g.campaign == "brand_search" ? 1.35 : 1.1
        case "organic": 1.2
        case "whatsapp": 1.0
        case "instagram": 0.85
        case "meta_ads": g.campaign == "retarget_7d" ? 0.95 : 0.75
        case "affiliate": 0.55
        default: 1.0
        }

        var state = "new"
        var outcome: String?
        var closedAt: Int64?
        var attempts = 0, attemptsToday = 0
        var attemptsDay: Int64?
        var firstAttempt: Int64?, lastAttempt: Int64?, lastConnected: Int64?, unansweredSince: Int64?
        var lastDisposition: String?
        var nextAction: Int64?
        var callbackAt: Int64?
        var callbackAgent: Int?
        var leaseGen = 0
        var slaDue: Int64 = highEnd ? created + 15 * 60 : Self.dayStart(Self.day(created) + 1)
        var slaBreachedAt: Int64?
        var view = highEnd ? "high_end" : "not_called"
        var order: (slot: Int64, at: Int64, agent: Int)?

        func event(_ kind: String, agent: Int?, at: Int64, disposition: String? = nil, reason: String? = nil,
                   note: String? = nil, lease: Int? = nil, request: String? = nil, payload: String = "{}") {
            out.events.append(CopyText.line([
                String(id), kind, agent.map(String.init), SeedTime.format(at), disposition, reason, note,
                lease.map(String.init), request, payload,
            ]))
        }

        event("created", agent: nil, at: created,
              payload: "{\"price\": \(g.price), \"source\": \"\(g.source)\", \"campaign\": \(g.campaign.map { "\"\($0)\"" } ?? "null")}")

        // When the first call happens.
        var callAt: Int64
        let r = rng.next() % 100
        if highEnd {
            callAt = created + (r < 70 ? 60 + Int64(rng.next() % 780) : r < 95 ? 900 + Int64(rng.next() % 2700) : 3600 + Int64(rng.next() % 18_000))
        } else {
            callAt = created + (r < 40 ? 300 + Int64(rng.next() % 3300) : r < 75 ? 3600 + Int64(rng.next() % 10_800)
                : r < 95 ? 14_400 + Int64(rng.next() % 28_800) : 86_400 + Int64(rng.next() % 43_200))
        }
        callAt = Self.intoWindow(callAt, &rng)
        var scheduledBy: Int?   // the agent who scheduled the pending step (callback owner)
        var stage = 0           // 0 first contact, 1 retry, 2 callback/follow-up

        for _ in 0..<12 {
            // The deadline in force is missed when the call starts after it.
            if callAt > slaDue, slaBreachedAt == nil, slaDue + 30 < now {
                let at = slaDue + 1 + Int64(rng.next() % 20)
                slaBreachedAt = at
                let missed = state == "callback"
                event(missed ? "callback_missed" : "sla_breached", agent: missed ? callbackAgent : nil, at: at,
                      payload: "{\"due\": \"\(SeedTime.iso(slaDue))\", \"callback_at\": \(callbackAt.map { "\"\(SeedTime.iso($0))\"" } ?? "null"), \"view\": \"\(view)\"}")
            }
            let talk = 60 + Int64(rng.next() % 420)
            guard callAt + talk < now - 60 else { break }
            // Who calls: the callback's owner mostly, a senior for High Ends, else anyone.
            let agent: Int
            if stage == 2, let owner = scheduledBy, callAt <= slaDue || rng.next() % 100 < 40 {
                agent = owner
            } else if highEnd, !seniors.isEmpty {
                agent = seniors[Int(rng.next() % UInt64(seniors.count))].id
            } else {
                agent = staff.isEmpty ? 0 : staff[Int(rng.next() % UInt64(staff.count))].id
            }
            leaseGen += 1
            event("claimed", agent: agent, at: callAt, lease: leaseGen)
            if rng.next() % 100 < 15 { event("touched", agent: agent, at: callAt + 45, lease: leaseGen) }
            let at = callAt + talk

            // Counters, as LeadCallState.recordingAttempt keeps them.
            let today = Self.day(at)
            attempts += 1
            attemptsToday = (attemptsDay == today ? attemptsToday : 0) + 1
            attemptsDay = today
            if firstAttempt == nil { firstAttempt = at }
            lastAttempt = at

            // What happened on the call.
            let reachP: UInt64 = stage == 2 ? 85 : stage == 1 ? 45 : 62
            let reached = rng.next() % 100 < reachP
            var code: String
            var reason: String?
            if !reached {
                code = "not_reachable"
            } else if badPhone {
                code = "wrong_number"
            } else if !g.device.supported {
                code = "device_not_supported"
            } else if !serviceable {
                code = rng.next() % 100 < 80 ? "not_serviceable" : "not_interested"
                if code == "not_interested" { reason = "no_pickup_area" }
            } else {
                var weights: [(String, Double)] = stage == 2
                    ? [("create_order", 0.33 * quality), ("callback", 0.12), ("will_place_order", 0.05), ("waiting_for_quote", 0.05),
                       ("already_placed_order", 0.08), ("not_interested", 0.22), ("sold_elsewhere", 0.15)]
                    : [("create_order", 0.19 * quality), ("callback", 0.22), ("will_place_order", 0.07), ("waiting_for_quote", 0.06),
                       ("already_placed_order", 0.05), ("not_interested", 0.26), ("sold_elsewhere", 0.15)]
                if highEnd { weights[0].1 *= 1.35 }
                let total = weights.reduce(0) { $0 + $1.1 }
                var x = Double(rng.next() % 1_000_000) / 1_000_000 * total
                code = weights.last!.0
                for (c, w) in weights {
                    if x < w { code = c; break }
                    x -= w
                }
                if code == "not_interested" {
                    let laptops = g.device.category == "laptop"
                    let trustCity = ["Kolkata", "Lucknow", "Jaipur"].contains(g.city.name)
                    let p = rng.next() % 100
                    reason = p < (laptops ? 50 : 33) ? "price_too_low"
                        : p < (trustCity ? 70 : 48) ? "pickup_trust"
                        : p < 58 ? "payment_delay" : p < 80 ? "busy_later" : p < 87 ? "competitor_quote" : p < 92 ? "no_pickup_area" : "other"
                } else if code == "sold_elsewhere" {
                    let p = rng.next() % 100
                    reason = p < 60 ? "competitor_quote" : p < 85 ? "price_too_low" : "other"
                }
            }
            // The Connected group (Disposition.isConnected); invalid numbers reached nobody.
            let connected = !["not_reachable", "wrong_number", "not_serviceable", "device_not_supported"].contains(code)
            if connected {
                lastConnected = at
                unansweredSince = nil
            } else {
                unansweredSince = unansweredSince ?? at
            }
            lastDisposition = code

            if code == "create_order" {
                state = "closed"; outcome = "create_order"; closedAt = at
                nextAction = nil; callbackAt = nil; callbackAgent = nil
                let slot = at + 86_400 + Int64(rng.next() % 86_400)
                order = (slot, at, agent)
                let note = rng.next() % 100 < 70 ? Self.note(code, &rng) : nil
                event("converted", agent: agent, at: at, disposition: "create_order", note: note, lease: leaseGen,
                      request: "seed-\(id)",
                      payload: "{\"order\": \(orderID), \"status\": \"pending_vendor_assignment\", \"price\": \(g.price), \"slot\": \"\(SeedTime.iso(slot))\", \"payment_method\": \"upi\"}")
                slaBreachedAt = nil
                break
            }

            // The next step.
            var next: Int64?
            var closedUnreachable = false
            switch code {
            case "not_reachable":
                var candidate = at + 7200
                if attemptsToday >= 3 { candidate = max(candidate, Self.opening(today + 1)) }
                let d = Self.day(candidate)
                if candidate < Self.opening(d) { candidate = Self.opening(d) }
                if candidate >= Self.closing(d) { candidate = Self.opening(d + 1) }
                if let since = unansweredSince, Self.day(candidate) - Self.day(since) >= 3 {
                    closedUnreachable = true
                } else {
                    next = candidate
                }
            case "callback":
                let choices: [Int64] = [3600, 7200, 4 * 3600]
                var t = rng.next() % 2 == 0 ? at + choices[Int(rng.next() % 3)]
                    : Self.dayStart(today + 1 + Int64(rng.next() % 3)) + (10 + Int64(rng.next() % 10)) * 3600
                t = t / 300 * 300
                if t <= at { t += 3600 }
                next = t
            default:
                if code == "will_place_order" || code == "waiting_for_quote" {
                    next = rng.next() % 2 == 0 ? at + 86_400
                        : Self.dayStart(today + 1 + Int64(rng.next() % 2)) + (11 + Int64(rng.next() % 8)) * 3600
                }
            }
            let nextState: String
            if let next {
                nextState = code == "callback" ? "callback" : code == "not_reachable" ? "retry" : "follow_up"
                nextAction = next
                slaDue = next + Self.grace
                slaBreachedAt = nil
                view = highEnd ? "high_end" : nextState == "callback" ? "callback" : "all"
                callbackAt = code == "callback" ? next : nil
                callbackAgent = code == "callback" ? agent : nil
                scheduledBy = agent
                if code == "callback" { out.callback = true }
            } else {
                nextState = "closed"
                outcome = closedUnreachable ? "unreachable" : code
                closedAt = at
                nextAction = nil; callbackAt = nil; callbackAgent = nil
            }
            state = nextState
            event("disposition", agent: agent, at: at, disposition: code, reason: reason, note: Self.note(code, &rng), lease: leaseGen,
                  payload: "{\"state\": \"\(nextState)\", \"next_at\": \(next.map { "\"\(SeedTime.iso($0))\"" } ?? "null"), \"outcome\": \(outcome.map { "\"\($0)\"" } ?? "null"), \"attempts\": \(attempts), \"attempts_today\": \(attemptsToday)}")
            if closedUnreachable {
                event("closed_unreachable", agent: agent, at: at, lease: leaseGen, payload: "{\"attempts\": \(attempts)}")
            }
            if state == "closed" { break }

            // When the next call actually happens.
            stage = code == "not_reachable" ? 1 : 2
            let due = next!
            let late = rng.next() % 100
            let delay: Int64 = stage == 1
                ? (late < 70 ? Int64(rng.next() % 240) : late < 85 ? 300 + Int64(rng.next() % 1500) : 1800 + Int64(rng.next() % 14_400))
                : (late < 75 ? Int64(rng.next() % 240) : late < 90 ? 300 + Int64(rng.next() % 3300) : 3600 + Int64(rng.next() % 72_000))
            callAt = Self.intoWindow(due + delay, &rng)
        }

        // The lead row as history leaves it.
        let tier: String? = {
            if state == "closed" { return nil }
            if state != "new", let n = nextAction, n > now { return nil }
            if highEnd { return "1" }
            return state == "new" ? "2" : "3"
        }()
        let d = g.device
        out.lead = CopyText.line([
            String(id), String(team), g.phone, g.name, g.city.name, g.pincode, g.language, d.category, d.brand, d.model, d.variant,
            deviceID.map(String.init), g.conditions, String(g.price), g.source, g.campaign, SeedTime.format(created), SeedTime.format(created),
            highEnd ? "t" : "f", state, outcome, closedAt.map(SeedTime.format), tier, nextAction.map(SeedTime.format),
            callbackAt.map(SeedTime.format), callbackAgent.map(String.init), String(attempts), String(attemptsToday),
            attemptsDay.map(SeedTime.formatDay), firstAttempt.map(SeedTime.format), lastAttempt.map(SeedTime.format),
            lastConnected.map(SeedTime.format), unansweredSince.map(SeedTime.format), lastDisposition,
            SeedTime.format(slaDue), slaBreachedAt.map(SeedTime.format), String(leaseGen),
        ])
        if let order {
            let age = now - order.at
            let status: String
            var cancelled: Int64?
            switch age {
            case ..<86_400: status = "pending_vendor_assignment"
            case ..<(2 * 86_400): status = rng.next() % 2 == 0 ? "vendor_assigned" : "pickup_scheduled"
            default:
                let p = rng.next() % 100
                status = p < 6 ? "cancelled" : p < 12 ? "picked_up" : "completed"
                if status == "cancelled" { cancelled = order.at + 3600 + Int64(rng.next() % 80_000) }
            }
            let house = 1 + Int(rng.next() % 300)
            out.order = CopyText.line([
                String(orderID), String(id), status, String(order.agent), d.category, d.brand, d.model, d.variant,
                g.conditions, g.pincode, "House \(house), \(g.city.name) main road", "Near the bus stand",
                SeedTime.format(order.slot), "upi", "customer\(id)@okaxis", String(g.price),
                SeedTime.format(order.at), SeedTime.format(order.at), "seed-\(id)", SeedTime.format(order.at),
                cancelled.map(SeedTime.format), cancelled == nil ? nil : String(order.agent),
                cancelled == nil ? nil : "customer changed their mind",
            ])
        }
        return out
    }

    // MARK: loading

    static let leadColumns = """
        id, team_id, phone, customer_name, city, pincode, language, category, brand, model, variant, device_id, conditions,
        quoted_price, source, campaign, created_at, ingested_at, high_end, state, outcome, closed_at, tier, next_action_at,
        callback_at, callback_agent_id, attempts, attempts_today, attempts_day, first_attempt_at, last_attempt_at,
        last_connected_at, unanswered_since, last_disposition, sla_due_at, sla_breached_at, lease_gen
        """
    static let orderColumns = """
        id, lead_id, status, created_by, category, brand, model, variant, conditions, pincode, address, landmark,
        pickup_slot, payment_method, payment_ref, quoted_price, consent_at, price_confirmed_at, request_id, created_at,
        cancelled_at, cancelled_by, cancel_reason
        """
    static let eventColumns = "lead_id, kind, agent_id, at, disposition, reason, note, lease_gen, request_id, payload"
}

extension Int64 {
    func floorDivided(by d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}

/// The demo history's times as text, from whole seconds (or days) since 1970: shapes of
/// `FloorTime`, the one date codec.
enum SeedTime {
    /// A COPY value for a `timestamptz` column (`2025-03-10T05:30:00.000000Z`).
    static func format(_ t: Int64) -> String { FloorTime.formatPrecise(Date(timeIntervalSince1970: Double(t))) }

    /// `2025-03-10T05:30:00Z`, for JSON payloads.
    static func iso(_ t: Int64) -> String { FloorTime.format(epochSeconds: t) }

    /// A local day number as `YYYY-MM-DD`.
    static func formatDay(_ day: Int64) -> String { FloorTime.formatDay(epochDays: day) }
}

extension DemoData {
    /// Writes the leads with their past activity (`DemoHistory`) instead of as fresh drop-offs.
    func loadHistory(into c: PostgresConnection, now: Date, rng: inout SplitMix, teamIDs: [String: Int],
                     deviceIDs: [String: Int], report: inout Report) throws {
        // Enough callers for the volume: about 300 calls a day each (at least the roster).
        for team in ["north", "south", "west"] where agentsPerTeam > 0 {
            try c.query("""
                INSERT INTO agents (team_id, name, role, senior)
                SELECT t.id, t.name || '-caller' || lpad(g::text, 3, '0'),
                       (CASE WHEN g % 4 = 0 THEN 'senior' ELSE 'agent' END)::agent_role, g % 4 = 0
                FROM teams t, generate_series(1, $2::int) g WHERE t.name = $1::text
                ON CONFLICT (name) DO NOTHING
                """, [team, agentsPerTeam])
        }
        var staff: [Int: [DemoHistory.Agent]] = [:]
        for row in try c.query("SELECT id, team_id, (senior OR role <> 'agent') AS senior FROM agents WHERE role <> 'admin' ORDER BY id").rows {
            staff[row.int("team_id")!, default: []].append(DemoHistory.Agent(id: row.int("id")!, senior: row.bool("senior") ?? false))
        }
        // Reserve the ids up front (past every id handed out) so events and orders can point at them.
        let leadBase = try c.query("""
            SELECT setval('leads_id_seq'::regclass, greatest((SELECT coalesce(max(id), 0) FROM leads),
                                                           (SELECT last_value FROM leads_id_seq)) + $1::bigint) - $1::bigint AS base
            """, [leads]).first!.int("base")!
        let orderBase = try c.query("""
            SELECT setval('orders_id_seq'::regclass, greatest((SELECT coalesce(max(id), 0) FROM orders),
                                                            (SELECT last_value FROM orders_id_seq)) + $1::bigint) - $1::bigint AS base
            """, [leads]).first!.int("base")!
        let history = DemoHistory(agents: staff, now: Int64(now.timeIntervalSince1970.rounded(.down)))
        var sim = SplitMix(seed: seed ^ 0x5EED_1157)
        var leadLines: [String] = [], orderLines: [String] = [], eventLines: [String] = []
        var counts = DemoHistory.Counts()
        func flush() throws {
            try c.copyIn("COPY leads (\(DemoHistory.leadColumns)) FROM STDIN", lines: leadLines)
            if !orderLines.isEmpty { try c.copyIn("COPY orders (\(DemoHistory.orderColumns)) FROM STDIN", lines: orderLines) }
            try c.copyIn("COPY lead_events (\(DemoHistory.eventColumns)) FROM STDIN", lines: eventLines)
            leadLines.removeAll(keepingCapacity: true)
            orderLines.removeAll(keepingCapacity: true)
            eventLines.removeAll(keepingCapacity: true)
        }
        var serial = 0
        // Ids in drop-off order, as the platform would have handed them out.
        var generated: [GeneratedLead] = []
        generated.reserveCapacity(leads)
        generate(serialBase: leadBase, now: now, rng: &rng) { generated.append($0) }
        generated.sort { $0.createdAt < $1.createdAt }
        for lead in generated {
            serial += 1
            let d = lead.device
            let out = history.simulate(lead, id: leadBase + serial, orderID: orderBase + counts.orders + 1,
                                       team: teamIDs[lead.city.team]!, deviceID: deviceIDs["\(d.category)|\(d.brand)|\(d.model)|\(d.variant)"],
                                       rng: &sim)
            leadLines.append(out.lead)
            if let order = out.order {
                orderLines.append(order)
                counts.orders += 1
            }
            eventLines.append(contentsOf: out.events)
            counts.events += out.events.count
            if out.callback { counts.callbacks += 1 }
            if leadLines.count >= 20_000 { try flush() }
        }
        if !leadLines.isEmpty { try flush() }
        try c.query("ANALYZE leads")
        try c.query("ANALYZE orders")
        try c.query("ANALYZE lead_events")
        report.leads = leads
        report.callbacks = counts.callbacks
        report.events = counts.events
        report.orders = counts.orders
    }
}
