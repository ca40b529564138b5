import Foundation
import Postgres

/// A lead as the agent's screen shows it: the fields of docs/PROTOCOL.md §11, in order,
/// ready for a reply (rendered by `LeadFields.wire`, as CLAIM's are), for MINE and LEAD SHOW.
public struct LeadCard: Sendable {
    public let id: Int64
    public let teamName: String
    public let state: String
    /// The queue the lead is claimed from: `high_end`, `not_called` or `callback`.
    public let view: String
    public let holderID: Int64?
    /// The lease token while held.
    public let lease: Int64?
    /// The lease expiry while held.
    public let leaseExpiresAt: Date?
    /// §11 fields from `team` to `order` (without `lead`), absent values left out.
    let body: [(String, String)]

    init(row: Row) {
        id = row.int64("id") ?? 0
        teamName = row["team"] ?? ""
        state = row["state"] ?? ""
        view = row["view"] ?? ""
        holderID = row.int64("holder_agent_id")
        lease = holderID == nil ? nil : row.int64("lease_gen")
        leaseExpiresAt = holderID == nil ? nil : row.date("lease_expires_at")
        body = LeadFields.wire(row)
    }

    /// The fields of LEAD SHOW's header: `lead` then every §11 field (a lease token is never
    /// shown here; CLAIM and MINE give it to the holder).
    public var fields: [(String, String)] {
        [("lead", String(id))] + body
    }

    /// The fields of a CLAIM reply or a MINE row: `lead lease view due` first, then the rest
    /// of §11 without `holder` and `held_until`.
    public var heldFields: [(String, String)] {
        var out: [(String, String)] = [("lead", String(id))]
        if let lease { out.append(("lease", String(lease))) }
        out.append(("view", view))
        if let leaseExpiresAt { out.append(("due", WireDate.format(leaseExpiresAt))) }
        return out + body.filter { $0.0 != "holder" && $0.0 != "held_until" }
    }
}

/// Reads leads as cards: one lead, several, or every lead an agent holds (MINE).
public struct LeadCards: Sendable {
    public init() {}

    /// The cards of `leads`, soonest lease expiry first, then by id; unknown ids are skipped.
    public func cards(_ c: PostgresConnection, leads: [Int64], now: Date) throws -> [LeadCard] {
        try c.query(SQLFiles.query("lead_cards"), [leads, Int64?.none, now], prepared: true).rows.map(LeadCard.init(row:))
    }

    /// One lead's card, or nil if there is no such lead.
    public func card(_ c: PostgresConnection, lead: Int64, now: Date) throws -> LeadCard? {
        try cards(c, leads: [lead], now: now).first
    }

    /// The leads `agent` holds under a live lease, soonest expiry first.
    public func held(_ c: PostgresConnection, by agent: Int64, now: Date) throws -> [LeadCard] {
        try c.query(SQLFiles.query("lead_cards"), [[Int64]?.none, agent, now], prepared: true).rows.map(LeadCard.init(row:))
    }

    /// Claimable-now leads per view (`high_end`, `not_called`, `callback`), over all teams.
    public func queueDepth(_ c: PostgresConnection) throws -> [String: Int] {
        var out = ["high_end": 0, "not_called": 0, "callback": 0]
        for row in try c.query(SQLFiles.query("queue_depth"), prepared: true).rows {
            switch row.int("tier") {
            case 1: out["high_end"] = row.int("n") ?? 0
            case 2: out["not_called"] = row.int("n") ?? 0
            case 3: out["callback"] = row.int("n") ?? 0
            default: break
            }
        }
        return out
    }
}
