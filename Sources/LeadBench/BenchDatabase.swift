import Foundation
import LeadStore
import Postgres

/// The benchmark's use of the database: its own agents, a fresh copy of the seeded
/// database per run (same data for every run), clean-up of held leads, and the
/// correctness check over `lead_events`.
public struct BenchDatabase: Sendable {
    /// A libpq keyword conninfo of the seeded database (the template of every run).
    public let conninfo: String

    public init(conninfo: String) {
        self.conninfo = conninfo
    }

    /// The same server, another database (keyword conninfo: the last `dbname=` wins).
    public func conninfo(database: String) -> String {
        conninfo + " dbname=\(database)"
    }

    /// The seeded database's name.
    public func templateName() throws -> String {
        let c = try PostgresConnection(conninfo: conninfo)
        defer { c.close() }
        return try c.query("SELECT current_database() AS d").first?["d"] ?? "leadline"
    }

    /// Drops `name` and creates it again as a copy of the seeded database, then returns
    /// its conninfo. Every run starts from the same data, without the previous run's dead
    /// rows or consumed leads.
    public func freshCopy(named name: String) throws -> String {
        let template = try templateName()
        let admin = try PostgresConnection(conninfo: conninfo(database: "postgres"))
        defer { admin.close() }
        try admin.query("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname IN ($1::text, $2::text) AND pid <> pg_backend_pid()
            """, [name, template])
        try admin.execute(script: "DROP DATABASE IF EXISTS \(PostgresIdentifier.quote(name))")
        try admin.execute(script: "CREATE DATABASE \(PostgresIdentifier.quote(name)) TEMPLATE \(PostgresIdentifier.quote(template)) STRATEGY FILE_COPY")
        let copy = conninfo(database: name)
        let c = try PostgresConnection(conninfo: copy)
        defer { c.close() }
        // Warm the hot table and its ready index into shared_buffers (pg_prewarm when present).
        if (try? c.query("CREATE EXTENSION IF NOT EXISTS pg_prewarm")) != nil {
            _ = try? c.query("SELECT pg_prewarm('leads'), pg_prewarm('lead_queue'), pg_prewarm('lead_queue_pool'), pg_prewarm('agents')")
        }
        return copy
    }

    /// Runs the server's background passes (lease reaper, callback promoter, reservation
    /// expiry, SLA watcher) on the seeded database until they have nothing left to do. The
    /// seed leaves ~79 % of its leads past their SLA deadline without a breach event; the
    /// first server to start would spend minutes writing those, inside the measurement.
    /// Then the first BI rollup refresh, for the same reason.
    /// Done once per seeded database (later calls find nothing to do).
    public func settle() throws {
        let c = try PostgresConnection(conninfo: conninfo)
        defer { c.close() }
        let queue = LeadQueue()
        var rounds = 0
        while rounds < 10_000 {
            let now = Date()
            // 2,000 per statement: the SLA watcher at 20,000 took over 75 s per batch here
            // (2,000 take ~0.5 s; BENCHMARKS.md, hot queue table), the others are not slower.
            let moved = try queue.reapExpired(c, now: now, limit: 2_000) + queue.promoteDue(c, now: now, limit: 2_000)
                + queue.releaseReservations(c, now: now, limit: 2_000) + queue.watchSLA(c, now: now, limit: 2_000)
            if moved == 0 { break }
            rounds += 1
        }
        // The BI rollups: their first refresh builds everything (tens of seconds at 1M
        // leads); done here once, each run's server then refreshes only what changed.
        let built = try c.query("SELECT count(*) AS n FROM bi_call").first?.int("n") ?? 0
        if built == 0 { try BIRollup().refresh(c, now: Date()) }
        if rounds > 0 || built == 0 { try c.execute(script: "VACUUM ANALYZE") }
    }

    /// Drops a run database.
    public func drop(named name: String) throws {
        let admin = try PostgresConnection(conninfo: conninfo(database: "postgres"))
        defer { admin.close() }
        try admin.execute(script: "DROP DATABASE IF EXISTS \(PostgresIdentifier.quote(name)) WITH (FORCE)")
    }

    /// Creates (or re-keys) `count` senior agents named `<prefix>-NNNN`, spread round-robin
    /// over the seeded teams, with empty skill lists (they cover every lead of their team)
    /// and capacity 1, and returns them with fresh tokens, ordered by id. The teams' calling
    /// windows are opened to the whole day, so Not Reachable is accepted at any hour.
    /// Ids are contiguous (pgbench maps client N to agent `first id + N`).
    public static func prepareAgents(_ c: PostgresConnection, count: Int, prefix: String = "bench") throws -> [BenchAgent] {
        try c.transaction { c in
            try c.query("UPDATE teams SET call_window_start = '00:00', call_window_end = '23:59:59'")
            let teams = try c.query("SELECT name FROM teams WHERE name IN ('north', 'south', 'west') ORDER BY name").rows.compactMap { $0["name"] }
            guard !teams.isEmpty else { throw BenchFailure("no seeded teams (north, south, west): run `leadline seed` first") }
            let existing = try c.query("SELECT count(*) AS n FROM agents WHERE name LIKE $1::text", [prefix + "-%"]).first?.int("n") ?? 0
            if existing < count {
                // One statement, so the ids come out contiguous.
                try c.query("""
                    INSERT INTO agents (team_id, name, role, senior, status)
                    SELECT t.id, $1::text || '-' || lpad(g::text, 4, '0'), 'senior', true, 'active'
                    FROM generate_series($2::int, $3::int - 1) g
                    JOIN teams t ON t.name = ($4::text[])[1 + g % array_length($4::text[], 1)]
                    ORDER BY g
                    """, [prefix, existing, count, "{" + teams.joined(separator: ",") + "}"])
            }
            var out: [BenchAgent] = []
            let rows = try c.query("SELECT id, name FROM agents WHERE name LIKE $1::text ORDER BY id LIMIT $2::int",
                                   [prefix + "-%", count]).rows
            for row in rows {
                let name = row["name"]!
                let token = AgentToken.generate()
                let salt = AgentToken.randomBytes(16)
                try c.query("""
                    UPDATE agents SET token_salt = $2::bytea, token_hash = $3::bytea, status = 'active',
                        cities = '{}', device_categories = '{}', languages = '{}', capacity = 1
                    WHERE name = $1::text
                    """, [name, AgentToken.byteaHex(salt), AgentToken.byteaHex(AgentToken.hash(token: token, salt: salt))],
                    prepared: true)
                out.append(BenchAgent(id: row.int64("id")!, name: name, token: token))
            }
            guard out.count == count else { throw BenchFailure("expected \(count) bench agents, found \(out.count)") }
            if let first = out.first, let last = out.last, last.id - first.id + 1 != Int64(count) {
                throw BenchFailure("bench agent ids are not contiguous (\(first.id)…\(last.id)); use a fresh database")
            }
            return out
        }
    }

    /// Ends every lease a bench agent still holds (RELEASE for live leases, the reaper's
    /// `expired` for run-out ones), so the next run starts with every agent free.
    @discardableResult
    public static func releaseHeld(_ c: PostgresConnection, prefix: String = "bench") throws -> Int {
        let now = Date()
        let held = try c.query("""
            SELECT l.id, l.holder_agent_id, l.lease_gen FROM leads l JOIN agents a ON a.id = l.holder_agent_id
            WHERE a.name LIKE $1::text AND l.lease_expires_at > $2::timestamptz
            """, [prefix + "-%", now]).rows
        for row in held {
            try c.query(SQLFiles.query("release"), [row.int64("id")!, row.int64("holder_agent_id")!, row.int64("lease_gen")!, now,
                                                    "benchmark clean-up", nil as String?], prepared: true)
        }
        let reaped = try LeadQueue().reapExpired(c, now: now, limit: 100_000)
        return held.count + reaped
    }

    /// The highest `lead_events` id now (a run's events are those after it).
    public static func lastEventID(_ c: PostgresConnection) throws -> Int64 {
        try c.query("SELECT coalesce(max(id), 0) AS id FROM lead_events").first?.int64("id") ?? 0
    }

    /// The correctness check of a run, over SQL.
    public struct Check: Sendable, CustomStringConvertible {
        /// Claims made in the run.
        public var claims = 0
        /// A claim followed by another claim of the same lead with no end in between (two holders at once).
        public var overlaps = 0
        /// An end (disposition, release, expiry, revocation, conversion) whose lease does not match the open claim.
        public var mismatchedEnds = 0
        /// Claims never ended: leads still held when the run was over.
        public var unfinished = 0
        /// Leads whose row disagrees with their events (held without a claim, or a claim open on a free lead).
        public var inconsistent = 0
        /// Leads lost: the row count changed.
        public var lost = 0

        public var passed: Bool { overlaps == 0 && mismatchedEnds == 0 && unfinished == 0 && inconsistent == 0 && lost == 0 }

        public var description: String {
            "check claims=\(claims) overlaps=\(overlaps) mismatched_ends=\(mismatchedEnds) unfinished=\(unfinished) inconsistent=\(inconsistent) lost=\(lost) \(passed ? "PASS" : "FAIL")"
        }
    }

    /// Checks the events after `sinceEvent`: per lead, claims and their ends alternate
    /// (claimed → disposition/converted/released/expired/revoked → claimed …) with matching
    /// lease generations and agents, so no lead was held by two agents at once; every claim
    /// ended; the leads table agrees; and no lead row disappeared (`leadCount` before).
    public static func check(_ c: PostgresConnection, sinceEvent: Int64, leadCount: Int) throws -> Check {
        var check = Check()
        let row = try c.query("""
            WITH ev AS (
                SELECT lead_id, id, kind, agent_id, lease_gen,
                       lag(kind) OVER w AS prev_kind, lag(agent_id) OVER w AS prev_agent, lag(lease_gen) OVER w AS prev_gen,
                       lead(kind) OVER w AS next_kind
                FROM lead_events
                WHERE id > $1::bigint
                  AND kind IN ('claimed', 'disposition', 'converted', 'released', 'expired', 'revoked')
                WINDOW w AS (PARTITION BY lead_id ORDER BY id)
            )
            SELECT count(*) FILTER (WHERE kind = 'claimed') AS claims,
                   count(*) FILTER (WHERE kind = 'claimed' AND prev_kind = 'claimed') AS overlaps,
                   count(*) FILTER (WHERE kind <> 'claimed' AND prev_kind = 'claimed'
                                    AND (prev_gen IS DISTINCT FROM lease_gen
                                         OR (kind <> 'expired' AND kind <> 'revoked' AND prev_agent IS DISTINCT FROM agent_id))) AS mismatched,
                   count(*) FILTER (WHERE kind = 'claimed' AND next_kind IS NULL) AS open_claims
            FROM ev
            """, [sinceEvent]).first
        check.claims = row?.int("claims") ?? 0
        check.overlaps = row?.int("overlaps") ?? 0
        check.mismatchedEnds = row?.int("mismatched") ?? 0
        let open = row?.int("open_claims") ?? 0
        let held = try c.query("SELECT count(*) AS n FROM leads WHERE holder_agent_id IS NOT NULL").first?.int("n") ?? 0
        check.unfinished = open
        // An open claim must be a held lead, and (after the run) there should be none.
        let mismatch = try c.query("""
            WITH last AS (
                SELECT DISTINCT ON (lead_id) lead_id, kind, lease_gen FROM lead_events
                WHERE id > $1::bigint AND kind IN ('claimed', 'disposition', 'converted', 'released', 'expired', 'revoked')
                ORDER BY lead_id, id DESC
            )
            SELECT count(*) AS n FROM last JOIN leads l ON l.id = last.lead_id
            WHERE (last.kind = 'claimed') <> (l.holder_agent_id IS NOT NULL)
               OR (last.kind = 'claimed' AND l.lease_gen <> last.lease_gen)
            """, [sinceEvent]).first?.int("n") ?? 0
        check.inconsistent = mismatch + max(0, held - open)
        let count = try c.query("SELECT count(*) AS n FROM leads").first?.int("n") ?? 0
        check.lost = max(0, leadCount - count)
        return check
    }

    /// Rows in `leads`.
    public static func leadCount(_ c: PostgresConnection) throws -> Int {
        try c.query("SELECT count(*) AS n FROM leads").first?.int("n") ?? 0
    }
}
