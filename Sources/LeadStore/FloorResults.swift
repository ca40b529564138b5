import Foundation
import LeadCore
import Postgres

// What FloorControl's verbs return: typed values; the server encodes them (Replies).

/// The reply to ASSIGN.
public struct AssignResult: Sendable, Equatable {
    public let lead: Int64
    public let agent: String
    /// The agent whose live lease was revoked (`force=1`).
    public let revoked: String?
    /// False when the lead already was in that agent's queue (a no-op).
    public let changed: Bool
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
}

/// The reply to PAUSE, RESUME and DRAIN.
public struct AgentStatusResult: Sendable, Equatable {
    public let agent: String
    public let status: AgentStatus
    /// DRAIN: leads returned from the agent's personal queue to the team pool.
    public let returned: Int?
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
}

/// The reply to SIGNAL.
public struct SignalResult: Sendable, Equatable, Codable {
    public let lead: Int64
    public let kind: SignalKind
    public let boostUntil: Date
    /// payment_failed: whose personal queue the lead went to (its owner, else the account manager).
    public let assigned: String?
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

    public static func == (a: TeamSettings, b: TeamSettings) -> Bool {
        a.team == b.team && a.timeZone == b.timeZone && a.starredMode == b.starredMode && a.shiftEnd == b.shiftEnd
            && a.juniorHighEnds == b.juniorHighEnds && a.accountManager == b.accountManager
            && a.rules.map(\.0) == b.rules.map(\.0) && a.rules.map(\.1) == b.rules.map(\.1) && a.claimOrder == b.claimOrder
    }
}
