import Foundation
import LeadCore
import Postgres

/// The team lead (or admin) acting on the floor: every floor action checks the team it
/// touches against theirs, and the audit records who they are.
public struct Overseer: Sendable, Equatable {
    /// The acting agent; nil for the admin command line (`leadline team set`).
    public let id: Int64?
    public let name: String
    public let teamID: Int64
    /// Admins act on every team; team leads on their own.
    public let isAdmin: Bool

    public init(id: Int64?, name: String, teamID: Int64, isAdmin: Bool) {
        self.id = id
        self.name = name
        self.teamID = teamID
        self.isAdmin = isAdmin
    }

    /// The operator at the `leadline` command line: an admin with no agent row.
    public static let commandLine = Overseer(id: nil, name: "leadline", teamID: 0, isAdmin: true)

    /// Whether this overseer may act on `team`.
    public func oversees(team: Int64) -> Bool { isAdmin || team == teamID }
}

/// One side of a MOVE: an agent's personal queue, or the team pool.
public enum QueueEndpoint: Sendable, Equatable, CustomStringConvertible {
    case pool
    case agent(String)

    /// `pool` is the word for the team pool, never an agent (docs/PROTOCOL.md §10).
    public init(_ word: String) {
        self = word == "pool" ? .pool : .agent(word)
    }

    public var description: String {
        switch self {
        case .pool: "pool"
        case .agent(let name): name
        }
    }
}

/// Which open leads a STAR or UNSTAR touches: all given filters together.
public struct StarFilter: Sendable, Equatable {
    public var lead: Int64?
    /// `high_end`, `not_called` or `callback` (`all` and nil: any).
    public var view: View?
    public var city: String?
    public var source: String?
    /// `created_at < before`.
    public var before: Date?
    /// `created_at >= after`.
    public var after: Date?
    /// The team by name; a team lead may leave it out (their own team).
    public var team: String?

    public init(lead: Int64? = nil, view: View? = nil, city: String? = nil, source: String? = nil,
                before: Date? = nil, after: Date? = nil, team: String? = nil) {
        self.lead = lead
        self.view = view
        self.city = city
        self.source = source
        self.before = before
        self.after = after
        self.team = team
    }

    /// The filters as audit details (only those given).
    var details: [String: String] {
        var out: [String: String] = [:]
        if let lead { out["lead"] = String(lead) }
        if let view { out["view"] = view.rawValue }
        if let city { out["city"] = city }
        if let source { out["source"] = source }
        if let before { out["before"] = PostgresTime.format(before) }
        if let after { out["after"] = PostgresTime.format(after) }
        return out
    }
}

/// AGENT SET's changes; nil keeps the current value.
public struct AgentChanges: Sendable, Equatable {
    public var senior: Bool?
    public var cities: [String]?
    public var devices: [String]?
    public var languages: [String]?
    public var capacity: Int?

    public init(senior: Bool? = nil, cities: [String]? = nil, devices: [String]? = nil, languages: [String]? = nil,
                capacity: Int? = nil) {
        self.senior = senior
        self.cities = cities
        self.devices = devices
        self.languages = languages
        self.capacity = capacity
    }
}

/// TEAM SET's changes; nil keeps the current value. For the shift end and the account
/// manager, `.some(nil)` clears the setting.
public struct TeamChanges: Sendable, Equatable {
    public var starredMode: Bool?
    /// `HH:MM` or `HH:MM:SS` on the team's clock; `.some(nil)` = no shift-end unstar.
    public var shiftEnd: String??
    public var juniorHighEnds: Bool?
    /// An agent of the team; `.some(nil)` = no account manager.
    public var accountManager: String??
    /// Which SOP priority list CLAIM follows (docs/RULES.md §14).
    public var claimOrder: ClaimOrder?

    /// The team's call rules (nil keeps each): lease length, callback grace and horizon,
    /// follow-up delay, Not Connected cadence, calling window, unreachable cut-off.
    public var rules = TeamRuleChanges()

    public init(starredMode: Bool? = nil, shiftEnd: String?? = nil, juniorHighEnds: Bool? = nil, accountManager: String?? = nil) {
        self.starredMode = starredMode
        self.shiftEnd = shiftEnd
        self.juniorHighEnds = juniorHighEnds
        self.accountManager = accountManager
    }

    /// Reads a shift end: `HH:MM` or `HH:MM:SS` (24-hour), or nil when malformed.
    public static func shiftEnd(_ text: String) -> String? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (2...3).contains(parts.count), parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let hour = Int(parts[0]), let minute = Int(parts[1]), hour < 24, minute < 60 else { return nil }
        let second = parts.count == 3 ? Int(parts[2]) ?? 60 : 0
        guard second < 60 else { return nil }
        return String(format: "%02d:%02d:%02d", hour, minute, second)
    }
}

/// The reply to ASSIGN.
public struct AssignResult: Sendable, Equatable {
    public let lead: Int64
    public let agent: String
    /// The agent whose live lease was revoked (`force=1`).
    public let revoked: String?
    /// False when the lead already was in that agent's queue (a no-op).
    public let changed: Bool

    /// `lead agent [revoked]`.
    public var fields: [(String, String)] {
        var out = [("lead", String(lead)), ("agent", agent)]
        if let revoked { out.append(("revoked", revoked)) }
        return out
    }
}

/// The reply to MOVE: how many leads moved, how many were left and why.
public struct MoveResult: Sendable, Equatable, Codable {
    public let moved: Int
    /// Left where they were: held by another agent under a live lease.
    public let skippedHeld: Int
    /// Left where they were: the receiving agent does not cover them.
    public let skippedNotSkilled: Int
    /// Leases revoked to move held leads (`force=1`).
    public let revoked: Int

    public var skipped: Int { skippedHeld + skippedNotSkilled }

    /// `moved skipped skipped_held skipped_not_skilled revoked`.
    public var fields: [(String, String)] {
        [("moved", String(moved)), ("skipped", String(skipped)), ("skipped_held", String(skippedHeld)),
         ("skipped_not_skilled", String(skippedNotSkilled)), ("revoked", String(revoked))]
    }
}

/// The reply to PAUSE, RESUME and DRAIN.
public struct AgentStatusResult: Sendable, Equatable {
    public let agent: String
    public let status: AgentStatus
    /// DRAIN: leads returned from the agent's personal queue to the team pool.
    public let returned: Int?

    /// `agent status [returned]`.
    public var fields: [(String, String)] {
        var out = [("agent", agent), ("status", status.rawValue)]
        if let returned { out.append(("returned", String(returned))) }
        return out
    }
}

/// An agent's settings: the reply to AGENT SET.
public struct AgentSettings: Sendable, Equatable {
    public let agent: String
    public let team: String
    public let role: String
    public let status: String
    public let senior: Bool
    public let capacity: Int
    public let cities: [String]
    public let devices: [String]
    public let languages: [String]

    init(row: Row) {
        agent = row["name"] ?? ""
        team = row["team"] ?? ""
        role = row["role"] ?? ""
        status = row["status"] ?? ""
        senior = row.bool("senior") ?? false
        capacity = row.int("capacity") ?? 0
        cities = row.stringArray("cities") ?? []
        devices = row.stringArray("device_categories") ?? []
        languages = row.stringArray("languages") ?? []
    }

    /// `agent team role status senior capacity cities devices languages` (an empty list is `""`).
    public var fields: [(String, String)] {
        [("agent", agent), ("team", team), ("role", role), ("status", status), ("senior", senior ? "1" : "0"),
         ("capacity", String(capacity)), ("cities", cities.joined(separator: ",")),
         ("devices", devices.joined(separator: ",")), ("languages", languages.joined(separator: ","))]
    }
}

/// The reply to SIGNAL.
public struct SignalResult: Sendable, Equatable, Codable {
    public let lead: Int64
    public let kind: SignalKind
    public let boostUntil: Date
    /// payment_failed: whose personal queue the lead went to (its owner, else the account manager).
    public let assigned: String?

    /// `lead kind boost_until [assigned]`.
    public var fields: [(String, String)] {
        var out = [("lead", String(lead)), ("kind", kind.rawValue), ("boost_until", WireDate.format(boostUntil))]
        if let assigned { out.append(("assigned", assigned)) }
        return out
    }
}

/// Changes to a team's call rules (TEAM SET, `leadline team set`); nil keeps a rule. Each
/// key is the wire key, its unit in its name; `limits` holds the accepted ranges.
public struct TeamRuleChanges: Sendable, Equatable {
    public var leaseMinutes: Int?
    public var callbackGraceMinutes: Int?
    public var callbackHorizonDays: Int?
    public var followUpHours: Int?
    public var attemptsPerDay: Int?
    public var attemptSpacingMinutes: Int?
    public var unreachableAfterDays: Int?
    /// `HH:MM-HH:MM` on the team's clock (start before end), as given.
    public var callWindow: String?

    public init() {}

    /// Wire key → accepted range, in the order the reply lists the rules.
    public static let limits: [(key: String, range: ClosedRange<Int>)] = [
        ("lease_minutes", 1...1440), ("callback_grace_minutes", 0...1440), ("callback_horizon_days", 1...90),
        ("follow_up_hours", 1...720), ("attempts_per_day", 1...24), ("attempt_spacing_minutes", 0...1440),
        ("unreachable_after_days", 1...60),
    ]

    /// Wire key → the rule it names: the one place the mapping lives.
    private static let fields: [String: any WritableKeyPath<TeamRuleChanges, Int?> & Sendable] = [
        "lease_minutes": \.leaseMinutes, "callback_grace_minutes": \.callbackGraceMinutes,
        "callback_horizon_days": \.callbackHorizonDays, "follow_up_hours": \.followUpHours,
        "attempts_per_day": \.attemptsPerDay, "attempt_spacing_minutes": \.attemptSpacingMinutes,
        "unreachable_after_days": \.unreachableAfterDays,
    ]

    /// Sets the integer rule named by its wire key.
    public mutating func set(_ key: String, _ value: Int) {
        guard let field = Self.fields[key] else { preconditionFailure("unknown team rule \(key)") }
        self[keyPath: field] = value
    }

    /// The integer rule named by its wire key (nil = unchanged).
    public func value(for key: String) -> Int? {
        guard let field = Self.fields[key] else { preconditionFailure("unknown team rule \(key)") }
        return self[keyPath: field]
    }

    /// Reads a calling window `HH:MM-HH:MM` (24-hour, start before end) into its two
    /// `HH:MM:SS` ends, or nil when malformed.
    public static func callWindow(_ text: String) -> (start: String, end: String)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = TeamChanges.shiftEnd(String(parts[0])), let end = TeamChanges.shiftEnd(String(parts[1])),
              start < end else { return nil }
        return (start, end)
    }
}

/// A team's floor settings: the reply to TEAM SET.
public struct TeamSettings: Sendable, Equatable {
    public let team: String
    public let timeZone: String
    public let starredMode: Bool
    /// `HH:MM:SS` on the team's clock, or nil (no shift-end unstar).
    public let shiftEnd: String?
    public let juniorHighEnds: Bool
    public let accountManager: String?
    /// The call rules as wire pairs, in `TeamRuleChanges.limits` order, then `call_window`.
    public let rules: [(String, String)]
    /// `high_end_first` or `not_called_first`.
    public var claimOrder: String = ClaimOrder.highEndFirst.rawValue
    /// The team's id (not on the wire).
    public var teamID: Int64 = 0

    /// `team time_zone starred_mode [shift_end] junior_high_ends [account_manager]`, then the
    /// call rules.
    public var fields: [(String, String)] {
        var out = [("team", team), ("time_zone", timeZone), ("starred_mode", starredMode ? "1" : "0")]
        if let shiftEnd { out.append(("shift_end", shiftEnd)) }
        out.append(("junior_high_ends", juniorHighEnds ? "1" : "0"))
        if let accountManager { out.append(("account_manager", accountManager)) }
        return out + rules + [("claim_order", claimOrder)]
    }

    public static func == (a: TeamSettings, b: TeamSettings) -> Bool {
        a.team == b.team && a.timeZone == b.timeZone && a.starredMode == b.starredMode && a.shiftEnd == b.shiftEnd
            && a.juniorHighEnds == b.juniorHighEnds && a.accountManager == b.accountManager
            && a.rules.map(\.0) == b.rules.map(\.0) && a.rules.map(\.1) == b.rules.map(\.1) && a.claimOrder == b.claimOrder
    }
}

/// One row of QUEUES: one view of one team (or its `all` row), counted at one instant.
public struct QueueRow: Sendable, Equatable {
    public let team: String
    /// `high_end`, `not_called`, `callback` or `all`.
    public let view: String
    public let open: Int
    public let ready: Int
    public let claimable: Int
    public let held: Int
    public let scheduled: Int
    public let breached: Int
    public let oldestAt: Date?
    /// Seconds since `oldestAt`.
    public let oldestAge: Int?
    public let breachesToday: Int
    public let callbacksNextHour: Int
    public let callbacksOverdue: Int

    init(row: Row) {
        team = row["team"] ?? ""
        view = row["view"] ?? ""
        open = row.int("open") ?? 0
        ready = row.int("ready") ?? 0
        claimable = row.int("claimable") ?? 0
        held = row.int("held") ?? 0
        scheduled = row.int("scheduled") ?? 0
        breached = row.int("breached") ?? 0
        oldestAt = row.date("oldest_at")
        oldestAge = row.int("oldest_age")
        breachesToday = row.int("breaches_today") ?? 0
        callbacksNextHour = row.int("callbacks_next_hour") ?? 0
        callbacksOverdue = row.int("callbacks_overdue") ?? 0
    }

    /// docs/PROTOCOL.md QUEUES: the fields of the spec's row first (view rows `team view
    /// ready breached [oldest_at]`; the `all` row `team view open held scheduled breached`),
    /// then the rest, so every row carries every count.
    public var fields: [(String, String)] {
        var out = [("team", team), ("view", view)]
        var rest: [(String, String)] = []
        let oldest: [(String, String)] = oldestAt.map { [("oldest_at", WireDate.format($0))] } ?? []
        if view == "all" {
            out += [("open", String(open)), ("held", String(held)), ("scheduled", String(scheduled)), ("breached", String(breached))]
            rest = [("ready", String(ready))] + oldest
        } else {
            out += [("ready", String(ready)), ("breached", String(breached))] + oldest
            rest = [("open", String(open)), ("held", String(held)), ("scheduled", String(scheduled))]
        }
        rest.append(("claimable", String(claimable)))
        if let oldestAge { rest.append(("oldest_age", String(oldestAge))) }
        rest += [("breaches_today", String(breachesToday)), ("callbacks_next_hour", String(callbacksNextHour)),
                 ("callbacks_overdue", String(callbacksOverdue))]
        return out + rest
    }
}

/// One row of AGENTS: an agent's settings, status, holdings and its day so far.
public struct AgentRow: Sendable, Equatable {
    public let settings: AgentSettings
    /// Live leases.
    public let holding: Int
    /// Open leads in its personal queue.
    public let assigned: Int
    /// The leads it holds, oldest claim first.
    public let heldLeads: [Int64]
    /// When its oldest live claim began.
    public let heldSince: Date?
    /// Since the team's local midnight.
    public let claimsToday: Int
    public let callsToday: Int
    public let conversionsToday: Int

    init(row: Row) {
        settings = AgentSettings(row: row)
        holding = row.int("holding") ?? 0
        assigned = row.int("assigned") ?? 0
        heldLeads = (row["held_leads"] ?? "").split(separator: ",").compactMap { Int64($0) }
        heldSince = row.date("held_since")
        claimsToday = row.int("claims") ?? 0
        callsToday = row.int("calls") ?? 0
        conversionsToday = row.int("conversions") ?? 0
    }

    /// The spec's row (`agent team role status senior capacity holding assigned cities
    /// devices languages`), then `leads held_since claims_today calls_today conversions_today`.
    public var fields: [(String, String)] {
        let s = settings
        var out: [(String, String)] = [
            ("agent", s.agent), ("team", s.team), ("role", s.role), ("status", s.status), ("senior", s.senior ? "1" : "0"),
            ("capacity", String(s.capacity)), ("holding", String(holding)), ("assigned", String(assigned)),
            ("cities", s.cities.joined(separator: ",")), ("devices", s.devices.joined(separator: ",")),
            ("languages", s.languages.joined(separator: ",")),
        ]
        if !heldLeads.isEmpty { out.append(("leads", heldLeads.map(String.init).joined(separator: ","))) }
        if let heldSince { out.append(("held_since", WireDate.format(heldSince))) }
        out += [("claims_today", String(claimsToday)), ("calls_today", String(callsToday)),
                ("conversions_today", String(conversionsToday))]
        return out
    }
}

/// One entry of the floor-action audit (AUDIT).
public struct FloorActionRecord: Sendable, Equatable {
    public let id: Int64
    public let at: Date
    public let team: String
    /// Who did it; nil = the server (shift-end unstar) or the admin command line.
    public let actor: String?
    public let action: String
    /// The agent acted on.
    public let agent: String?
    public let leads: Int
    public let forced: Bool
    /// JSON: filters, counts by reason, settings before and after.
    public let details: String
    public let note: String?

    init(row: Row) {
        id = row.int64("id") ?? 0
        at = row.date("at") ?? Date(timeIntervalSince1970: 0)
        team = row["team"] ?? ""
        actor = row["actor"]
        action = row["action"] ?? ""
        agent = row["agent"]
        leads = row.int("lead_count") ?? 0
        forced = row.bool("forced") ?? false
        details = row["details"] ?? "{}"
        note = row["note"]
    }

    /// `id time team [by] action [agent] leads forced details [note]`.
    public var fields: [(String, String)] {
        var out = [("id", String(id)), ("time", WireDate.format(at)), ("team", team)]
        if let actor { out.append(("by", actor)) }
        out.append(("action", action))
        if let agent { out.append(("agent", agent)) }
        out += [("leads", String(leads)), ("forced", forced ? "1" : "0"), ("details", details)]
        if let note { out.append(("note", note)) }
        return out
    }
}

/// The team lead's and lead manager's floor: routing leads by hand (ASSIGN, MOVE),
/// flow control (PAUSE, RESUME, DRAIN, AGENT SET, STAR, UNSTAR, TEAM SET), intent signals
/// (SIGNAL), the live view (QUEUES, AGENTS), the audit (AUDIT), and the background passes
/// these need (shift-end unstar, boost expiry).
///
/// Every mutation is one transaction (retried on a deadlock or serialization failure) that
/// writes the leads, one event per lead touched (`assigned`, `moved`, `revoked`,
/// `starred`, `unstarred`, `signal`) and one `floor_actions` audit row. LeadCore's
/// `FloorRules` and `ClaimRules` decide; the SQL in `sql/queries` writes. `now` is a
/// parameter so tests control the clock.
public struct FloorControl: Sendable {
    /// How long a SIGNAL boost lasts (server setting `signal_boost`, default 30 minutes).
    public let signalBoost: TimeInterval

    /// The NOTIFY channel announcing a change of an agent's status, capacity or skills
    /// (payload `agent:team:status`, sent by the `agents_changed` trigger).
    public static let agentChannel = "leadline_agents"

    /// Largest `count=` of MOVE.
    public static let maxMoveCount = 1000

    public init(signalBoost: TimeInterval = 1800) {
        self.signalBoost = signalBoost
    }

    // MARK: routing

    /// ASSIGN: puts an open lead into `agent`'s personal queue.
    ///
    /// Checks, in order: NOT_FOUND (lead, then agent); DENIED (the lead's or the agent's
    /// team is not the overseer's); BAD_ARG (the agent is in another team than the lead);
    /// CONFLICT (closed); AGENT_NOT_ACTIVE (draining or disabled; paused may be assigned);
    /// LEASE_HELD (another agent holds it; `force` revokes the lease instead); NOT_SKILLED
    /// (`FloorRules.skillGap`; `force` skips it). Assigning to the agent who already has it
    /// is a no-op.
    public func assign(_ c: PostgresConnection, lead: Int64, agent name: String, force: Bool, by overseer: Overseer,
                       now: Date) throws -> AssignResult {
        try Self.atomically(c) { c in
            guard let lr = try c.query(SQLFiles.query("floor_lead"), [lead, now], prepared: true).first else {
                throw Refusal(.notFound, "no lead \(lead)")
            }
            let agent = try Self.agent(c, name, key: "agent")
            let leadTeam = lr.int64("team_id") ?? 0
            guard overseer.oversees(team: leadTeam) else { throw Refusal(.denied, "lead \(lead) belongs to another team") }
            guard overseer.oversees(team: agent.teamID) else { throw Refusal(.denied, "agent: \(name) belongs to another team") }
            guard agent.teamID == leadTeam else {
                throw Refusal(.badArg, "agent: \(name) is in team \(agent.team); lead \(lead) is in team \(lr["team"] ?? "?")")
            }
            guard lr["state"] != "closed" else { throw Refusal(.conflict, "lead \(lead) is closed") }
            let status = try Self.hold(c, agent: agent)
            guard status != .draining && status != .disabled else {
                throw Refusal(.agentNotActive, "agent: \(name) is \(status.rawValue) and takes no new leads")
            }
            let alreadyTheirs = lr.int64("assigned_agent_id") == agent.id && lr["reserved_until"] == nil
            let held = lr.bool("held") ?? false
            let holder = lr.int64("holder_agent_id")
            let heldByOther = held && holder != agent.id
            if alreadyTheirs && !heldByOther {
                return AssignResult(lead: lead, agent: agent.name, revoked: nil, changed: false)
            }
            if heldByOther && !force {
                throw Refusal(.leaseHeld, "lead \(lead) is held by \(lr["holder"] ?? "another agent"); force=1 revokes the lease")
            }
            let gap = FloorRules.skillGap(agent: agent.snapshot, lead: Self.snapshot(lr), team: agent.policy)
            if let gap, !force { throw Refusal(.notSkilled, "\(gap); force=1 assigns it anyway") }
            var payload: [String: String] = ["to": agent.name, "from": lr["assigned"] ?? "pool", "via": "assign"]
            if force { payload["force"] = "true" }
            _ = try Self.route(c, leads: [lead], revoke: heldByOther ? [lead] : [], to: agent.id, by: overseer, now: now,
                               kind: "assigned", payload: payload, forced: force)
            var details: [String: String] = ["lead": String(lead), "from": lr["assigned"] ?? "pool"]
            if let gap { details["skill_gap_overridden"] = gap }
            if heldByOther { details["revoked"] = lr["holder"] ?? "" }
            try Self.audit(c, now: now, team: leadTeam, by: overseer, action: "assign", agent: agent.id, leads: 1,
                           forced: force, details: details)
            return AssignResult(lead: lead, agent: agent.name, revoked: heldByOther ? lr["holder"] : nil, changed: true)
        }
    }

    /// MOVE: open leads from one agent's personal queue (or the team pool) to another's (or
    /// the pool), in claim order, at most `count` (required from the pool; default all from
    /// an agent), optionally only one view and city.
    ///
    /// Without `force` a lead another agent holds under a live lease is skipped, and so is
    /// a lead the receiving agent does not cover; with it, held leads' leases are revoked
    /// (`revoked` events; the holder's next action gets LEASE_LOST) and every matching lead
    /// moves. From the pool, skipped leads do not count towards `count`.
    ///
    /// Checks, in order: BAD_ARG (both pool, the same, `count` missing from the pool or
    /// out of 1…1000); NOT_FOUND (from, then to); DENIED (another team); BAD_ARG (the two
    /// agents in different teams); AGENT_NOT_ACTIVE (`to` draining or disabled).
    public func move(_ c: PostgresConnection, from: QueueEndpoint, to: QueueEndpoint, count: Int?, view: View?, city: String?,
                     force: Bool, by overseer: Overseer, requestID: String? = nil, now: Date) throws -> MoveResult {
        if from == .pool && to == .pool { throw Refusal(.badArg, "to: from and to are both the pool") }
        if from == to { throw Refusal(.badArg, "to: from and to are the same agent") }
        if let count, !(1...Self.maxMoveCount).contains(count) {
            throw Refusal(.badArg, "count: expected an integer from 1 to \(Self.maxMoveCount)")
        }
        if from == .pool && count == nil { throw Refusal(.badArg, "count: required when moving from the pool") }
        let viewFilter = view == .allLeads ? nil : view
        let arguments: [(String, String?)] = [
            ("from", from.description), ("to", to.description), ("count", count.map { String($0) }),
            ("view", view?.rawValue), ("city", city), ("force", force ? "1" : "0"),
        ]
        return try Self.atomically(c, once: requestID, by: overseer, verb: "MOVE", arguments: arguments, now: now) { c in
            var source: FloorAgent?
            var receiver: FloorAgent?
            if case .agent(let name) = from { source = try Self.agent(c, name, key: "from") }
            if case .agent(let name) = to { receiver = try Self.agent(c, name, key: "to") }
            let teams = [source?.teamID, receiver?.teamID].compactMap { $0 }
            for (agent, key) in [(source, "from"), (receiver, "to")] {
                if let agent, !overseer.oversees(team: agent.teamID) {
                    throw Refusal(.denied, "\(key): \(agent.name) belongs to another team")
                }
            }
            guard let team = teams.first, teams.allSatisfy({ $0 == team }) else {
                throw Refusal(.badArg, "to: \(to) is in another team than \(from)")
            }
            if let receiver, receiver.status == .draining || receiver.status == .disabled {
                throw Refusal(.agentNotActive, "to: \(receiver.name) is \(receiver.status.rawValue) and takes no new leads")
            }
            let limit = from == .pool ? (count ?? 0) + 1000 : (count ?? 100_000)
            let candidates: QueryResult
            if let source {
                candidates = try c.query(SQLFiles.query("move_from_agent"), [source.id, viewFilter?.rawValue, city, limit, now], prepared: true)
            } else {
                candidates = try c.query(SQLFiles.query("move_from_pool"), [team, viewFilter?.rawValue, city, limit, now], prepared: true)
            }
            if let receiver {
                let status = try Self.hold(c, agent: receiver)
                if status == .draining || status == .disabled {
                    throw Refusal(.agentNotActive, "to: \(receiver.name) is \(status.rawValue) and takes no new leads")
                }
            }
            let policy = receiver?.policy ?? source?.policy ?? .standard
            var moving: [Int64] = []
            var revoking: [Int64] = []
            var skippedHeld = 0
            var skippedNotSkilled = 0
            for row in candidates.rows {
                if let count, moving.count >= count { break }
                guard let id = row.int64("id") else { continue }
                let heldByOther = (row.bool("held") ?? false) && row.int64("holder_agent_id") != receiver?.id
                switch FloorRules.moveVerdict(lead: Self.snapshot(row), heldByOther: heldByOther, receiver: receiver?.snapshot,
                                              team: policy, force: force) {
                case .move: moving.append(id)
                case .revokeAndMove:
                    moving.append(id)
                    revoking.append(id)
                case .skipHeld: skippedHeld += 1
                case .skipNotSkilled: skippedNotSkilled += 1
                }
            }
            var payload: [String: String] = ["from": from.description, "to": to.description, "via": "move"]
            if force { payload["force"] = "true" }
            var revoked = 0
            if !moving.isEmpty {
                revoked = try Self.route(c, leads: moving, revoke: revoking, to: receiver?.id, by: overseer, now: now,
                                         kind: "moved", payload: payload, forced: force)
            }
            var details: [String: String] = [
                "from": from.description, "to": to.description, "skipped_held": String(skippedHeld),
                "skipped_not_skilled": String(skippedNotSkilled), "revoked": String(revoked),
            ]
            if let count { details["count"] = String(count) }
            if let viewFilter { details["view"] = viewFilter.rawValue }
            if let city { details["city"] = city }
            if !moving.isEmpty {
                try Self.audit(c, now: now, team: team, by: overseer, action: "move", agent: receiver?.id ?? source?.id,
                               leads: moving.count, forced: force, details: details)
            }
            return MoveResult(moved: moving.count, skippedHeld: skippedHeld, skippedNotSkilled: skippedNotSkilled, revoked: revoked)
        }
    }

    // MARK: flow control

    /// PAUSE (`.paused`), RESUME (`.active`) or DRAIN (`.draining`) an agent. A paused or
    /// draining agent claims nothing new (its waiting CLAIMs end with AGENT_NOT_ACTIVE: the
    /// `agents_changed` trigger notifies every instance); leases it holds run on. DRAIN also
    /// returns its personal queue to the team pool (held leads included: they go to the
    /// pool when their lease ends), and its callbacks are no longer reserved for it.
    ///
    /// Checks: NOT_FOUND, DENIED (another team), CONFLICT (the agent is disabled).
    public func setStatus(_ c: PostgresConnection, agent name: String, to status: AgentStatus, by overseer: Overseer,
                          now: Date) throws -> AgentStatusResult {
        precondition(status != .disabled, "disabling is `leadline agent disable`")
        return try Self.atomically(c) { c in
            let agent = try Self.agent(c, name, key: "agent")
            guard overseer.oversees(team: agent.teamID) else { throw Refusal(.denied, "agent: \(name) belongs to another team") }
            guard agent.status != .disabled else { throw Refusal(.conflict, "agent: \(name) is disabled") }
            guard try c.query(SQLFiles.query("agent_status"), [agent.id, status.rawValue, now], prepared: true).first != nil else {
                throw Refusal(.conflict, "agent: \(name) is disabled")
            }
            var returned: Int?
            if status == .draining {
                let row = try c.query(SQLFiles.query("drain_return"), [agent.id, overseer.id, now], prepared: true).first
                returned = row?.int("returned") ?? 0
            }
            let action = switch status {
            case .paused: "pause"
            case .draining: "drain"
            default: "resume"
            }
            if agent.status != status || (returned ?? 0) > 0 {
                try Self.audit(c, now: now, team: agent.teamID, by: overseer, action: action, agent: agent.id, leads: returned ?? 0,
                               forced: false, details: ["before": agent.status.rawValue, "after": status.rawValue])
            }
            return AgentStatusResult(agent: agent.name, status: status, returned: returned)
        }
    }

    /// AGENT SET: seniority, cities, device types, languages (lists; empty covers all) and
    /// capacity (0…100). Checks: BAD_ARG (capacity out of range), NOT_FOUND, DENIED.
    public func setAgent(_ c: PostgresConnection, agent name: String, changes: AgentChanges, by overseer: Overseer,
                         now: Date) throws -> AgentSettings {
        if let capacity = changes.capacity, !(0...100).contains(capacity) {
            throw Refusal(.badArg, "capacity: expected an integer from 0 to 100")
        }
        return try Self.atomically(c) { c in
            let agent = try Self.agent(c, name, key: "agent")
            guard overseer.oversees(team: agent.teamID) else { throw Refusal(.denied, "agent: \(name) belongs to another team") }
            guard let row = try c.query(SQLFiles.query("agent_set"), [
                agent.id, changes.senior, changes.cities, changes.devices, changes.languages, changes.capacity, now,
            ], prepared: true).first else {
                throw Refusal(.notFound, "agent: no agent \(name)")
            }
            let after = AgentSettings(row: row)
            // The settings that changed, as they were and as they are (`cities_before`, `cities`, …).
            let before = agent.snapshot
            func list(_ set: Set<String>) -> String { set.sorted().joined(separator: ",") }
            var details: [String: String] = [:]
            func changed(_ key: String, _ old: String, _ new: String) {
                if old != new { details["\(key)_before"] = old; details[key] = new }
            }
            changed("senior", agent.senior ? "1" : "0", after.senior ? "1" : "0")
            changed("cities", list(before.cities), list(Set(after.cities)))
            changed("devices", list(before.deviceCategories), list(Set(after.devices)))
            changed("languages", list(before.languages), list(Set(after.languages)))
            changed("capacity", String(before.capacity), String(after.capacity))
            if !details.isEmpty {
                try Self.audit(c, now: now, team: agent.teamID, by: overseer, action: "agent_set", agent: agent.id, leads: 0,
                               forced: false, details: details)
            }
            return after
        }
    }

    /// STAR (`starred: true`) or UNSTAR: the team's open leads chosen by `filter`; returns
    /// how many leads' star changed. In a team running in starred mode only starred leads
    /// are claimable, so this is how a lead manager releases leads in a controlled flow.
    ///
    /// Checks, in order: BAD_ARG (an admin without `team` or `lead`); NOT_FOUND (the team,
    /// then the lead); DENIED (another team).
    public func star(_ c: PostgresConnection, _ starred: Bool, filter: StarFilter, by overseer: Overseer, now: Date) throws -> Int {
        if overseer.isAdmin && filter.team == nil && filter.lead == nil {
            throw Refusal(.badArg, "team: an admin names the team (or a lead)")
        }
        return try Self.atomically(c) { c in
            var team: Int64 = overseer.teamID
            if let name = filter.team {
                guard let row = try c.query(SQLFiles.query("floor_team"), [name], prepared: true).first, let id = row.int64("id") else {
                    throw Refusal(.notFound, "team: no team \(name)")
                }
                team = id
            }
            if let lead = filter.lead {
                guard let row = try c.query(SQLFiles.query("lease_state"), [lead], prepared: true).first else {
                    throw Refusal(.notFound, "no lead \(lead)")
                }
                if filter.team == nil { team = row.int64("team_id") ?? team }
                guard overseer.oversees(team: row.int64("team_id") ?? -1) else {
                    throw Refusal(.denied, "lead \(lead) belongs to another team")
                }
            }
            guard overseer.oversees(team: team) else { throw Refusal(.denied, "team: \(filter.team ?? "") is another team") }
            let view = filter.view == .allLeads ? nil : filter.view
            let row = try c.query(SQLFiles.query("star"), [
                team, starred, filter.lead, view?.rawValue, filter.city, filter.source, filter.before, filter.after, overseer.id, now,
            ], prepared: true).first
            let changed = row?.int("changed") ?? 0
            if changed > 0 {
                try Self.audit(c, now: now, team: team, by: overseer, action: starred ? "star" : "unstar", agent: nil, leads: changed,
                               forced: false, details: filter.details)
            }
            return changed
        }
    }

    /// TEAM SET: a team's starred mode, shift end (the daily unstar, team-local), whether
    /// juniors take High Ends, and the account manager failed payments go to. With no
    /// changes it just returns the settings.
    ///
    /// Checks, in order: NOT_FOUND (the team); DENIED (another team); BAD_ARG (a malformed
    /// shift end); NOT_FOUND (the account manager); BAD_ARG (an account manager of another
    /// team, or disabled).
    public func setTeam(_ c: PostgresConnection, team name: String?, changes: TeamChanges, by overseer: Overseer,
                        now: Date) throws -> TeamSettings {
        try Self.atomically(c) { c in
            var team = overseer.teamID
            var teamName = name ?? ""
            if let name {
                guard let row = try c.query(SQLFiles.query("floor_team"), [name], prepared: true).first, let id = row.int64("id") else {
                    throw Refusal(.notFound, "team: no team \(name)")
                }
                team = id
            } else if overseer.id == nil {
                throw Refusal(.badArg, "team: required")
            }
            guard overseer.oversees(team: team) else { throw Refusal(.denied, "team: \(teamName) is another team") }
            var shiftEnd: String?
            if case .some(.some(let text)) = changes.shiftEnd {
                guard let clean = TeamChanges.shiftEnd(text) else {
                    throw Refusal(.badArg, "shift_end: expected HH:MM (24-hour, team time) or none")
                }
                shiftEnd = clean
            }
            var manager: Int64?
            if case .some(.some(let managerName)) = changes.accountManager {
                let agent = try Self.agent(c, managerName, key: "account_manager")
                guard agent.teamID == team else {
                    throw Refusal(.badArg, "account_manager: \(managerName) is in team \(agent.team)")
                }
                guard agent.status != .disabled else { throw Refusal(.badArg, "account_manager: \(managerName) is disabled") }
                manager = agent.id
            }
            let rules = changes.rules
            var window: (start: String, end: String)?
            if let text = rules.callWindow {
                guard let parsed = TeamRuleChanges.callWindow(text) else {
                    throw Refusal(.badArg, "call_window: expected HH:MM-HH:MM (24-hour, team time), start before end")
                }
                window = parsed
            }
            for (key, range) in TeamRuleChanges.limits {
                if let value = rules.value(for: key), !range.contains(value) {
                    throw Refusal(.badArg, "\(key): expected an integer from \(range.lowerBound) to \(range.upperBound)")
                }
            }
            guard let row = try c.query(SQLFiles.query("team_settings"), [
                team, changes.starredMode, changes.shiftEnd != nil, shiftEnd, changes.juniorHighEnds,
                changes.accountManager != nil, manager, now,
                rules.leaseMinutes, rules.callbackGraceMinutes, rules.callbackHorizonDays, rules.followUpHours,
                rules.attemptsPerDay, rules.attemptSpacingMinutes, rules.unreachableAfterDays, window?.start, window?.end,
                changes.claimOrder?.rawValue,
            ], prepared: true).first else {
                throw Refusal(.notFound, "team: no team \(teamName)")
            }
            teamName = row["name"] ?? teamName
            var ruleFields = TeamRuleChanges.limits.map { ($0.key, row[$0.key] ?? "") }
            ruleFields.append(("call_window", row["call_window"] ?? ""))
            var settings = TeamSettings(team: teamName, timeZone: row["time_zone"] ?? "", starredMode: row.bool("starred_mode") ?? false,
                                        shiftEnd: row["shift_end"], juniorHighEnds: row.bool("allow_junior_high_end") ?? false,
                                        accountManager: row["account_manager"], rules: ruleFields)
            settings.claimOrder = row["claim_order"] ?? settings.claimOrder
            settings.teamID = row.int64("id") ?? team
            if row.bool("changed") == true {
                try c.query(SQLFiles.query("floor_audit"), [
                    now, team, overseer.id, "team_set", Int64?.none, 0, false, row["details"] ?? "{}", String?.none,
                ], prepared: true)
            }
            return settings
        }
    }

    // MARK: signals

    /// SIGNAL: the lead is boosted for `signalBoost` (it goes ahead of its tier; a retry or
    /// follow-up becomes due at once, a callback keeps its time), and a `signal` event
    /// records the kind and the note. `payment_failed` needs a note (NOTE_REQUIRED) and
    /// routes the lead to the agent who last worked it, else the team's account manager
    /// (`FloorRules.paymentOwner`), with an `assigned` event.
    ///
    /// Checks, in order: NOT_FOUND; DENIED (another team); CONFLICT (closed);
    /// NOTE_REQUIRED / BAD_ARG (the note).
    public func signal(_ c: PostgresConnection, lead: Int64, kind: SignalKind, note: String?, by overseer: Overseer,
                       requestID: String? = nil, now: Date) throws -> SignalResult {
        let arguments: [(String, String?)] = [("lead", String(lead)), ("kind", kind.rawValue), ("note", note)]
        return try Self.atomically(c, once: requestID, by: overseer, verb: "SIGNAL", arguments: arguments, now: now) { c in
            guard let lr = try c.query(SQLFiles.query("floor_lead"), [lead, now], prepared: true).first else {
                throw Refusal(.notFound, "no lead \(lead)")
            }
            let team = lr.int64("team_id") ?? 0
            guard overseer.oversees(team: team) else { throw Refusal(.denied, "lead \(lead) belongs to another team") }
            guard lr["state"] != "closed" else { throw Refusal(.conflict, "lead \(lead) is closed") }
            var clean: String?
            if kind.needsNote {
                clean = try Note.validate(note)
            } else if let note, !note.trimmingCharacters(in: Note.blankCharacters).isEmpty {
                clean = try Note.validate(note)
            }
            var receiver: FloorAgent?
            if kind.routesToOwner,
               let owner = FloorRules.paymentOwner(lastWorker: lr["last_worker"], accountManager: lr["account_manager"]) {
                receiver = try Self.agent(c, owner, key: "agent")
                if let receiver { _ = try Self.hold(c, agent: receiver) }
            }
            guard let row = try c.query(SQLFiles.query("signal"), [
                lead, kind.rawValue, clean, overseer.id, now, signalBoost, receiver?.id,
            ], prepared: true).first, let until = row.date("boost_until") else {
                throw Refusal(.conflict, "lead \(lead) is closed")
            }
            var details: [String: String] = ["lead": String(lead), "kind": kind.rawValue, "boost_until": PostgresTime.format(until)]
            if let receiver { details["to"] = receiver.name }
            try Self.audit(c, now: now, team: team, by: overseer, action: "signal", agent: receiver?.id, leads: 1, forced: false,
                           details: details, note: clean)
            return SignalResult(lead: lead, kind: kind, boostUntil: until, assigned: receiver?.name)
        }
    }

    // MARK: the live view

    /// QUEUES: four rows per team (its three views in claim order, then `all`), teams by
    /// name; `team` nil = the overseer's team (a team lead) or every team (an admin).
    /// Checks: NOT_FOUND (team), DENIED (another team).
    ///
    /// Read from the kept counts (sql/queries/queues_fast.sql, `BoardTally`): a few rows per
    /// team instead of every open lead. At a `now` the kept counts can no longer tell apart
    /// (more than `BoardTally.defaultKeep` behind the last fold) it counts the leads
    /// (`queuesByCount`).
    public func queues(_ c: PostgresConnection, team: String?, by overseer: Overseer, now: Date) throws -> [QueueRow] {
        let id = try Self.viewedTeam(c, team, by: overseer)
        let kept = try c.query(SQLFiles.query("queues_fast"), [id, now], prepared: true).rows
        if !kept.isEmpty { return kept.map(QueueRow.init(row:)) }
        return try c.query(SQLFiles.query("queues"), [id, now], prepared: true).rows.map(QueueRow.init(row:))
    }

    /// QUEUES by counting every open lead (sql/queries/queues.sql, where each number is
    /// defined): what `queues` must equal, and its answer for a `now` long past.
    public func queuesByCount(_ c: PostgresConnection, team: String?, by overseer: Overseer, now: Date) throws -> [QueueRow] {
        let id = try Self.viewedTeam(c, team, by: overseer)
        return try c.query(SQLFiles.query("queues"), [id, now], prepared: true).rows.map(QueueRow.init(row:))
    }

    /// AGENTS: one row per agent, by team then name; `team` as for `queues`.
    public func agents(_ c: PostgresConnection, team: String?, by overseer: Overseer, now: Date) throws -> [AgentRow] {
        let id = try Self.viewedTeam(c, team, by: overseer)
        return try c.query(SQLFiles.query("agents_view"), [id, now], prepared: true).rows.map(AgentRow.init(row:))
    }

    /// AUDIT: the floor-action log, newest first; `team` as for `queues`, `agent` (acting or
    /// acted on) optional, at most `limit` rows.
    public func audit(_ c: PostgresConnection, team: String?, agent: String?, limit: Int, by overseer: Overseer) throws -> [FloorActionRecord] {
        let id = try Self.viewedTeam(c, team, by: overseer)
        var agentID: Int64?
        if let agent {
            let found = try Self.agent(c, agent, key: "agent")
            guard overseer.oversees(team: found.teamID) else { throw Refusal(.denied, "agent: \(agent) belongs to another team") }
            agentID = found.id
        }
        return try c.query(SQLFiles.query("floor_actions"), [id, agentID, max(0, limit)], prepared: true).rows
            .map(FloorActionRecord.init(row:))
    }

    // MARK: background passes

    /// The end-of-shift unstar: every team whose shift end (its `shift_end_unstar`, on the
    /// team's clock) has come today and that was not unstarred on this local day. Returns
    /// the teams done and how many leads each lost its star. Safe from several instances.
    @discardableResult
    public func unstarAtShiftEnd(_ c: PostgresConnection, now: Date) throws -> [(team: String, unstarred: Int)] {
        try c.query(SQLFiles.query("shift_end_unstar"), [now], prepared: true).rows.map { ($0["name"] ?? "", $0.int("leads") ?? 0) }
    }

    /// Ends the SIGNAL boosts that ran out; returns how many.
    @discardableResult
    public func expireBoosts(_ c: PostgresConnection, now: Date, limit: Int = 1000) throws -> Int {
        try c.query(SQLFiles.query("boost_expire"), [now, limit], prepared: true).rows.count
    }

    // MARK: helpers

    /// An agent as a routing verb sees it.
    struct FloorAgent {
        let id: Int64
        let name: String
        let teamID: Int64
        let team: String
        let status: AgentStatus
        /// The `senior` flag as stored (team leads and admins take High Ends whatever it says).
        let senior: Bool
        let snapshot: AgentSnapshot
        let policy: TeamPolicy
    }

    /// - Throws: NOT_FOUND naming `key`.
    static func agent(_ c: PostgresConnection, _ name: String, key: String) throws -> FloorAgent {
        guard let row = try c.query(SQLFiles.query("floor_agent"), [name], prepared: true).first, let id = row.int64("id") else {
            throw Refusal(.notFound, "\(key): no agent \(name)")
        }
        var role = AgentRole(rawValue: row["role"] ?? "") ?? .agent
        if role == .agent && row.bool("senior") == true { role = .senior }
        let teamID = row.int64("team_id") ?? 0
        let status = AgentStatus(rawValue: row["status"] ?? "") ?? .disabled
        var policy = TeamPolicy.standard
        policy.allowJuniorHighEnd = row.bool("allow_junior_high_end") ?? false
        let snapshot = AgentSnapshot(id: row["name"] ?? name, team: String(teamID), role: role, status: status,
                                     capacity: row.int("capacity") ?? 1,
                                     cities: Set(row.stringArray("cities") ?? []),
                                     deviceCategories: Set(row.stringArray("device_categories") ?? []),
                                     languages: Set(row.stringArray("languages") ?? []))
        return FloorAgent(id: id, name: row["name"] ?? name, teamID: teamID, team: row["team"] ?? "", status: status,
                          senior: row.bool("senior") ?? false, snapshot: snapshot, policy: policy)
    }

    /// Holds the agent's row until commit and returns its status now.
    static func hold(_ c: PostgresConnection, agent: FloorAgent) throws -> AgentStatus {
        let row = try c.query(SQLFiles.query("agent_hold"), [agent.id], prepared: true).first
        return AgentStatus(rawValue: row?["status"] ?? "") ?? .disabled
    }

    /// A lead row (floor_lead, move_from_*) as the routing rules see it.
    static func snapshot(_ row: Row) -> LeadSnapshot {
        LeadSnapshot(id: row.int64("id") ?? 0, team: String(row.int64("team_id") ?? 0), isHighEnd: row.bool("high_end") ?? false,
                     city: row["city"] ?? "", deviceCategory: row["category"] ?? "", language: row["language"],
                     slaDeadline: Date(timeIntervalSince1970: 0))
    }

    /// Writes floor_route.sql; returns how many leases were revoked.
    static func route(_ c: PostgresConnection, leads: [Int64], revoke: [Int64], to agent: Int64?, by overseer: Overseer, now: Date,
                      kind: String, payload: [String: String], forced: Bool) throws -> Int {
        let rows = try c.query(SQLFiles.query("floor_route"), [leads, revoke, agent, overseer.id, now, kind, json(payload)],
                               prepared: true)
        return rows.first?.int("revoked") ?? 0
    }

    /// One `floor_actions` row.
    static func audit(_ c: PostgresConnection, now: Date, team: Int64, by overseer: Overseer, action: String, agent: Int64?,
                      leads: Int, forced: Bool, details: [String: String], note: String? = nil) throws {
        try c.query(SQLFiles.query("floor_audit"), [now, team, overseer.id, action, agent, leads, forced, json(details), note],
                    prepared: true)
    }

    /// The team a live view reads: nil = the overseer's own (team lead) or every team (admin).
    /// - Throws: NOT_FOUND, DENIED.
    static func viewedTeam(_ c: PostgresConnection, _ name: String?, by overseer: Overseer) throws -> Int64? {
        guard let name else { return overseer.isAdmin ? nil : overseer.teamID }
        guard let row = try c.query(SQLFiles.query("floor_team"), [name], prepared: true).first, let id = row.int64("id") else {
            throw Refusal(.notFound, "team: no team \(name)")
        }
        guard overseer.oversees(team: id) else { throw Refusal(.denied, "team: \(name) is another team") }
        return id
    }

    /// A JSON object of strings, keys sorted (`"true"` for a flag becomes JSON true).
    static func json(_ object: [String: String]) -> String {
        var out: [String: Any] = [:]
        for (key, value) in object { out[key] = value == "true" ? true : value }
        let data = (try? JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs `body` in one transaction, again (up to 3 times) after a deadlock or a
    /// serialization failure.
    static func atomically<T>(_ c: PostgresConnection, _ body: (PostgresConnection) throws -> T) throws -> T {
        try retrying { try c.transaction(body) }
    }

    /// `atomically`, and with a request id (`idem=`) at most once: a retry with the same id
    /// and arguments gets the first call's reply without acting again (RequestLedger).
    static func atomically<T: Codable & Sendable>(_ c: PostgresConnection, once requestID: String?, by overseer: Overseer,
                                                  verb: String, arguments: [(String, String?)], now: Date,
                                                  _ body: (PostgresConnection) throws -> T) throws -> T {
        guard let requestID, let agent = overseer.id else { return try atomically(c, body) }
        return try retrying {
            try RequestLedger().once(c, agent: agent, requestID: requestID, verb: verb, arguments: arguments, now: now, body)
        }
    }

    /// Runs `attempt` again (up to 3 times, briefly spaced) when the database asks for a retry.
    private static func retrying<T>(_ attempt: () throws -> T) throws -> T {
        var tries = 0
        while true {
            do {
                return try attempt()
            } catch {
                if let failure = error as? PostgresError, failure.isRetryable, tries < 3 {
                    tries += 1
                    usleep(useconds_t(5_000 * tries))
                    continue
                }
                throw error
            }
        }
    }
}
