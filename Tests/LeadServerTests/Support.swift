// Re-exported so every file of these tests sees `ProtocolClient` (it moved out of
// LeadServer into LeadClient) without an import of its own.
@_exported import LeadClient
import Foundation
import LeadCore
import LeadProtocol
import LeadServer
import LeadTesting
import Logging
import ServiceLifecycle
import Testing

/// Server logs in tests: warnings and errors only, on stderr.
let testLogger: Logger = {
    var logger = Logger(label: "leadline.test") { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .warning
        return handler
    }
    logger.logLevel = .warning
    return logger
}()

/// A real server on 127.0.0.1 with ephemeral ports, over a real database, run under a
/// ServiceGroup exactly as `leadline serve` runs it (so `stop()` is the SIGTERM path).
///
/// Its time is a `ManualClock` (pass the floor's, `floor.clock`, so leads and server agree):
/// it stands still, so background passes, lease expiry, callbacks and `CLAIM wait=` deadlines
/// happen when a test advances it (`advance(by:)`, `runPasses()`), never at the hour of day
/// the tests run at.
final class TestServer: Sendable {
    let server: LeadServer
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let metricsPort: Int?
    let clock: ManualClock

    private init(server: LeadServer, group: ServiceGroup, task: Task<Void, any Error>, port: Int, metricsPort: Int?,
                 clock: ManualClock) {
        self.server = server
        self.group = group
        self.task = task
        self.port = port
        self.metricsPort = metricsPort
        self.clock = clock
    }

    /// Starts a server on `conninfo` whose clock is `clock` (by default one standing at
    /// `Floor.start`, 2026-06-15 10:00 in Asia/Kolkata).
    static func start(conninfo: String, clock: ManualClock = ManualClock(Floor.start),
                      _ configure: (inout ServerConfig) -> Void = { _ in }) async throws -> TestServer {
        var config = ServerConfig()
        config.port = 0
        config.metricsPort = 0
        config.tickInterval = 0.1
        config.claimPoll = 2
        config.poolSize = 6
        configure(&config)
        let server = LeadServer(config: config, conninfo: conninfo, logger: testLogger, clock: clock)
        let group = ServiceGroup(configuration: .init(services: [server], logger: testLogger))
        let task = Task { try await group.run() }
        let bound = await server.listening()
        return TestServer(server: server, group: group, task: task, port: bound.port, metricsPort: bound.metricsPort, clock: clock)
    }

    /// Moves the server's clock forward by `duration`, then runs the background passes at
    /// the new time (`runPasses()`): lease expiry, due callbacks, SLA breaches, boosts and
    /// shift ends that the new time brings have happened when it returns.
    func advance(by duration: Duration) async throws {
        clock.advance(by: duration)
        try await runPasses()
    }

    /// Waits until two more background passes completed, so at least one whole pass ran at
    /// the clock's current time. The passes sleep on the clock between ticks, so this nudges
    /// it by one tick interval (a fraction of a second of floor time) per pass it waits for.
    /// A bounded wait for work, not for time.
    func runPasses() async throws {
        let target = try backgroundPasses() + 2
        var seen = try backgroundPasses()
        var nudged = ContinuousClock.now
        clock.advance(by: Self.tick)
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            let done = try backgroundPasses()
            if done >= target { return }
            guard ContinuousClock.now < deadline else {
                Issue.record("the background passes did not run (\(done) of \(target))")
                return
            }
            // Another tick once the previous one was taken (or, when a pass was running
            // as the clock moved, once it has had time to go back to sleep).
            if done > seen || ContinuousClock.now - nudged > .milliseconds(500) {
                seen = done
                nudged = ContinuousClock.now
                clock.advance(by: Self.tick)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// One background tick of floor time: above `tickInterval` (0.1 s) plus its 20 % jitter.
    static let tick = Duration.milliseconds(150)

    /// Background passes completed so far (`leadline_background_passes_total`).
    func backgroundPasses() throws -> Int {
        try metric("leadline_background_passes_total")
    }

    /// CLAIMs waiting now (`leadline_claim_waiters`).
    func claimWaiters() throws -> Int {
        try metric("leadline_claim_waiters")
    }

    /// Waits until `count` CLAIMs are waiting on this server (their deadline is then set on
    /// the clock, so advancing it past the deadline ends them). A bounded wait for work.
    func waitForClaimWaiters(_ count: Int) async throws {
        #expect(try await eventually { try claimWaiters() >= count }, "\(count) waiting CLAIMs")
    }

    private func metric(_ name: String) throws -> Int {
        for line in server.metrics.render().split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == name, let value = Double(parts[1]) { return Int(value) }
        }
        return 0
    }

    /// A new connection, its HELLO already read and checked.
    func connect() async throws -> ProtocolClient {
        let client = try await ProtocolClient.connect(port: port)
        let hello = try await client.line()
        #expect(hello == "HELLO leadline proto=1")
        return client
    }

    /// A new connection logged in as `agent`.
    func login(_ agent: String, token: String = "secret") async throws -> ProtocolClient {
        let client = try await connect()
        let reply = try await client.call("AUTH agent=\(agent) token=\(token)")
        #expect(reply.first?.hasPrefix("OK agent=\(agent) ") == true, "AUTH \(agent): \(reply)")
        return client
    }

    /// Moves the clock forward in `step`s until `condition` holds (each step wakes the
    /// server's sleepers whose time came: the sweeper, the passes, waits), up to `limit`
    /// of clock time. Returns whether it held.
    func advance(by step: Duration, upTo limit: Duration, until condition: () async throws -> Bool) async throws -> Bool {
        var moved = Duration.zero
        while moved < limit {
            if try await condition() { return true }
            clock.advance(by: step)
            moved += step
            try await Task.sleep(for: .milliseconds(20))  // lets the woken tasks run: work, not time
        }
        return try await condition()
    }

    /// The graceful shutdown SIGTERM triggers; waits until the server stopped. The server
    /// closes its connections half a second of its clock after the running requests end,
    /// so the clock is moved along meanwhile.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        let clock = self.clock
        let mover = Task {
            while !Task.isCancelled {
                clock.advance(by: .milliseconds(250))
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { mover.cancel() }
        try await task.value
    }
}

/// A fresh database with the test catalogue and one team `north` (Asia/Kolkata).
func makeFloor(team: String = "north") async throws -> Floor {
    let floor = try await Floor.make()
    try floor.team(team)
    return floor
}

/// The value of `key` in a reply line.
func value(_ line: String?, _ key: String) -> String? {
    guard let line else { return nil }
    return ProtocolClient.fields(line).value(key)
}

/// The error code of a reply line.
func code(_ line: String?) -> String? {
    line.flatMap(ProtocolClient.errorCode)
}

/// A time `seconds` after `now` (the floor's time) in the wire format.
func wireTime(_ seconds: TimeInterval, after now: Date) -> String {
    Wire.formatTime(now.addingTimeInterval(seconds))
}

/// Waits until `condition` holds, up to `timeout` of real time: for work the server does
/// (a pass, a NOTIFY), never for floor time to pass (advance the clock for that).
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}
