import Foundation
import LeadCore
import Postgres

// Who acts on the floor and what they ask for: the inputs of FloorControl's verbs.

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
