import EmbeddedPostgres
import Foundation
import LeadTesting
import Postgres
import Testing

@Suite struct PoolAndListenerTests {
    @Test func poolBoundsConcurrencyAndRunsQueries() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let pool = PostgresPool(conninfo: info, size: 3, acquireTimeout: .seconds(60))  // a loaded CI machine: the bound is the point, not the speed
        defer { Task { await pool.shutdown() } }
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    try await pool.withConnection { c in
                        _ = try c.query("SELECT pg_sleep(0.01)")
                        return c.backendPID
                    }
                }
            }
            var seen = Set<Int32>()
            for try await pid in group { seen.insert(pid) }
            return seen
        }
        #expect(pids.count <= 3)
        #expect(pids.count >= 1)
    }

    @Test func transactionRetriesSerializationFailures() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let pool = PostgresPool(conninfo: info, size: 2)
        defer { Task { await pool.shutdown() } }
        try await pool.withConnection { c in try c.query("CREATE TABLE attempts (n int)") }
        let result = try await pool.transaction { c -> Int in
            try c.query("INSERT INTO attempts VALUES (1)")
            let n = try c.query("SELECT count(*) AS n FROM attempts").first!.int("n")!
            if n < 2 {
                // Persist the attempt outside this transaction, then fail retryably.
                try c.query("COMMIT")
                try c.query("BEGIN")
                try c.query("DO $$ BEGIN RAISE EXCEPTION 'try again' USING ERRCODE = 'serialization_failure'; END $$")
            }
            return n
        }
        #expect(result == 2)
    }

    /// The pool survives a server restart: requests fail with a connection error while
    /// the server is down, then succeed again without a new pool.
    @Test func poolReconnectsAfterServerRestart() async throws {
        let dir = "/tmp/llr-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        let cluster = EmbeddedCluster(directory: dir, profile: .throwaway)
        try await cluster.start()
        defer { Task { try? await cluster.stop(mode: "immediate"); try? cluster.destroy() } }
        let pool = PostgresPool(conninfo: cluster.conninfo(), size: 2)
        #expect(try await pool.withConnection { try $0.query("SELECT 1 AS one").first?.int("one") } == 1)

        try await cluster.stop(mode: "fast")
        var sawConnectionError = false
        do {
            _ = try await pool.withConnection { try $0.query("SELECT 1") }
        } catch let e as PostgresError {
            sawConnectionError = e.kind == .connection
        }
        #expect(sawConnectionError)

        try await cluster.start()
        var recovered = false
        for _ in 0..<100 {
            if (try? await pool.withConnection({ try $0.query("SELECT 2 AS two").first?.int("two") })) == 2 {
                recovered = true
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(recovered)
        await pool.shutdown()
    }

    @Test func listenerDeliversNotificationsAndRelistensAfterReconnect() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let listener = PostgresListener(conninfo: info, channels: ["ch_a"])
        defer { listener.stop() }
        var events = listener.events.makeAsyncIterator()
        #expect(await events.next() == .connected)

        let sender = try PostgresConnection(conninfo: info)
        try sender.query("SELECT pg_notify($1::text, $2::text)", ["ch_a", "héllo 1"])
        guard case .notification(let n)? = await events.next() else {
            Issue.record("no notification")
            return
        }
        #expect(n.channel == "ch_a")
        #expect(n.payload == "héllo 1")

        // Kill the listening backend: the listener reconnects, listens again, and says so.
        try sender.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'leadline-listen' AND datname = current_database()")
        #expect(await events.next() == .connected)
        try sender.query("SELECT pg_notify($1::text, $2::text)", ["ch_a", "after"])
        guard case .notification(let m)? = await events.next() else {
            Issue.record("no notification after reconnect")
            return
        }
        #expect(m.payload == "after")
    }
}
