import EmbeddedPostgres
import Foundation
import LeadTesting
import Postgres
import Testing

/// A database that stops answering (SIGSTOP: a hung host, a partition) must not hold a
/// request past its deadline. Each test freezes a private cluster (never the shared one),
/// and a timer thaws it after 12 s whatever happens, as in issue 13's drill.
@Suite("Frozen server")
struct FrozenServerTests {
    static func privateCluster(_ prefix: String) async throws -> EmbeddedCluster {
        try await TestCluster.privateCluster(prefix)
    }

    /// A request holding a connection and a new request on an idle pooled connection both
    /// get a `.connection` error near the 1 s deadline, well before the freeze ends; later
    /// requests fail at once (the pool knows the database stalled); after SIGCONT the same
    /// pool serves again.
    @Test func statementsOnAFrozenServerFailAtTheirDeadlineAndThePoolRecovers() async throws {
        let cluster = try await Self.privateCluster("llf")
        let freezer = ClusterFreezer(cluster: cluster)
        defer {
            freezer.thaw()
            Task { try? await cluster.stop(mode: "immediate"); try? cluster.destroy() }
        }
        let pool = PostgresPool(conninfo: cluster.conninfo(), size: 4, acquireTimeout: .seconds(30), queryTimeout: .seconds(1))
        // Four connections open and idle in the pool (their probe cannot tell a frozen server).
        let warm = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<4 { group.addTask { try await pool.withConnection { c in _ = try c.query("SELECT pg_sleep(0.3)"); return c.backendPID } } }
            return try await group.reduce(into: Set<Int32>()) { $0.insert($1) }
        }
        #expect(warm.count == 4)

        // A request that holds its connection across the freeze.
        let step = Locked(0)  // 1 = first statement done, 2 = frozen
        async let held: Result<Int?, any Error> = attempt {
            try await pool.withConnection { c in
                _ = try c.query("SELECT 1")
                step.withLock { $0 = 1 }
                while step.withLock({ $0 }) < 2 { usleep(5_000) }
                return try c.query("SELECT 2 AS two").first?.int("two")
            }
        }
        #expect(try await eventually { step.withLock { $0 } == 1 })
        let pids = try freezer.freeze()
        freezer.thaw(after: 12)
        #expect(pids.count > 1, "the postmaster and its children are stopped: \(pids)")
        let frozenAt = ContinuousClock.now
        step.withLock { $0 = 2 }

        // A request arriving during the freeze: an idle connection of the pool.
        let fresh: Result<Int?, any Error> = await attempt {
            try await pool.withConnection { try $0.query("SELECT 3 AS three").first?.int("three") }
        }
        let freshTook = ContinuousClock.now - frozenAt
        let heldResult = await held
        let heldTook = ContinuousClock.now - frozenAt
        for (name, result) in [("held", heldResult), ("fresh", fresh)] {
            switch result {
            case .success(let v): Issue.record("\(name): a statement on the frozen server returned \(String(describing: v))")
            case .failure(let e): #expect((e as? PostgresError)?.kind == .connection, "\(name): \(e)")
            }
        }
        // Deadline 1 s; a loaded machine gets a wide margin, but the freeze lasts 12 s.
        #expect(heldTook < .seconds(6), "the held request gave up at its deadline: \(heldTook)")
        #expect(freshTook < .seconds(6), "the new request gave up at its deadline: \(freshTook)")
        print("frozen server: held request failed after \(heldTook), new request after \(freshTook)")

        // The pool now knows the database is stalled: of several requests, all but (at
        // most) one trial fail at once instead of each waiting out its deadline on one of
        // the two idle connections left.
        let quick = try await withThrowingTaskGroup(of: (Bool, Duration).self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let started = ContinuousClock.now
                    let r = await attempt { try await pool.withConnection { try $0.query("SELECT 5") } }
                    let failed = if case .failure(let e) = r { (e as? PostgresError)?.kind == .connection } else { false }
                    return (failed, ContinuousClock.now - started)
                }
            }
            return try await group.reduce(into: [(Bool, Duration)]()) { $0.append($1) }
        }
        #expect(quick.allSatisfy { $0.0 }, "all fail while frozen: \(quick)")
        #expect(quick.filter { $0.1 < .milliseconds(500) }.count >= 5, "all but one trial fail at once: \(quick.map(\.1))")

        freezer.thaw()
        var back: Int?
        let recovered = try await eventually(timeout: .seconds(20)) {
            back = try? await pool.withConnection { try $0.query("SELECT 4 AS four").first?.int("four") }
            return back == 4
        }
        #expect(recovered, "the pool serves again after SIGCONT")
        await pool.shutdown()
    }

    /// Connecting to a frozen server gives up at the connect timeout, below libpq's 2 s minimum.
    @Test func connectingToAFrozenServerGivesUpAtItsTimeout() async throws {
        let cluster = try await Self.privateCluster("llc")
        let freezer = ClusterFreezer(cluster: cluster)
        defer {
            freezer.thaw()
            Task { try? await cluster.stop(mode: "immediate"); try? cluster.destroy() }
        }
        try freezer.freeze()
        freezer.thaw(after: 12)
        let started = ContinuousClock.now
        let info = cluster.conninfo()
        let outcome: Result<PostgresConnection, any Error> = await attempt {
            try await onThread { try PostgresConnection(conninfo: info, connectTimeout: .milliseconds(500)) }
        }
        let took = ContinuousClock.now - started
        if case .failure(let e) = outcome {
            #expect((e as? PostgresError)?.kind == .connection, "\(e)")
        } else {
            Issue.record("connected to a frozen server")
        }
        #expect(took < .seconds(4), "gave up near its 0.5 s timeout: \(took)")
        freezer.thaw()
        let c = try await onThread { try PostgresConnection(conninfo: info) }
        #expect(try c.query("SELECT 1 AS one").first?.int("one") == 1)
    }

    /// An alive but slow server cancels the statement itself (statement_timeout, 80 % of
    /// the deadline): a `.connection` error, and the connection is kept. A job with
    /// `.unlimited` runs past the pool's deadline.
    @Test func slowStatementsAreCancelledByTheServerAndLongJobsMayOptOut() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let pool = PostgresPool(conninfo: info, size: 1, queryTimeout: .seconds(2))
        defer { Task { await pool.shutdown() } }
        let pid = try await pool.withConnection { $0.backendPID }
        do {
            try await pool.withConnection { c in _ = try c.query("SELECT pg_sleep(5)") }
            Issue.record("a 5 s statement outlived a 2 s deadline")
        } catch let e as PostgresError {
            #expect(e.kind == .connection, "\(e)")
            #expect(e.sqlState == "57014", "the server cancelled it: \(e)")
        }
        #expect(try await pool.withConnection { $0.backendPID } == pid, "the connection is kept")
        let slept = try await pool.withConnection(timeout: .unlimited) { c in
            try c.query("SELECT pg_sleep(2.5), current_setting('statement_timeout') AS t").first?["t"]
        }
        #expect(slept == "0")
        let back = try await pool.withConnection { c in try c.query("SELECT current_setting('statement_timeout') AS t").first?["t"] }
        #expect(back == "1600ms")
    }

    /// `pg_ctl stop -m immediate` under a connection: every error is `.connection`.
    @Test func immediateShutdownIsAConnectionError() async throws {
        let cluster = try await Self.privateCluster("lli")
        defer { Task { try? await cluster.stop(mode: "immediate"); try? cluster.destroy() } }
        let pool = PostgresPool(conninfo: cluster.conninfo(), size: 4, queryTimeout: .seconds(5))
        try await pool.withConnection { c in _ = try c.query("CREATE TABLE t (k int PRIMARY KEY, v int)") }
        try await pool.withConnection { c in _ = try c.query("INSERT INTO t SELECT g, 0 FROM generate_series(1, 100) g") }
        let running = Locked(true)
        let errors = Locked<[String]>([])
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    while running.withLock({ $0 }) {
                        do {
                            try await pool.withConnection { c in
                                if worker % 2 == 0 {
                                    _ = try c.pipelinedTransaction([
                                        PipelineStatement("UPDATE t SET v = v + 1 WHERE k = $1::int", [worker + 1]),
                                        PipelineStatement("SELECT pg_sleep(0.001)"),
                                    ])
                                } else {
                                    try c.transaction { c in
                                        _ = try c.query("UPDATE t SET v = v + 1 WHERE k = $1::int", [worker + 1], prepared: true)
                                        _ = try c.query("SELECT pg_sleep(0.001)")
                                    }
                                }
                            }
                        } catch let e as PostgresError where e.kind == .connection {
                            continue
                        } catch {
                            errors.withLock { $0.append("\(error)") }
                        }
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            try await cluster.stop(mode: "immediate")
            try await Task.sleep(for: .milliseconds(500))
            running.withLock { $0 = false }
            try await group.waitForAll()
        }
        #expect(errors.withLock { $0 }.isEmpty, "non-connection errors: \(errors.withLock { $0 })")
        await pool.shutdown()
    }
}

/// Waits until `condition` holds, up to `timeout`.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// The outcome of `body`, error included.
func attempt<T: Sendable>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
