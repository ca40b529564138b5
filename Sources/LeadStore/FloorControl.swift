import Foundation
import LeadCore
import Postgres


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
///
/// One concern per file: `FloorRouting` (ASSIGN, MOVE), `FloorFlowControl` (PAUSE …
/// TEAM SET), `FloorSignals` (SIGNAL, shift-end unstar, boost expiry), `FloorViews`
/// (QUEUES, AGENTS, AUDIT); what they take is in `FloorRequests`, what they return in
/// `FloorResults`; this file holds the shared lookups, the audit row and the transaction.
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

    /// Waits for the team's other many-lead actions (STAR/UNSTAR, MOVE) to commit, so two of
    /// them never lock the same leads in different orders (sql/queries/floor_team_lock.sql).
    static func takeTeamTurn(_ c: PostgresConnection, team: Int64) throws {
        _ = try c.query(SQLFiles.query("floor_team_lock"), [team], prepared: true)
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
