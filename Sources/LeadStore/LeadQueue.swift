import Foundation
import LeadCore
import Postgres

/// A lead as handed to an agent by a claim.
public struct ClaimedLead: Sendable, Equatable {
    public let id: Int64
    /// The fencing token: the lease generation. Every later action must present it.
    public let lease: Int64
    public let leaseExpiresAt: Date
    /// The tier it was claimed from: high_end, not_called or callback.
    public let view: String
    /// The lead's §11 fields.
    public let fields: LeadFieldValues

    public static func == (a: ClaimedLead, b: ClaimedLead) -> Bool {
        a.id == b.id && a.lease == b.lease && a.leaseExpiresAt == b.leaseExpiresAt && a.view == b.view
    }
}

/// The outcome of one claim attempt.
public enum ClaimResult: Sendable, Equatable {
    case claimed(ClaimedLead)
    /// Nothing eligible right now.
    case empty
    /// The agent may not claim: paused, draining, disabled, or at its capacity.
    case refused(Refusal)
}

/// A lead that became claimable (a wake-up hint from NOTIFY or a background pass).
public struct ReadyLead: Sendable, Equatable {
    public let leadID: Int64
    public let teamID: Int64
    /// The agent whose personal queue holds it, if any.
    public let agentID: Int64?

    public init(leadID: Int64, teamID: Int64, agentID: Int64?) {
        self.leadID = leadID
        self.teamID = teamID
        self.agentID = agentID
    }

    /// Parses the `leadline_ready` NOTIFY payload `team:agent:lead` (agent 0 = pool).
    public init?(payload: String) {
        let parts = payload.split(separator: ":")
        guard parts.count == 3, let team = Int64(parts[0]), let agent = Int64(parts[1]), let lead = Int64(parts[2]) else { return nil }
        self.init(leadID: lead, teamID: team, agentID: agent == 0 ? nil : agent)
    }
}

/// The claim engine's SQL: claim, touch, release, and the background passes (lease
/// reaper, callback promoter, reservation expiry, SLA watcher). Each call is one
/// statement, one round trip; `now` is a parameter so tests control the clock.
public struct LeadQueue: Sendable {
    /// The NOTIFY channel that announces leads becoming claimable.
    public static let readyChannel = "leadline_ready"
    /// The NOTIFY channel of SLA breaches (sla_watch.sql): payload `team_id:lead_id:kind:view`.
    public static let breachChannel = "leadline_breach"

    public init() {}

    /// Claims the best eligible lead. `view` restricts to one tier.
    public func claim(_ c: PostgresConnection, agent: Int64, now: Date, view: View? = nil) throws -> ClaimResult {
        let tier: Int? = view?.tier?.rawValue
        let r: QueryResult
        do {
            r = try c.query(SQLFiles.query("claim"), [agent, now, tier], prepared: true)
        } catch {
            // Two claims by one agent at once: the capacity trigger refused the second.
            if error.constraint == "agents_capacity" {
                return .refused(Refusal(.atCapacity, "you already hold as many leads as your capacity allows"))
            }
            throw error
        }
        if let row = r.first { return .claimed(Self.claimedLead(row)) }
        // Nothing claimed: say why when it is the agent, not the queue.
        let a = try c.query("SELECT status::text AS status, holding, capacity FROM agents WHERE id = $1::bigint", [agent], prepared: true)
        guard let row = a.first else { return .refused(Refusal(.notFound, "agent not found")) }
        let status = row["status"] ?? ""
        if status != "active" {
            return .refused(Refusal(.agentNotActive, "agent is \(status); a team lead can RESUME it"))
        }
        if (row.int("holding") ?? 0) >= (row.int("capacity") ?? 1) {
            return .refused(Refusal(.atCapacity, "you already hold \(row.int("holding") ?? 0) lead(s), your capacity is \(row.int("capacity") ?? 1)"))
        }
        return .empty
    }

    static func claimedLead(_ row: Row) -> ClaimedLead {
        ClaimedLead(id: row.int64("id")!, lease: row.int64("lease_gen")!, leaseExpiresAt: row.date("lease_expires_at")!,
                    view: row["view"] ?? "", fields: LeadFieldValues(row: row))
    }

    /// Extends the holder's lease; returns the new expiry.
    public func touch(_ c: PostgresConnection, lead: Int64, agent: Int64, lease: Int64, now: Date) throws -> Date {
        let r = try c.query(SQLFiles.query("touch"), [lead, agent, lease, now], prepared: true)
        if let row = r.first, let expires = row.date("lease_expires_at") { return expires }
        throw try leaseRefusal(c, lead: lead, agent: agent, lease: lease)
    }

    /// Gives the lead back to its queue with a note.
    public func release(_ c: PostgresConnection, lead: Int64, agent: Int64, lease: Int64, now: Date, note: String, requestID: String? = nil) throws {
        let note = try Note.validate(note)
        let r = try c.query(SQLFiles.query("release"), [lead, agent, lease, now, note, requestID], prepared: true)
        if r.isEmpty { throw try leaseRefusal(c, lead: lead, agent: agent, lease: lease) }
    }

    /// Explains why a lease action matched nothing: NOT_FOUND, LEASE_HELD, or LEASE_LOST.
    public func leaseRefusal(_ c: PostgresConnection, lead: Int64, agent: Int64, lease: Int64) throws -> Refusal {
        let r = try c.query(SQLFiles.query("lease_state"), [lead], prepared: true)
        guard let row = r.first else { return Refusal(.notFound, "no lead \(lead)") }
        if let holder = row.int64("holder_agent_id"), holder != agent {
            return Refusal(.leaseHeld, "lead \(lead) is held by another agent")
        }
        if row["state"] == "closed" {
            return Refusal(.leaseLost, "lead \(lead) is closed; lease \(lease) is no longer valid")
        }
        let current = row.int64("lease_gen") ?? 0
        if current < lease {
            return Refusal(.leaseLost, "lease \(lease) was never issued for lead \(lead); CLAIM again")
        }
        if current > lease {
            return Refusal(.leaseLost, "lease \(lease) on lead \(lead) is stale: the lead has been claimed again since; CLAIM again")
        }
        return Refusal(.leaseLost, "lease \(lease) on lead \(lead) has ended (disposed, released, expired or revoked); CLAIM again")
    }

    // MARK: background passes (each returns how many leads it moved)

    /// Returns expired leases' leads to their queues.
    @discardableResult
    public func reapExpired(_ c: PostgresConnection, now: Date, limit: Int = 1000) throws -> Int {
        try c.query(SQLFiles.query("reap_expired"), [now, limit], prepared: true).rows.count
    }

    /// Puts scheduled leads whose time has come into the ready index.
    @discardableResult
    public func promoteDue(_ c: PostgresConnection, now: Date, limit: Int = 1000) throws -> Int {
        try c.query(SQLFiles.query("promote_due"), [now, limit], prepared: true).rows.count
    }

    /// Hands due callbacks not claimed by their owner within the grace to the team.
    @discardableResult
    public func releaseReservations(_ c: PostgresConnection, now: Date, limit: Int = 1000) throws -> Int {
        try c.query(SQLFiles.query("release_reservations"), [now, limit], prepared: true).rows.count
    }

    /// Records one breach event per missed deadline.
    @discardableResult
    public func watchSLA(_ c: PostgresConnection, now: Date, limit: Int = 1000) throws -> Int {
        try c.query(SQLFiles.query("sla_watch"), [now, limit], prepared: true).rows.count
    }

    /// All background passes once, each in its own transaction (autocommit).
    public func tick(_ c: PostgresConnection, now: Date) throws -> (expired: Int, promoted: Int, pooled: Int, breached: Int) {
        let expired = try reapExpired(c, now: now)
        let promoted = try promoteDue(c, now: now)
        let pooled = try releaseReservations(c, now: now)
        let breached = try watchSLA(c, now: now)
        return (expired, promoted, pooled, breached)
    }
}

/// A reply time (`2026-11-22T13:30:00Z`): `FloorTime.format`, the one date codec, under
/// the name the floor console's JSON uses.
public enum WireDate {
    public static func format(_ date: Date) -> String { FloorTime.format(date) }
}
