import Foundation
import LeadCore
import Postgres

/// What a disposition did to the lead: the reply to DISPOSE (and what a retry with the same
/// request id gets back).
public struct DispositionResult: Sendable, Codable, Equatable {
    public let lead: Int64
    /// The disposition recorded (`Disposition` raw value).
    public let disposition: String
    /// The reason recorded with not_interested / sold_elsewhere.
    public let reason: String?
    /// The lead's state now: `callback`, `retry`, `follow_up` or `closed`.
    public let state: String
    /// When the lead comes due again (callback, retry or follow-up time); nil once closed.
    public let nextAt: Date?
    /// Why the lead closed (the `leads.outcome` column: `already_placed_order`,
    /// `not_interested`, `sold_elsewhere`, `wrong_number`, `not_serviceable`,
    /// `device_not_supported`, `unreachable`); nil while open.
    public let outcome: String?
    /// Call attempts over the lead's life, this one included.
    public let attempts: Int
    /// Call attempts on the team's local day of this call, this one included.
    public let attemptsToday: Int
    /// The lead's next SLA deadline (its time + the team's grace); nil once closed.
    public let slaDue: Date?
    /// The callback time, for a callback.
    public let callbackAt: Date?

    public init(lead: Int64, disposition: String, reason: String?, state: String, nextAt: Date?, outcome: String?,
                attempts: Int, attemptsToday: Int, slaDue: Date?, callbackAt: Date?) {
        self.lead = lead
        self.disposition = disposition
        self.reason = reason
        self.state = state
        self.nextAt = nextAt
        self.outcome = outcome
        self.attempts = attempts
        self.attemptsToday = attemptsToday
        self.slaDue = slaDue
        self.callbackAt = callbackAt
    }
}

/// An order as created by a conversion or changed by a cancellation: the reply to CONVERT
/// and CANCEL.
public struct OrderResult: Sendable, Codable, Equatable {
    public let order: Int64
    public let lead: Int64
    /// `OrderStatus` raw value: `pending_vendor_assignment` after a conversion, `cancelled`
    /// after a cancellation.
    public let status: String
    /// The agent who created the order (accountable for its accuracy).
    public let createdBy: Int64
    /// The estimated price the customer accepted (the lead's quote), in paise.
    public let price: Int64
    public let pickupSlot: Date
    public let cancelledAt: Date?
    public let cancelReason: String?

    public init(order: Int64, lead: Int64, status: String, createdBy: Int64, price: Int64, pickupSlot: Date,
                cancelledAt: Date? = nil, cancelReason: String? = nil) {
        self.order = order
        self.lead = lead
        self.status = status
        self.createdBy = createdBy
        self.price = price
        self.pickupSlot = pickupSlot
        self.cancelledAt = cancelledAt
        self.cancelReason = cancelReason
    }
}

/// A note written into a lead's history: the reply to NOTE.
public struct NoteResult: Sendable, Codable, Equatable {
    public let lead: Int64
    /// The `note` event's id.
    public let event: Int64
    public let at: Date

    public init(lead: Int64, event: Int64, at: Date) {
        self.lead = lead
        self.event = event
        self.at = at
    }
}

/// A RELEASE done through the desk (so it can carry a request id): the reply to RELEASE.
public struct ReleaseResult: Sendable, Codable, Equatable {
    public let lead: Int64
    /// The lease that ended.
    public let lease: Int64
    /// The lead's state, unchanged by the release.
    public let state: String

    public init(lead: Int64, lease: Int64, state: String) {
        self.lead = lead
        self.lease = lease
        self.state = state
    }
}

/// Whether an escalation still waits for the team it went to.
public enum EscalationStatus: String, Sendable, Codable, CaseIterable {
    case open
    case resolved
}

/// A lead escalated to CX, Ops or Pricing with a summary and the exact ask: the reply to
/// ESCALATE and one row of ESCALATIONS.
public struct Escalation: Sendable, Codable, Equatable {
    public let id: Int64
    public let lead: Int64
    /// The lead's (sales) team.
    public let team: Int64
    /// Who escalated.
    public let agent: Int64
    public let agentName: String
    /// `EscalationTarget` raw value: `cx`, `ops` or `pricing`.
    public let target: String
    public let summary: String
    public let ask: String
    public let status: String
    public let createdAt: Date
    public let resolvedAt: Date?
    /// Who resolved it, and the resolution note.
    public let resolvedBy: String?
    public let resolution: String?
    /// Whole minutes it has been open: until resolved, or until the listing's `now`.
    public let ageMinutes: Int?

    public init(id: Int64, lead: Int64, team: Int64, agent: Int64, agentName: String, target: String, summary: String,
                ask: String, status: String, createdAt: Date, resolvedAt: Date?, resolvedBy: String? = nil,
                resolution: String? = nil, ageMinutes: Int? = nil) {
        self.id = id
        self.lead = lead
        self.team = team
        self.agent = agent
        self.agentName = agentName
        self.target = target
        self.summary = summary
        self.ask = ask
        self.status = status
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
        self.resolvedBy = resolvedBy
        self.resolution = resolution
        self.ageMinutes = ageMinutes
    }

    init(row: Row) {
        self.init(id: row.int64("id") ?? 0, lead: row.int64("lead_id") ?? 0, team: row.int64("team_id") ?? 0,
                  agent: row.int64("agent_id") ?? 0, agentName: row["agent"] ?? "", target: row["target"] ?? "",
                  summary: row["summary"] ?? "", ask: row["ask"] ?? "", status: row["status"] ?? "",
                  createdAt: row.date("created_at") ?? Date(timeIntervalSince1970: 0), resolvedAt: row.date("resolved_at"),
                  resolvedBy: row["resolved_by"], resolution: row["resolution"], ageMinutes: row.int("age_minutes"))
    }
}

/// One entry of a lead's append-only history.
public struct LeadEvent: Sendable, Equatable {
    public let id: Int64
    /// `LeadEventKind` raw value.
    public let kind: String
    public let at: Date
    public let agentID: Int64?
    /// The agent's name (the author, for a note); nil for the server's own events.
    public let agent: String?
    public let disposition: String?
    public let reason: String?
    /// The note, release note, signal note, escalation summary or cancellation reason.
    public let note: String?
    public let lease: Int64?
    public let requestID: String?
    /// A time the event scheduled (a disposition's next step).
    public let nextAt: Date?
    /// The escalation target (or the agent, for assignments).
    public let to: String?
    /// The order, for `converted` and `order_cancelled`.
    public let order: Int64?
    /// Where a lead came from (`assigned`, `moved`: an agent or `pool`; `revoked`: the
    /// agent whose lease was revoked).
    public let from: String?
    /// The signal kind, for `signal`.
    public let signal: String?
    /// When a signal's boost ends, for `signal`.
    public let boostUntil: Date?
    /// A team lead's `force=1` (skill checks skipped, leases revoked).
    public let forced: Bool
    /// Extra detail as JSON (`{}` when none).
    public let payload: String

    init(row: Row) {
        id = row.int64("id") ?? 0
        kind = row["kind"] ?? ""
        at = row.date("at") ?? Date(timeIntervalSince1970: 0)
        agentID = row.int64("agent_id")
        agent = row["agent"]
        disposition = row["disposition"]
        reason = row["reason"]
        note = row["note"]
        lease = row.int64("lease_gen")
        requestID = row["request_id"]
        nextAt = row.date("next_at")
        to = row["target"]
        order = row.int64("order_id")
        from = row["from_agent"]
        signal = row["signal"]
        boostUntil = row.date("boost_until")
        forced = row["forced"] == "true"
        payload = row["payload"] ?? "{}"
    }

}

/// A lead with its whole story: what LEAD SHOW prints.
public struct LeadHistory: Sendable {
    public let id: Int64
    public let teamID: Int64
    /// `new`, `callback`, `retry`, `follow_up` or `closed`.
    public let state: String
    /// The order the lead was converted into, and that order's status.
    public let orderID: Int64?
    public let orderStatus: String?
    /// The lead's §11 fields.
    public let fields: LeadFieldValues
    /// Oldest first.
    public let events: [LeadEvent]
}
