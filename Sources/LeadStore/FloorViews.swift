import Foundation
import LeadCore
import Postgres

// The live view (QUEUES, AGENTS) and the audit (AUDIT): read-only, team-bounded.

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
}

extension FloorControl {
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
}
