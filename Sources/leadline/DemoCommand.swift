import ArgumentParser
import Foundation
import LeadConsole
import LeadCore
import LeadDemo
import LeadServer
import LeadStore
import Logging
import Postgres
import ServiceLifecycle

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Serve a demo floor: seeds teams, agents and leads into an empty database, prints the tokens, serves.",
        discussion: """
            Like `serve` (same settings), but first loads demo data (teams north/south/west, agents \
            <team>-lead, -senior1, -senior2, -agent1..3, and admin) when the database has no agents, \
            and prints every agent's token. With the embedded cluster (default data dir ./.leadline-demo) \
            an existing demo database gets fresh tokens for those demo agents instead, so the printed \
            tokens always work; agents added with `leadline agent add` keep theirs.
            """)

    @OptionGroup var database: DemoDatabaseOptions
    @OptionGroup var server: ServerOptions

    @Option(help: "How many leads to seed.")
    var leads: Int = 2000

    func run() async throws {
        guard leads >= 0 else { throw ValidationError("--leads must be ≥ 0") }
        var (config, extras) = try server.resolve()
        // The demo serves the floor console too, on 7880, unless a flag, LEADLINE_CONSOLE_PORT
        // or the config file chose a port (or `off`).
        if config.consolePort == -1, server.consolePort == nil, ProcessInfo.processInfo.environment["LEADLINE_CONSOLE_PORT"] == nil,
           !(server.configFile.map(Self.fileSetsConsolePort) ?? false) {
            config.consolePort = Self.consolePort
        }
        let logger = bootstrapServerLogging(level: config.logLevel)
        var options = try database.options().applying(extras)
        let embedded = options.resolvedURL == nil
        if embedded, options.dataDir == nil, ProcessInfo.processInfo.environment["LEADLINE_DATA_DIR"] == nil {
            options.dataDir = DemoDatabaseOptions.defaultDataDir
        }
        let count = leads
        try await options.withDatabase(logger: logger) { conninfo in
            let agents = try Self.prepare(conninfo: conninfo, leads: count, rotateExisting: embedded)
            let server = LeadServer(config: config, conninfo: conninfo, logger: logger)
            let console = FloorConsole.configured(config, server: server, conninfo: conninfo, logger: logger)
            let services: [any Service] = [server] + (console.map { [$0] } ?? [])
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                          logger: logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let bound = await server.listening()
                var consoleURL: String?
                if let console { consoleURL = "http://\(config.consoleHost):\(await console.listening())/" }
                Self.printWelcome(agents: agents, host: bound.host, port: bound.port, metricsPort: bound.metricsPort, consoleURL: consoleURL)
                try await tasks.waitForAll()
            }
        }
    }

    /// Seeds an empty database; in an existing embedded demo database, issues new tokens.
    static func prepare(conninfo: String, leads: Int, rotateExisting: Bool) throws -> [DemoAgent] {
        let c = try PostgresConnection(conninfo: conninfo)
        defer { c.close() }
        let existing = try c.query("SELECT count(*) AS n FROM agents").first?.int("n") ?? 0
        if existing == 0 {
            let report = try DemoData(leads: leads).load(into: c, now: SystemClock().now())
            print("seeded \(report.leads) leads (\(report.callbacks) callbacks) in \(String(format: "%.1f", report.seconds)) s")
            return report.agents.map { DemoAgent(name: $0.name, team: $0.team, role: $0.role, token: $0.token) }
        }
        guard rotateExisting else {
            print("the database already has agents: not seeding; use your tokens (or `leadline agent token NAME`)")
            return []
        }
        // Only the demo's own agents: one an operator added keeps its token.
        let agents = try DemoData.reissueTokens(c).map { DemoAgent(name: $0.name, team: $0.team, role: $0.role, token: $0.token) }
        print("demo database already seeded: issued fresh tokens to the demo agents (other agents keep theirs)")
        return agents
    }

    /// The demo's console port when nothing else chose one.
    static let consolePort = 7880

    /// Whether a config file sets `console_port` (then the demo keeps the file's choice).
    static func fileSetsConsolePort(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { line in
            line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?
                .split(separator: "=").first?.trimmingCharacters(in: .whitespaces) == "console_port"
        }
    }

    static func printWelcome(agents: [DemoAgent], host: String, port: Int, metricsPort: Int?, consoleURL: String? = nil) {
        for agent in agents {
            print("agent=\(agent.name) team=\(agent.team) role=\(agent.role) token=\(agent.token)")
        }
        let sample = agents.first { $0.role == "senior" } ?? agents.first
        print("")
        print("try it:  nc \(host) \(port)        (or: leadline cli --port \(port) --agent \(sample?.name ?? "NAME") --token \(sample?.token ?? "TOKEN"))")
        print("         AUTH agent=\(sample?.name ?? "NAME") token=\(sample?.token ?? "TOKEN")")
        print("         CLAIM wait=5      then HELP, MINE, DISPOSE …, QUIT" + (metricsPort.map { "   metrics: http://\(host):\($0)/metrics" } ?? ""))
        if let consoleURL {
            let lead = agents.first { $0.role == "team_lead" }
            print("")
            print("floor console: \(consoleURL)   (log in as \(lead?.name ?? "a team lead") for the board, \(sample?.name ?? "an agent") for the desk, with the tokens above)")
        }
        fflush(nil)
    }
}

/// `DatabaseOptions` for `demo`: the same flags, with the demo's own default data dir in
/// `--help` (./.leadline-demo, not ./.leadline).
struct DemoDatabaseOptions: ParsableArguments {
    static let defaultDataDir = ".leadline-demo"

    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL or conninfo (default: $DATABASE_URL; without either, an embedded cluster in --data-dir).")
    var databaseURL: String?

    @Option(name: .customLong("data-dir"),
            help: "Directory of the embedded PostgreSQL cluster (default: $LEADLINE_DATA_DIR or ./\(defaultDataDir)).")
    var dataDir: String?

    /// The same choice as `DatabaseOptions` (which `demo` then defaults to ./.leadline-demo).
    func options() throws -> DatabaseOptions {
        var arguments: [String] = []
        if let databaseURL { arguments.append("--database-url=\(databaseURL)") }
        if let dataDir { arguments.append("--data-dir=\(dataDir)") }
        return try DatabaseOptions.parse(arguments)
    }
}

/// An agent of the demo floor with its token, as printed at start.
struct DemoAgent {
    let name: String
    let team: String
    let role: String
    let token: String
}
