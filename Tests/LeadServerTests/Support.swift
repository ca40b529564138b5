import Foundation
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
final class TestServer: Sendable {
    let server: LeadServer
    let group: ServiceGroup
    let task: Task<Void, any Error>
    let port: Int
    let metricsPort: Int?

    private init(server: LeadServer, group: ServiceGroup, task: Task<Void, any Error>, port: Int, metricsPort: Int?) {
        self.server = server
        self.group = group
        self.task = task
        self.port = port
        self.metricsPort = metricsPort
    }

    static func start(conninfo: String, _ configure: (inout ServerConfig) -> Void = { _ in }) async throws -> TestServer {
        var config = ServerConfig()
        config.port = 0
        config.metricsPort = 0
        config.tickInterval = 0.1
        config.claimPoll = 2
        config.poolSize = 6
        configure(&config)
        let server = LeadServer(config: config, conninfo: conninfo, logger: testLogger)
        let group = ServiceGroup(configuration: .init(services: [server], logger: testLogger))
        let task = Task { try await group.run() }
        let bound = await server.listening()
        return TestServer(server: server, group: group, task: task, port: bound.port, metricsPort: bound.metricsPort)
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

    /// The graceful shutdown SIGTERM triggers; waits until the server stopped.
    func stop() async throws {
        await group.triggerGracefulShutdown()
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

/// A time `seconds` from now in the wire format.
func wireTime(_ seconds: TimeInterval) -> String {
    Wire.formatTime(Date().addingTimeInterval(seconds))
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
