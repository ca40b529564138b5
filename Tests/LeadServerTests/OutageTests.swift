import EmbeddedPostgres
import Foundation
import LeadServer
import LeadStore
import LeadTesting
import Postgres
import Testing

@Suite("Database outages")
struct OutageTests {
    /// PostgreSQL restarts mid-session (a dedicated cluster, so other tests are not
    /// disturbed): requests get UNAVAILABLE quickly, the server keeps accepting, and once
    /// the database is back the same session is served again without a restart.
    @Test func postgresRestartMidSession() async throws {
        let base = ProcessInfo.processInfo.environment["LEADLINE_TEST_TMP"] ?? "/tmp"
        let cluster = EmbeddedCluster(directory: "\(base)/llo-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", profile: .throwaway)
        try await cluster.start()
        defer { try? cluster.destroy() }
        do {
            let admin = try PostgresConnection(conninfo: cluster.conninfo())
            try admin.query("CREATE DATABASE leadline")
            admin.close()
            let floor = Floor(conninfo: cluster.conninfo(database: "leadline"))
            let migrate = try floor.connect()
            _ = try Migrator().migrate(migrate)
            migrate.close()
            try floor.team("north")
            try floor.agent("asha", team: "north", role: "senior", capacity: 5)
            try floor.leads(team: "north", count: 5, createdAt: floor.now.addingTimeInterval(-60))

            let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.poolTimeout = 2 }
            let c = try await server.login("asha")
            let before = try await c.call("CLAIM")
            #expect(value(before.first, "lead") != nil, "\(before)")

            try await cluster.stop()
            let started = ContinuousClock.now
            let during = try await c.call("CLAIM")
            #expect(code(during.first) == "UNAVAILABLE", "\(during)")
            #expect(ContinuousClock.now - started < .seconds(3), "UNAVAILABLE comes quickly")
            #expect(code(try await c.call("MINE").first) == "UNAVAILABLE")
            // Still accepting: a new connection gets HELLO, its AUTH is UNAVAILABLE.
            let fresh = try await server.connect()
            #expect(code(try await fresh.call("AUTH agent=asha token=secret").first) == "UNAVAILABLE")
            #expect(value(try await fresh.call("PING").first, "time") != nil)

            try await cluster.start()
            let back = ContinuousClock.now
            var after: [String] = []
            let recovered = try await eventually(timeout: .seconds(15)) {
                after = try await c.call("CLAIM")
                return value(after.first, "lead") != nil
            }
            #expect(recovered, "served again after the restart: \(after)")
            print("served again \(ContinuousClock.now - back) after PostgreSQL came back")
            #expect(try await fresh.call("AUTH agent=asha token=secret").first?.hasPrefix("OK") == true)
            let mine = try await c.call("MINE")
            #expect(mine.first == "OK rows=2", "both leases survived the restart: \(mine)")
            try await server.stop()
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
    }
}
