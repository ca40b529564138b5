import EmbeddedPostgres
import Foundation
import Postgres
import Testing

@Suite struct EmbeddedClusterTests {
    @Test func startsStopsAndRestartsOnItsOwnSocket() async throws {
        let dir = "/tmp/lle-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        let cluster = EmbeddedCluster(directory: dir, profile: .throwaway)
        defer { try? cluster.destroy() }
        #expect(try await cluster.start() == true)
        #expect(try await cluster.start() == false)  // already running: left alone
        #expect(FileManager.default.fileExists(atPath: dir + "/.s.PGSQL.5432"))
        let c = try PostgresConnection(conninfo: cluster.conninfo())
        #expect(try c.query("SHOW listen_addresses").first?["listen_addresses"] == "")
        try c.query("CREATE TABLE kept (v int)")
        try c.query("INSERT INTO kept VALUES (7)")
        c.close()

        try await cluster.stop()
        #expect(!FileManager.default.fileExists(atPath: dir + "/.s.PGSQL.5432"))
        #expect(throws: PostgresError.self) { try PostgresConnection(conninfo: cluster.conninfo()) }

        #expect(try await cluster.start() == true)  // existing data directory: no initdb
        let again = try PostgresConnection(conninfo: cluster.conninfo())
        #expect(try again.query("SELECT v FROM kept").first?.int("v") == 7)
        again.close()
        try await cluster.stop()
    }
}

@Suite struct EmbeddedClusterAttachmentTests {
    /// Two commands attached at once: the first to leave does not stop the cluster under
    /// the second; the last one out stops it.
    @Test func lastOneOutStopsTheCluster() async throws {
        let dir = "/tmp/lla-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        let cluster = EmbeddedCluster(directory: dir, profile: .throwaway)
        defer { try? cluster.destroy() }
        async let a = cluster.attach()
        async let b = cluster.attach()
        let (first, second) = try await (a, b)
        #expect([first.started, second.started].filter { $0 }.count == 1)  // one initdb + start, not two
        try await first.detach()
        let c = try PostgresConnection(conninfo: cluster.conninfo())
        #expect(try c.query("SELECT 1 AS one").first?.int("one") == 1)
        c.close()
        try await second.detach()
        #expect(throws: PostgresError.self) { try PostgresConnection(conninfo: cluster.conninfo()) }
    }
}
