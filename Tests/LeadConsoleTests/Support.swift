import Foundation
import LeadConsole
import LeadCore
import LeadServer
import LeadTesting
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Server logs in tests: warnings and errors only, on stderr.
let testLogger: Logger = {
    var logger = Logger(label: "leadline.console-test") { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .warning
        return handler
    }
    logger.logLevel = .warning
    return logger
}()

/// A real server and its floor console on 127.0.0.1 (ephemeral ports) over a real
/// database, under a ServiceGroup as `leadline serve --console-port` runs them. Time is the
/// floor's `ManualClock`: breaches, lease expiry and session expiry happen when the test
/// advances it.
final class ConsoleTestServer: Sendable {
    let server: LeadServer
    let console: FloorConsole
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let consolePort: Int
    let clock: ManualClock

    private init(server: LeadServer, console: FloorConsole, group: ServiceGroup, task: Task<Void, any Error>, port: Int,
                 consolePort: Int, clock: ManualClock) {
        self.server = server
        self.console = console
        self.group = group
        self.task = task
        self.port = port
        self.consolePort = consolePort
        self.clock = clock
    }

    static func start(_ floor: Floor, sessionMinutes: Int = 30, feedFallback: Duration = .seconds(5),
                      logger: Logger = testLogger) async throws -> ConsoleTestServer {
        var config = ServerConfig()
        config.port = 0
        config.metricsPort = 0
        config.tickInterval = 0.1
        config.poolSize = 6
        config.biRefreshInterval = 0
        let server = LeadServer(config: config, conninfo: floor.conninfo, logger: logger, clock: floor.clock)
        let console = FloorConsole(server: server, conninfo: floor.conninfo, host: "127.0.0.1", port: 0,
                                   sessionMinutes: sessionMinutes, feedFallback: feedFallback, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [server, console], logger: testLogger))
        let task = Task { try await group.run() }
        let bound = await server.listening()
        let consolePort = await console.listening()
        return ConsoleTestServer(server: server, console: console, group: group, task: task, port: bound.port,
                                 consolePort: consolePort, clock: floor.clock)
    }

    /// Moves the clock forward, then waits until two more background passes ran at the new
    /// time (lease expiry, SLA breaches…), nudging the clock by one tick per pass.
    func advance(by duration: Duration) async throws {
        clock.advance(by: duration)
        let target = backgroundPasses() + 2
        let deadline = ContinuousClock.now + .seconds(20)
        var seen = backgroundPasses()
        var nudged = ContinuousClock.now
        clock.advance(by: .milliseconds(150))
        while backgroundPasses() < target {
            guard ContinuousClock.now < deadline else {
                Issue.record("the background passes did not run")
                return
            }
            let done = backgroundPasses()
            if done > seen || ContinuousClock.now - nudged > .milliseconds(500) {
                seen = done
                nudged = ContinuousClock.now
                clock.advance(by: .milliseconds(150))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func backgroundPasses() -> Int {
        for line in server.metrics.render().split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == "leadline_background_passes_total", let value = Double(parts[1]) { return Int(value) }
        }
        return 0
    }

    /// SIGTERM's path: graceful shutdown of the server and the console.
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

/// A floor with teams north and south (Asia/Kolkata): north-lead (team lead), north-agent1
/// and north-agent2 (plain agents), south-lead; every token is `secret` but those given.
func makeConsoleFloor(tokens: [String: String] = [:]) async throws -> Floor {
    let floor = try await Floor.make()
    try floor.team("north")
    try floor.team("south")
    try floor.agent("north-lead", team: "north", role: "team_lead", token: tokens["north-lead"] ?? "secret")
    try floor.agent("north-agent1", team: "north", capacity: 2, token: tokens["north-agent1"] ?? "secret")
    try floor.agent("north-agent2", team: "north")
    try floor.agent("south-lead", team: "south", role: "team_lead")
    return floor
}

/// Waits until `condition` holds, up to `timeout` of real time (for work, not floor time).
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Every log line a server writes, at trace level, with its metadata (to check that no
/// token is ever logged).
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "leadline.captured") { _ in Handler(log: self) }
        logger.logLevel = .trace
        return logger
    }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            let text = "\(event.level) \(event.message) " + all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
                + (event.error.map { " error=\($0)" } ?? "")
            log.lines.withLock { $0.append(text) }
        }
    }
}
