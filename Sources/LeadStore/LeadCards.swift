import Foundation
import Postgres

/// A lead's fields (docs/PROTOCOL.md §11) as typed values, read from a row that carries
/// claim.sql's column names (CLAIM, MINE, LEAD SHOW, LEADS). Missing columns, NULLs and
/// empty text are nil; a closed lead shows no queue placement (no boost, no assignee).
/// The server's `Replies` writes them on the wire, in the spec's order.
public struct LeadFieldValues: Sendable, Equatable {
    public var team: String?
    public var phone: String?
    public var name: String?
    public var city: String?
    public var pincode: String?
    public var language: String?
    public var category: String?
    public var brand: String?
    public var model: String?
    public var variant: String?
    /// The condition answers as stored (comma-separated).
    public var conditions: String?
    /// The quoted price, in paise.
    public var price: Int64?
    public var source: String?
    public var campaign: String?
    public var createdAt: Date?
    public var highEnd: Bool?
    public var state: String?
    public var outcome: String?
    public var nextAt: Date?
    public var callbackAgent: String?
    public var attempts: Int?
    public var attemptsToday: Int?
    public var lastCode: String?
    public var starred: Bool?
    public var boostUntil: Date?
    public var assigned: String?
    public var holder: String?
    public var heldUntil: Date?
    public var slaDueAt: Date?
    public var slaBreached: Bool?
    public var order: Int64?

    public init() {}

    init(row: Row) {
        func text(_ column: String) -> String? {
            guard let v = row[column], !v.isEmpty else { return nil }
            return v
        }
        let closed = row["state"] == "closed"
        team = text("team"); phone = text("phone"); name = text("customer_name"); city = text("city")
        pincode = text("pincode"); language = text("language"); category = text("category"); brand = text("brand")
        model = text("model"); variant = text("variant"); conditions = text("conditions"); price = row.int64("quoted_price")
        source = text("source"); campaign = text("campaign"); createdAt = row.date("created_at"); highEnd = row.bool("high_end")
        state = text("state"); outcome = text("outcome"); nextAt = row.date("next_at"); callbackAgent = text("callback_agent")
        attempts = row.int("attempts"); attemptsToday = row.int("attempts_today"); lastCode = text("last_code")
        starred = row.bool("starred"); boostUntil = closed ? nil : row.date("boost_until")
        assigned = closed ? nil : text("assigned"); holder = text("holder"); heldUntil = row.date("held_until")
        slaDueAt = row.date("sla_due_at"); slaBreached = row.bool("sla_breached"); order = row.int64("order_id")
    }
}

/// A lead as the agent's screen shows it (MINE, the floor console): its identity, lease and
/// §11 fields.
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
    /// The §11 fields.
    public let fields: LeadFieldValues

    init(row: Row) {
        id = row.int64("id") ?? 0
        teamName = row["team"] ?? ""
        state = row["state"] ?? ""
        view = row["view"] ?? ""
        holderID = row.int64("holder_agent_id")
        lease = holderID == nil ? nil : row.int64("lease_gen")
        leaseExpiresAt = holderID == nil ? nil : row.date("lease_expires_at")
        fields = LeadFieldValues(row: row)
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
