import Logging
import Postgres

/// Applies `sql/migrations` in order and re-creates the views, in one transaction that
/// first locks `leadline_migrations` (SHARE ROW EXCLUSIVE), so two instances starting at
/// once do not race, and a failing migration leaves nothing half-applied. Re-running is a
/// no-op. The lock is a table lock that needs write privileges on the table: the
/// read-only BI login cannot take it (it could take any advisory lock, which is why this
/// is not one), so no BI session can hold back a `leadline serve` start.
///
/// Views are re-created on every run with a short lock timeout: a BI session with an open
/// transaction over a `bi` view would otherwise make the start wait for it. When no
/// migration was applied in this run, a view that cannot be locked in time keeps its
/// current definition (a warning says so); after a migration, the run fails instead.
public struct Migrator: Sendable {
    /// How long re-creating the views waits for a lock a reader holds.
    public static let viewLockTimeout = "5s"

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
        /// False when the views kept their definitions because a reader held a lock on them.
        public var viewsRecreated = true
    }

    /// Runs on one connection (blocking; call it from a pool thread).
    public func migrate(_ connection: PostgresConnection) throws -> Report {
        var attempt = 0
        while true {
            do {
                return try connection.transaction { c in try self.migrateLocked(c) }
            } catch let error as PostgresError where error.kind == .uniqueViolation && attempt < 3 {
                // Two first-ever runs created leadline_migrations at the same moment.
                attempt += 1
            }
        }
    }

    private func migrateLocked(_ c: PostgresConnection) throws -> Report {
        try c.query("""
            CREATE TABLE IF NOT EXISTS leadline_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """)
        try c.query("LOCK TABLE leadline_migrations IN SHARE ROW EXCLUSIVE MODE")
        let done = try c.query("SELECT version, name, checksum FROM leadline_migrations ORDER BY version")
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
            try c.execute(script: migration.sql)
            try c.query("INSERT INTO leadline_migrations (version, name, checksum) VALUES ($1::int, $2::text, $3::text)",
                        [migration.version, migration.name, migration.checksum])
            report.applied.append(migration.version)
        }
        if !views.isEmpty {
            try c.query("SAVEPOINT leadline_views")
            try c.query("SELECT set_config('lock_timeout', $1::text, true)", [Self.viewLockTimeout])
            if let failure = recreateViews(c) {
                guard failure.sqlState == "55P03", report.applied.isEmpty else { throw failure }
                try c.query("ROLLBACK TO SAVEPOINT leadline_views")
                report.viewsRecreated = false
                logger.warning("the BI views keep their current definitions: a session holds a lock on them (a BI transaction left open?); run leadline migrate again to re-create them",
                               metadata: ["lock_timeout": "\(Self.viewLockTimeout)"])
            } else {
                try c.query("RELEASE SAVEPOINT leadline_views")
            }
            try c.query("SELECT set_config('lock_timeout', '0', true)")
        }
        return report
    }

    /// Runs every view file; the first failure, or nil.
    private func recreateViews(_ c: PostgresConnection) -> PostgresError? {
        do throws(PostgresError) {
            for view in views { try c.execute(script: view.sql) }
            return nil
        } catch {
            return error
        }
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
