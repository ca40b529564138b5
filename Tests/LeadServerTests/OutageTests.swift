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

    /// A private cluster with team north, `agents` agents (a1, a2, …) and `leads` leads.
    static func privateFloor(_ prefix: String, agents: Int, leads: Int) async throws -> (EmbeddedCluster, Floor) {
        let cluster = try await TestCluster.privateCluster(prefix)
        let admin = try PostgresConnection(conninfo: cluster.conninfo())
        try admin.query("CREATE DATABASE leadline")
        admin.close()
        let floor = Floor(conninfo: cluster.conninfo(database: "leadline"))
        let migrate = try floor.connect()
        _ = try Migrator().migrate(migrate)
        migrate.close()
        try floor.team("north")
        for i in 1...agents { try floor.agent("a\(i)", team: "north", role: "senior", capacity: 5) }
        try floor.leads(team: "north", count: leads, createdAt: Date().addingTimeInterval(-60))
        return (cluster, floor)
    }

    /// PostgreSQL frozen by SIGSTOP (a hung host) for 12 s: a request on a logged-in
    /// session and a new connection's AUTH get UNAVAILABLE at the query_timeout (1 s
    /// here), not when the freeze ends; after SIGCONT the same session is served again.
    @Test func frozenDatabaseAnswersUnavailableAtTheDeadline() async throws {
        let (cluster, floor) = try await Self.privateFloor("llz", agents: 1, leads: 5)
        let freezer = ClusterFreezer(cluster: cluster)
        defer {
            freezer.thaw()
            Task { try? await cluster.stop(mode: "immediate"); try? cluster.destroy() }
        }
        let server = try await TestServer.start(conninfo: floor.conninfo) {
            $0.poolTimeout = 2
            $0.queryTimeout = 1
        }
        let c = try await server.login("a1")
        #expect(value(try await c.call("CLAIM").first, "lead") != nil)
        let other = try await server.connect()

        try freezer.freeze()
        freezer.thaw(after: 12)
        let frozenAt = ContinuousClock.now
        async let claim = c.call("CLAIM")
        async let auth = other.call("AUTH agent=a1 token=secret")
        let (during, authDuring) = try await (claim, auth)
        let took = ContinuousClock.now - frozenAt
        #expect(code(during.first) == "UNAVAILABLE", "\(during)")
        #expect(code(authDuring.first) == "UNAVAILABLE", "\(authDuring)")
        // Typically ~1-3 s (RELIABILITY.md); the bound is what the test is about: an answer
        // before the 12 s freeze ends (a loaded CI machine once took 8.3 s).
        #expect(took < .seconds(10), "UNAVAILABLE from the 1 s query_timeout, before the 12 s freeze ends: \(took)")
        print("frozen database: UNAVAILABLE after \(took)")

        freezer.thaw()
        var after: [String] = []
        let recovered = try await eventually(timeout: .seconds(20)) {
            after = try await c.call("CLAIM")
            return value(after.first, "lead") != nil
        }
        #expect(recovered, "served again after SIGCONT: \(after)")
        #expect(try await other.call("AUTH agent=a1 token=secret").first?.hasPrefix("OK") == true)
        try await server.stop()
    }

    /// `pg_ctl stop -m immediate` while agents CLAIM and DISPOSE (batched, and one by one
    /// with idem=), three times: every refused request is UNAVAILABLE, never INTERNAL.
    /// (Before the fix, about one stop in five answered a DISPOSE with INTERNAL: libpq's
    /// "server closed the connection unexpectedly" with the connection still "OK".)
    @Test func immediateStopAnswersUnavailableNeverInternal() async throws {
        let (cluster, floor) = try await Self.privateFloor("lls", agents: 6, leads: 3000)
        defer { Task { try? await cluster.stop(mode: "immediate"); try? cluster.destroy() } }
        let server = try await TestServer.start(conninfo: floor.conninfo) { $0.poolTimeout = 2 }
        let clients = try await withThrowingTaskGroup(of: ProtocolClient.self) { group in
            for i in 1...6 { group.addTask { try await server.login("a\(i)") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let codes = Locked<[String: Int]>([:])
        let replies = Locked<[String]>([])
        for cycle in 1...3 {
            let running = Locked(true)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (n, c) in clients.enumerated() {
                    group.addTask {
                        var round = 0
                        while running.value {
                            round += 1
                            let claim = try await c.call("CLAIM")
                            var lines = claim
                            if let lead = value(claim.first, "lead"), let lease = value(claim.first, "lease") {
                                let idem = n % 2 == 0 ? " idem=d\(cycle)-\(n)-\(round)" : ""
                                lines += try await c.call("DISPOSE lead=\(lead) lease=\(lease) code=wrong_number note=\"someone else\"\(idem)")
                            }
                            for line in lines {
                                guard let e = code(line) else { continue }
                                codes.withLock { $0[e, default: 0] += 1 }
                                if e != "UNAVAILABLE" { replies.withLock { $0.append(line) } }
                            }
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(500))
                try await cluster.stop(mode: "immediate")
                try await Task.sleep(for: .milliseconds(500))
                running.withLock { $0 = false }
                try await group.waitForAll()
            }
            if cycle < 3 {
                try await cluster.start()
                let back = try await eventually(timeout: .seconds(20)) { code(try await clients[0].call("MINE").first) == nil }
                #expect(back, "served again after restart \(cycle)")
            }
        }
        let seen = codes.value
        #expect(seen["INTERNAL"] == nil, "INTERNAL during an immediate stop: \(replies.value)")
        #expect((seen["UNAVAILABLE"] ?? 0) > 0, "the stops were seen: \(seen)")
        print("immediate stop ×3: error replies \(seen)")
        try await server.stop()
    }
}
