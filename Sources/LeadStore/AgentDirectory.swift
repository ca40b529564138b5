import LeadCore
import Postgres

/// Teams and agents: creation, tokens, and authentication.
public struct AgentDirectory: Sendable {
    public init() {}

    /// An authenticated agent as the session sees it.
    public struct Identity: Sendable, Equatable {
        public let id: Int64
        public let name: String
        public let teamID: Int64
        public let team: String
        public let role: String
        public let status: String
        /// The token hash this login was checked against (bytea text): a session whose
        /// agent's current credential differs was rotated or disabled (`credentials`).
        public let credential: String
    }

    /// Why a directory change was refused.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case exists(String)
        case notFound(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .exists(let s): return "\(s) already exists"
            case .notFound(let s): return "\(s) not found"
            case .invalid(let s): return s
            }
        }
    }

    /// Makes a team the CX, Ops or Pricing desk (nil: a sales team again). Its agents see
    /// and resolve the escalations sent to that desk from every team (docs/RULES.md §8).
    /// At most one team per desk.
    public func setDesk(_ c: PostgresConnection, team: String, desk: EscalationTarget?) throws {
        do {
            let r = try c.query("UPDATE teams SET desk = $2::escalation_target WHERE name = $1::text RETURNING id", [team, desk?.rawValue])
            guard !r.isEmpty else { throw Failure.notFound("team \(team)") }
        } catch let error as PostgresError {
            if error.kind == .uniqueViolation { throw Failure.invalid("another team is already the \(desk?.rawValue ?? "") desk") }
            throw error
        }
    }

    @discardableResult
    public func addTeam(_ c: PostgresConnection, name: String, timeZone: String) throws -> Int64 {
        let known = try c.query("SELECT 1 FROM pg_timezone_names WHERE name = $1::text", [timeZone])
        guard !known.isEmpty else { throw Failure.invalid("unknown time zone \(timeZone)") }
        do {
            let r = try c.query("INSERT INTO teams (name, time_zone) VALUES ($1::text, $2::text) RETURNING id", [name, timeZone])
            return r.first!.int64("id")!
        } catch {
            if error.kind == .uniqueViolation { throw Failure.exists("team \(name)") }
            if error.kind == .integrityViolation { throw Failure.invalid("invalid team name \(name) (letters, digits, _ . -; at most 64)") }
            throw error
        }
    }

    /// Creates an agent and returns its new secret token (shown once, stored hashed).
    public func addAgent(_ c: PostgresConnection, name: String, team: String, role: String) throws -> String {
        guard ["agent", "senior", "team_lead", "admin"].contains(role) else { throw Failure.invalid("unknown role \(role)") }
        let token = AgentToken.generate()
        let salt = AgentToken.randomBytes(16)
        do {
            let r = try c.query("""
                INSERT INTO agents (team_id, name, role, senior, token_salt, token_hash)
                SELECT id, $2::text, $3::agent_role, $3::text <> 'agent', $4::bytea, $5::bytea FROM teams WHERE name = $1::text
                RETURNING id
                """, [team, name, role, AgentToken.byteaHex(salt), AgentToken.byteaHex(AgentToken.hash(token: token, salt: salt))])
            guard !r.isEmpty else { throw Failure.notFound("team \(team)") }
        } catch let e as PostgresError where e.kind == .uniqueViolation {
            throw Failure.exists("agent \(name)")
        } catch let e as PostgresError where e.kind == .integrityViolation {
            throw Failure.invalid("invalid agent name \(name) (letters, digits, _ . @ -; at most 64)")
        }
        return token
    }

    /// Issues a new token; the old one stops working at once.
    public func rotateToken(_ c: PostgresConnection, name: String) throws -> String {
        let token = AgentToken.generate()
        let salt = AgentToken.randomBytes(16)
        let r = try c.query("""
            UPDATE agents SET token_salt = $2::bytea, token_hash = $3::bytea, updated_at = now()
            WHERE name = $1::text RETURNING id
            """, [name, AgentToken.byteaHex(salt), AgentToken.byteaHex(AgentToken.hash(token: token, salt: salt))])
        guard !r.isEmpty else { throw Failure.notFound("agent \(name)") }
        return token
    }

    /// Disables an agent: it can no longer authenticate or claim; its leases run out.
    public func disable(_ c: PostgresConnection, name: String) throws {
        let r = try c.query("UPDATE agents SET status = 'disabled', token_hash = NULL, updated_at = now() WHERE name = $1::text RETURNING id", [name])
        guard !r.isEmpty else { throw Failure.notFound("agent \(name)") }
    }

    /// Checks a token; nil for an unknown, disabled or wrong-token agent (the same
    /// answer for all three, so a caller cannot probe which names exist).
    public func authenticate(_ c: PostgresConnection, name: String, token: String) throws -> Identity? {
        let r = try c.query("""
            SELECT a.id, a.name, a.team_id, t.name AS team, a.role::text AS role, a.status::text AS status, a.token_salt, a.token_hash
            FROM agents a JOIN teams t ON t.id = a.team_id WHERE a.name = $1::text
            """, [name], prepared: true)
        let dummySalt = [UInt8](repeating: 0, count: 16)
        guard let row = r.first, let saltText = row["token_salt"], let hashText = row["token_hash"],
              let salt = AgentToken.fromByteaHex(saltText), let stored = AgentToken.fromByteaHex(hashText),
              row["status"] != "disabled"
        else {
            _ = AgentToken.equal(AgentToken.hash(token: token, salt: dummySalt), [UInt8](repeating: 0, count: 32))
            return nil
        }
        guard AgentToken.equal(AgentToken.hash(token: token, salt: salt), stored) else { return nil }
        return Identity(id: row.int64("id")!, name: row["name"]!, teamID: row.int64("team_id")!, team: row["team"]!,
                        role: row["role"]!, status: row["status"]!, credential: hashText)
    }

    /// The current credential (token hash as bytea text) of each of `agents` that is
    /// enabled and has a token; a disabled or token-less agent is missing from the answer.
    public func credentials(_ c: PostgresConnection, agents: [Int64]) throws -> [Int64: String] {
        let rows = try c.query(SQLFiles.query("agent_credentials"), [agents], prepared: true)
        var current: [Int64: String] = [:]
        for row in rows.rows {
            if let id = row.int64("id"), let credential = row["token_hash"] { current[id] = credential }
        }
        return current
    }
}

extension AgentDirectory {
    /// A team's time zone (IANA name), or nil for an unknown team: the floor console's
    /// callback picker shows times on the team's clock.
    public func timeZone(_ c: PostgresConnection, team: Int64) throws -> String? {
        try c.query("SELECT time_zone FROM teams WHERE id = $1::bigint", [team]).first?["time_zone"]
    }
}
