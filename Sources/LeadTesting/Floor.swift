import Foundation
import LeadCore
import LeadStore
import Postgres

/// A small sales floor built with plain SQL for tests: teams, agents, catalogue, leads.
///
/// Every helper takes explicit values (times included) so a test states its own world.
/// The floor's time is its `clock`, a `ManualClock` that starts at a fixed instant
/// (`Floor.start`) unless a test names another: tests create leads relative to
/// `floor.now` and hand the same clock to the server, so nothing depends on the hour the
/// tests run at.
public struct Floor: Sendable {
    public let conninfo: String
    /// The floor's time, shared with the server under test.
    public let clock: ManualClock

    /// Where test floors start: Monday 2026-06-15 10:00 in Asia/Kolkata (04:30 UTC). Mid
    /// morning in the test teams' time zone: the local day has hours left on both sides, so
    /// a lead created "minutes ago" is within its same-day SLA, and inside the default
    /// calling window (09:00–21:00).
    public static let start = Date(timeIntervalSince1970: 1_781_497_800)

    public init(conninfo: String, clock: ManualClock = ManualClock(Floor.start)) {
        self.conninfo = conninfo
        self.clock = clock
    }

    /// The floor's current time.
    public var now: Date { clock.now() }

    /// `seconds` before the floor's current time.
    public func ago(_ seconds: TimeInterval) -> Date { now.addingTimeInterval(-seconds) }

    /// A fresh migrated database with the catalogue rows tests use, its clock at `start`.
    public static func make(at start: Date = Floor.start) async throws -> Floor {
        let floor = Floor(conninfo: try await TestCluster.shared.database(), clock: ManualClock(start))
        let c = try floor.connect()
        defer { c.close() }
        try c.query("""
            INSERT INTO devices (category, brand, model, variant, high_end, supported) VALUES
              ('phone', 'Apple', 'iPhone 15 Pro', '256GB', true, true),
              ('phone', 'Samsung', 'Galaxy A54', '128GB', false, true),
              ('laptop', 'Apple', 'MacBook Air M2', '256GB', true, true),
              ('phone', 'Nokia', '3310', 'basic', false, false)
            """)
        try c.query("""
            INSERT INTO serviceable_pincodes (pincode, category, city) VALUES
              ('560001', 'phone', 'Bengaluru'), ('560001', 'laptop', 'Bengaluru'), ('400001', 'phone', 'Mumbai')
            """)
        return floor
    }

    public func connect() throws -> PostgresConnection { try PostgresConnection(conninfo: conninfo) }

    @discardableResult
    public func team(_ name: String, timeZone: String = "Asia/Kolkata", allowJuniorHighEnd: Bool = false,
                     lease: String = "10 minutes", grace: String = "5 minutes") throws -> Int64 {
        let c = try connect()
        defer { c.close() }
        return try c.query("""
            INSERT INTO teams (name, time_zone, allow_junior_high_end, lease_duration, callback_grace)
            VALUES ($1::text, $2::text, $3::boolean, $4::interval, $5::interval) RETURNING id
            """, [name, timeZone, allowJuniorHighEnd, lease, grace]).first!.int64("id")!
    }

    /// An agent; returns its id. `token` is set so AUTH works with it.
    @discardableResult
    public func agent(_ name: String, team: String, role: String = "agent", senior: Bool? = nil,
                      cities: [String] = [], categories: [String] = [], languages: [String] = [],
                      capacity: Int = 1, status: String = "active", token: String = "secret") throws -> Int64 {
        let c = try connect()
        defer { c.close() }
        let salt = AgentToken.randomBytes(16)
        return try c.query("""
            INSERT INTO agents (team_id, name, role, senior, cities, device_categories, languages, capacity, status, token_salt, token_hash)
            SELECT id, $2::text, $3::agent_role, $4::boolean, $5::text[], $6::text[], $7::text[], $8::int, $9::agent_status, $10::bytea, $11::bytea
            FROM teams WHERE name = $1::text RETURNING id
            """, [team, name, role, senior ?? (role != "agent"), cities.map { $0.lowercased() }, categories.map { $0.lowercased() },
                  languages.map { $0.lowercased() }, capacity, status,
                  AgentToken.byteaHex(salt), AgentToken.byteaHex(AgentToken.hash(token: token, salt: salt))]).first!.int64("id")!
    }

    /// A new (Not Called) lead through the service's own ingest statement.
    @discardableResult
    public func lead(team: String, phone: String? = nil, city: String = "Bengaluru", pincode: String = "560001",
                     language: String? = nil, highEnd: Bool = false, createdAt: Date, now: Date? = nil) throws -> Int64 {
        let c = try connect()
        defer { c.close() }
        let device = highEnd ? ("phone", "Apple", "iPhone 15 Pro", "256GB") : ("phone", "Samsung", "Galaxy A54", "128GB")
        let number = phone ?? "+9198\(String(format: "%08d", Int.random(in: 0..<100_000_000)))"
        let r = try c.query(SQLFiles.query("lead_add"), [
            team, number, "Test Customer", city, pincode, language, device.0, device.1, device.2, device.3,
            "screen=good", 2_500_000, "test", String?.none, createdAt, now ?? createdAt, Int64?.none, String?.none,
        ])
        return r.first!.int64("id")!
    }

    /// Many leads at once with COPY-free multi-row INSERT … SELECT (for load tests).
    public func leads(team: String, count: Int, highEndEvery: Int = 0, createdAt: Date) throws {
        let c = try connect()
        defer { c.close() }
        try c.query("""
            INSERT INTO leads (team_id, phone, customer_name, city, pincode, category, brand, model, variant, quoted_price,
                               source, created_at, high_end, state, tier, sla_due_at)
            SELECT t.id, '+91' || (7000000000 + g)::text, 'Bulk ' || g, 'Bengaluru', '560001', 'phone', 'Samsung', 'Galaxy A54',
                   'v' || g, 1000000, 'test', $3::timestamptz - (g || ' seconds')::interval,
                   ($4::int > 0 AND g % $4::int = 0), 'new',
                   CASE WHEN $4::int > 0 AND g % $4::int = 0 THEN 1 ELSE 2 END,
                   $3::timestamptz - (g || ' seconds')::interval + interval '1 hour'
            FROM teams t, generate_series(1, $2::int) g WHERE t.name = $1::text
            """, [team, count, createdAt, highEndEvery])
    }

    /// Runs one query on a short-lived connection.
    public func query(_ sql: String, _ params: [any PostgresBindable] = []) throws -> QueryResult {
        let c = try connect()
        defer { c.close() }
        return try c.query(sql, params)
    }
}

/// Runs blocking work (libpq calls) on a thread of its own and awaits its result.
///
/// Tests that hold database connections in blocking calls must not do so on the Swift
/// concurrency pool: it has one thread per core, so a few blocking claimers would take
/// it all, leave the servers under test without threads, and make the claimers run two
/// at a time instead of all at once.
public func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
