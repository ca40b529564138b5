import Foundation
import LeadStore
import LeadTesting
import Postgres
import Testing

@Suite struct MigrationTests {
    @Test func freshThenRerunIsANoOp() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let c = try PostgresConnection(conninfo: info)
        let first = try Migrator().migrate(c)
        #expect(first.applied == SQLFiles.migrations.map(\.version))
        #expect(first.alreadyApplied.isEmpty)
        let second = try Migrator().migrate(c)
        #expect(second.applied.isEmpty)
        #expect(second.alreadyApplied == SQLFiles.migrations.map(\.version))
        let recorded = try c.query("SELECT version FROM leadline_migrations ORDER BY version").rows.compactMap { $0.int("version") }
        #expect(recorded == SQLFiles.migrations.map(\.version))
    }

    @Test func twoConcurrentMigratorsLeaveOneSchema() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let reports = try await withThrowingTaskGroup(of: Migrator.Report.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await onThread {
                        let c = try PostgresConnection(conninfo: info)
                        defer { c.close() }
                        return try Migrator().migrate(c)
                    }
                }
            }
            var all: [Migrator.Report] = []
            for try await r in group { all.append(r) }
            return all
        }
        let all = SQLFiles.migrations.map(\.version)
        #expect(reports.map(\.applied).sorted { $0.count < $1.count } == [[], all])
        let c = try PostgresConnection(conninfo: info)
        #expect(try c.query("SELECT count(*) AS n FROM leadline_migrations").first?.int("n") == all.count)
        #expect(try c.query("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'leads'").first?.int("n") == 1)
    }

    @Test func editedMigrationIsRefused() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let c = try PostgresConnection(conninfo: info)
        _ = try Migrator().migrate(c)
        var edited = SQLFiles.migrations
        let last = edited.removeLast()
        edited.append(Migration(version: last.version, name: last.name, sql: last.sql + "\n-- edited\n"))
        #expect(throws: MigrationError.self) { try Migrator(migrations: edited).migrate(c) }
    }

    @Test func failingMigrationRollsBackWholly() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let c = try PostgresConnection(conninfo: info)
        let bad = Migration(version: 1, name: "bad", sql: "CREATE TABLE half (v int); SELECT 1/0;")
        #expect(throws: PostgresError.self) { try Migrator(migrations: [bad], views: []).migrate(c) }
        #expect(try c.query("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'half'").first?.int("n") == 0)
        // The whole run is one transaction: not even the bookkeeping table is left.
        #expect(try c.query("SELECT to_regclass('leadline_migrations') IS NULL AS gone").first?["gone"] == "t")
    }

    /// The read-only BI login cannot hold back a migrate (and so a `leadline serve`
    /// start): it cannot take the migrator's lock, and a BI transaction left open over a
    /// `bi` view delays a restart by the view lock timeout at most; the views then keep
    /// their definitions.
    @Test func theBILoginCannotHoldBackAMigrate() async throws {
        let info = try await TestCluster.shared.database(migrated: true)
        let bi = try PostgresConnection(conninfo: info + " user=leadline_bi")
        defer { bi.close() }
        try bi.query("BEGIN")
        #expect(throws: PostgresError.self, "BI may not lock the migrator's table") {
            try bi.query("LOCK TABLE leadline_migrations IN SHARE ROW EXCLUSIVE MODE")
        }
        try bi.query("ROLLBACK")
        // Any advisory lock BI takes is no longer the migrator's concern.
        try bi.query("SELECT pg_advisory_lock(7810756212687466085)")  // the key the migrator used to take
        try bi.query("BEGIN")
        _ = try bi.query("SELECT * FROM bi.freshness")
        let started = ContinuousClock.now
        let report = try await onThread {
            let c = try PostgresConnection(conninfo: info)
            defer { c.close() }
            return try Migrator().migrate(c)
        }
        #expect(ContinuousClock.now - started < .seconds(30), "migrate waited for the BI session")
        #expect(report.applied.isEmpty && !report.viewsRecreated, "the views keep their definitions while BI holds them")
        try bi.query("ROLLBACK")
        let again = try await onThread {
            let c = try PostgresConnection(conninfo: info)
            defer { c.close() }
            return try Migrator().migrate(c)
        }
        #expect(again.viewsRecreated, "once BI lets go, the views are re-created")
    }
}
