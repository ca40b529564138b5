import Foundation
import LeadClient
import LeadServer
import LeadStore
import Postgres

/// The world `leadline bench fuzz` fuzzes in: a team `fuzz` of its own (so the team
/// lead's mass verbs — STAR, MOVE, TEAM SET — touch only it), with a senior agent and a
/// team lead to log in as, a plain agent to act on, and 2,000 open leads.
public struct FuzzWorld: Sendable {
    public let agent: ProtocolFuzzer.Login
    public let teamLead: ProtocolFuzzer.Login
    public let leadIDs: [Int64]
    public let agentNames: [String]
    public let teams: [String]

    /// Creates (or renews) the team, its agents' tokens and its leads.
    public static func prepare(conninfo: String) throws -> FuzzWorld {
        let c = try PostgresConnection(conninfo: conninfo)
        defer { c.close() }
        try c.query("""
            INSERT INTO teams (name, time_zone, call_window_start, call_window_end) VALUES ('fuzz', 'Asia/Kolkata', '00:00', '23:59:59')
            ON CONFLICT (name) DO NOTHING
            """)
        func login(_ name: String, role: String) throws -> ProtocolFuzzer.Login {
            do {
                return ProtocolFuzzer.Login(agent: name, token: try AgentDirectory().addAgent(c, name: name, team: "fuzz", role: role))
            } catch AgentDirectory.Failure.exists {
                try c.query("UPDATE agents SET status = 'active' WHERE name = $1::text", [name])
                return ProtocolFuzzer.Login(agent: name, token: try AgentDirectory().rotateToken(c, name: name))
            }
        }
        let agent = try login("fuzz-agent", role: "senior")
        let lead = try login("fuzz-lead", role: "team_lead")
        _ = try login("fuzz-junior", role: "agent")
        try c.query("""
            INSERT INTO leads (team_id, phone, customer_name, city, pincode, category, brand, model, variant, quoted_price,
                               source, created_at, high_end, state, tier, sla_due_at)
            SELECT t.id, '+9160' || lpad(g::text, 8, '0'), 'Fuzz ' || g, 'Bengaluru', '560001', 'phone', 'Samsung', 'Galaxy A54',
                   '128GB', 1000000, 'web', now() - (g || ' seconds')::interval, g % 10 = 0, 'new',
                   CASE WHEN g % 10 = 0 THEN 1 ELSE 2 END, now() + interval '1 hour'
            FROM teams t, generate_series(1, 2000) g WHERE t.name = 'fuzz'
            ON CONFLICT DO NOTHING
            """)
        let ids = try c.query("SELECT l.id FROM leads l JOIN teams t ON t.id = l.team_id WHERE t.name = 'fuzz' ORDER BY l.id LIMIT 5000")
            .rows.compactMap { $0.int64("id") }
        // A few ids of other teams' leads too (DENIED / NOT_FOUND paths).
        let others = try c.query("SELECT id FROM leads ORDER BY id LIMIT 20").rows.compactMap { $0.int64("id") }
        return FuzzWorld(agent: agent, teamLead: lead, leadIDs: ids + others,
                         agentNames: ["fuzz-agent", "fuzz-lead", "fuzz-junior", "bench-0001"], teams: ["fuzz"])
    }
}
