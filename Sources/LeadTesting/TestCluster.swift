import EmbeddedPostgres
import Foundation
import LeadStore
import Postgres

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster for one test process, and a fresh database per test.
///
/// The cluster starts on first use in a temp directory (initdb + pg_ctl, Unix socket only),
/// a template database is migrated once, and every `database()` call clones it, so tests
/// run in parallel without seeing each other's rows. The cluster is killed and deleted
/// when the process exits. No mock: every test runs real SQL on a real server.
public actor TestCluster {
    public static let shared = TestCluster()

    private var starting: Task<EmbeddedCluster, any Error>?
    private var counter = 0

    /// The running cluster (starting it once, however many tests ask at the same time).
    public func running() async throws -> EmbeddedCluster {
        if let starting { return try await starting.value }
        let task = Task { try await Self.start() }
        starting = task
        return try await task.value
    }

    private static func start() async throws -> EmbeddedCluster {
        let base = ProcessInfo.processInfo.environment["LEADLINE_TEST_TMP"] ?? "/tmp"
        let dir = "\(base)/llt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let c = EmbeddedCluster(directory: dir, profile: .throwaway)
        TestClusterCleanup.register(directory: c.directory)
        try await c.start()
        let admin = try PostgresConnection(conninfo: c.conninfo())
        try admin.query("CREATE DATABASE leadline_template")
        admin.close()
        let template = try PostgresConnection(conninfo: c.conninfo(database: "leadline_template"))
        _ = try Migrator().migrate(template)
        template.close()
        return c
    }

    /// A new, migrated, empty database; returns its conninfo.
    public func database(migrated: Bool = true) async throws -> String {
        let c = try await running()
        counter += 1
        let name = "t\(counter)"
        let admin = try PostgresConnection(conninfo: c.conninfo())
        defer { admin.close() }
        if migrated {
            try admin.query("CREATE DATABASE \(name) TEMPLATE leadline_template")
        } else {
            try admin.query("CREATE DATABASE \(name)")
        }
        return c.conninfo(database: name)
    }
}

extension TestCluster {
    /// A started cluster of one test's own (for tests that stop, restart or freeze it),
    /// in `$LEADLINE_TEST_TMP` or /tmp; killed and deleted at process exit whatever the
    /// test did, like the shared one.
    public static func privateCluster(_ prefix: String) async throws -> EmbeddedCluster {
        let base = ProcessInfo.processInfo.environment["LEADLINE_TEST_TMP"] ?? "/tmp"
        let cluster = EmbeddedCluster(directory: "\(base)/\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", profile: .throwaway)
        TestClusterCleanup.register(directory: cluster.directory)
        try await cluster.start()
        return cluster
    }
}

/// Kills and deletes throwaway clusters at process exit.
enum TestClusterCleanup {
    nonisolated(unsafe) private static var directories: [String] = []
    private static let lock = NSLock()

    static func register(directory: String) {
        lock.lock()
        defer { lock.unlock() }
        if directories.isEmpty { atexit { TestClusterCleanup.cleanup() } }
        directories.append(directory)
    }

    static func cleanup() {
        lock.lock()
        let dirs = directories
        lock.unlock()
        for dir in dirs {
            // SIGQUIT = immediate shutdown of the postmaster; then remove the files.
            if let pidText = try? String(contentsOfFile: dir + "/pgdata/postmaster.pid", encoding: .utf8),
               let first = pidText.split(separator: "\n").first, let pid = Int32(first) {
                kill(pid, SIGCONT)  // in case a test left it frozen (ClusterFreezer)
                kill(pid, SIGQUIT)
                for _ in 0..<50 where kill(pid, 0) == 0 { usleep(20_000) }
            }
            try? FileManager.default.removeItem(atPath: dir)
        }
    }
}
