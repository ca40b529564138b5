import Logging
import Postgres

/// Applies `sql/migrations` in order, each in its own transaction, recorded in
/// `leadline_migrations`, under a session advisory lock so that two instances starting
/// at once do not race. Re-running is a no-op. Views are re-created afterwards.
public struct Migrator: Sendable {
    /// The advisory lock key every Leadline migrator takes ("leadline" in ASCII, truncated).
    public static let lockKey: Int64 = 0x6C65_6164_6C69_6E65

    public let migrations: [Migration]
    public let views: [(name: String, sql: String)]
    private let logger: Logger

    public init(migrations: [Migration] = SQLFiles.migrations, views: [(name: String, sql: String)] = SQLFiles.views,
                logger: Logger = Logger(label: "leadline.migrate")) {
        self.migrations = migrations
        self.views = views
        self.logger = logger
    }

    /// What a run did.
    public struct Report: Sendable, Equatable {
        public var applied: [Int] = []
        public var alreadyApplied: [Int] = []
    }

    /// Runs on one connection (blocking; call it from a pool thread).
    public func migrate(_ connection: PostgresConnection) throws -> Report {
        try connection.query("SELECT pg_advisory_lock($1::bigint)", [Self.lockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1::bigint)", [Self.lockKey]) }
        try connection.query("""
            CREATE TABLE IF NOT EXISTS leadline_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        let done = try connection.query("SELECT version, name, checksum FROM leadline_migrations ORDER BY version")
        var applied: [Int: String] = [:]
        for row in done.rows { if let v = row.int("version") { applied[v] = row["checksum"] ?? "" } }
        var report = Report()
        for migration in migrations {
            if let checksum = applied[migration.version] {
                if checksum != migration.checksum {
                    throw MigrationError.changedAfterApply(version: migration.version, name: migration.name)
                }
                report.alreadyApplied.append(migration.version)
                continue
            }
            logger.info("applying migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            try connection.transaction { c in
                try c.execute(script: migration.sql)
                try c.query("INSERT INTO leadline_migrations (version, name, checksum) VALUES ($1::int, $2::text, $3::text)",
                            [migration.version, migration.name, migration.checksum])
            }
            report.applied.append(migration.version)
        }
        if !views.isEmpty {
            try connection.transaction { c in
                for view in views { try c.execute(script: view.sql) }
            }
        }
        return report
    }
}

/// Why migrating stopped.
public enum MigrationError: Error, CustomStringConvertible {
    case changedAfterApply(version: Int, name: String)

    public var description: String {
        switch self {
        case .changedAfterApply(let version, let name):
            return "migration \(version)_\(name) was edited after it was applied; add a new migration instead"
        }
    }
}
