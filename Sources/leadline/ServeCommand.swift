import ArgumentParser
import Foundation
import LeadConsole
import LeadServer
import Logging
import ServiceLifecycle

/// The settings of `serve` and `demo` as flags, plus `--config FILE`. Each flag overrides
/// its `LEADLINE_*` environment variable, which overrides the file, which overrides the
/// default shown in `--help`.
struct ServerOptions: ParsableArguments {
    @Option(name: .customLong("config"), help: "A file of `key = value` lines (keys as below, with _; see deploy/leadline.conf).")
    var configFile: String?

    @Option(help: Self.help("host")) var host: String?
    @Option(help: Self.help("port")) var port: String?
    @Option(name: .customLong("metrics-host"), help: Self.help("metrics_host")) var metricsHost: String?
    // Unconditional: the value may be -1 (`--metrics-port -1`), which would otherwise read as a flag.
    @Option(name: .customLong("metrics-port"), parsing: .unconditional, help: Self.help("metrics_port")) var metricsPort: String?
    @Option(name: .customLong("console-host"), help: Self.help("console_host")) var consoleHost: String?
    @Option(name: .customLong("console-port"), parsing: .unconditional, help: Self.help("console_port")) var consolePort: String?
    @Option(name: .customLong("console-session-minutes"), help: Self.help("console_session_minutes")) var consoleSessionMinutes: String?
    @Option(name: .customLong("max-connections"), help: Self.help("max_connections")) var maxConnections: String?
    @Option(name: .customLong("idle-timeout"), help: Self.help("idle_timeout")) var idleTimeout: String?
    @Option(name: .customLong("auth-timeout"), help: Self.help("auth_timeout")) var authTimeout: String?
    @Option(name: .customLong("max-unauthenticated-per-address"), help: Self.help("max_unauthenticated_per_address"))
    var maxUnauthenticatedPerAddress: String?
    @Option(name: .customLong("reply-timeout"), help: Self.help("reply_timeout")) var replyTimeout: String?
    @Option(name: .customLong("login-check-interval"), help: Self.help("login_check_interval")) var loginCheckInterval: String?
    @Option(name: .customLong("max-line-length"), help: Self.help("max_line_length")) var maxLineLength: String?
    @Option(name: .customLong("pipeline-depth"), help: Self.help("pipeline_depth")) var pipelineDepth: String?
    @Option(name: .customLong("pool-size"), help: Self.help("pool_size")) var poolSize: String?
    @Option(name: .customLong("pool-timeout"), help: Self.help("pool_timeout")) var poolTimeout: String?
    @Option(name: .customLong("query-timeout"), help: Self.help("query_timeout")) var queryTimeout: String?
    @Option(name: .customLong("claim-batch"), help: Self.help("claim_batch")) var claimBatch: String?
    @Option(name: .customLong("claim-concurrency"), help: Self.help("claim_concurrency")) var claimConcurrency: String?
    @Option(name: .customLong("dispose-batch"), help: Self.help("dispose_batch")) var disposeBatch: String?
    @Option(name: .customLong("max-claim-wait"), help: Self.help("max_claim_wait")) var maxClaimWait: String?
    @Option(name: .customLong("claim-poll"), help: Self.help("claim_poll")) var claimPoll: String?
    @Option(name: .customLong("tick-interval"), help: Self.help("tick_interval")) var tickInterval: String?
    @Option(name: .customLong("bi-refresh-interval"), help: Self.help("bi_refresh_interval")) var biRefreshInterval: String?
    @Option(name: .customLong("signal-boost"), help: Self.help("signal_boost")) var signalBoost: String?
    @Option(name: .customLong("shutdown-grace"), help: Self.help("shutdown_grace")) var shutdownGrace: String?
    @Option(name: .customLong("auth-free-failures"), help: Self.help("auth_free_failures")) var authFreeFailures: String?
    @Option(name: .customLong("auth-max-delay"), help: Self.help("auth_max_delay")) var authMaxDelay: String?
    @Option(name: .customLong("log-level"), help: Self.help("log_level")) var logLevel: String?
    @Option(name: .customLong("tls-cert"), help: Self.help("tls_cert")) var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: Self.help("tls_key")) var tlsKey: String?

    /// `--help` text: the meaning, the default, and the environment variable.
    static func help(_ name: String) -> ArgumentHelp {
        guard let key = ServerConfig.key(name) else { return ArgumentHelp("") }
        let fallback = ServerConfig().value(of: key)
        let meaning = key.help.hasSuffix(".") ? String(key.help.dropLast()) : key.help
        return ArgumentHelp("\(meaning) (default \(fallback); env \(key.environment)).", valueName: "value")
    }

    private var given: [String: String?] {
        [
            "host": host, "port": port, "metrics_host": metricsHost, "metrics_port": metricsPort,
            "console_host": consoleHost, "console_port": consolePort, "console_session_minutes": consoleSessionMinutes,
            "max_connections": maxConnections, "idle_timeout": idleTimeout, "auth_timeout": authTimeout,
            "max_unauthenticated_per_address": maxUnauthenticatedPerAddress, "reply_timeout": replyTimeout,
            "login_check_interval": loginCheckInterval, "max_line_length": maxLineLength,
            "pipeline_depth": pipelineDepth, "pool_size": poolSize, "pool_timeout": poolTimeout, "query_timeout": queryTimeout,
            "claim_batch": claimBatch, "claim_concurrency": claimConcurrency, "dispose_batch": disposeBatch,
            "max_claim_wait": maxClaimWait, "claim_poll": claimPoll, "tick_interval": tickInterval, "bi_refresh_interval": biRefreshInterval,
            "signal_boost": signalBoost, "shutdown_grace": shutdownGrace, "auth_free_failures": authFreeFailures, "auth_max_delay": authMaxDelay,
            "log_level": logLevel, "tls_cert": tlsCert, "tls_key": tlsKey,
        ]
    }

    /// The effective settings, and the file's `database_url`/`data_dir` if it gave them.
    func resolve() throws -> (ServerConfig, extras: [String: String]) {
        var text: String?
        if let configFile {
            do {
                text = try String(contentsOfFile: configFile, encoding: .utf8)
            } catch {
                throw ValidationError("--config \(configFile): cannot read the file (\(error.localizedDescription))")
            }
        }
        do {
            let flags = given.compactMapValues { $0 }
            let (config, extras) = try ServerConfig.resolve(flags: flags, environment: ProcessInfo.processInfo.environment,
                                                            fileText: text, fileName: configFile ?? "config")
            guard Logger.Level(rawValue: config.logLevel) != nil else {
                throw ValidationError("log_level: expected trace, debug, info, notice, warning, error or critical")
            }
            return (config, extras)
        } catch let invalid as ServerConfig.Invalid {
            throw ValidationError(invalid.description)
        }
    }
}

extension DatabaseOptions {
    /// The database options with the config file's `database_url`/`data_dir` filled in
    /// where neither a flag nor the environment gave one.
    func applying(_ extras: [String: String]) -> DatabaseOptions {
        var copy = self
        if copy.resolvedURL == nil, let url = extras["database_url"], !url.isEmpty { copy.databaseURL = url }
        if copy.dataDir == nil, ProcessInfo.processInfo.environment["LEADLINE_DATA_DIR"] == nil, let dir = extras["data_dir"] {
            copy.dataDir = dir
        }
        return copy
    }
}

/// Logs to stderr, structured as `key=value` metadata, at the configured level (once per process).
func bootstrapServerLogging(level: String) -> Logger {
    let parsed = Logger.Level(rawValue: level) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = parsed
        return handler
    }
    var logger = Logger(label: "leadline")
    logger.logLevel = parsed
    return logger
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the lead-assignment server (line protocol on TCP, Prometheus metrics over HTTP).",
        discussion: """
            Settings come from flags, then LEADLINE_* environment variables, then --config FILE \
            (`key = value` lines; the file may also set database_url and data_dir), then the defaults \
            below. Without --database-url (or DATABASE_URL) the embedded PostgreSQL cluster in --data-dir \
            is started (and stopped again on exit). SIGTERM or SIGINT shut down gracefully: no new \
            connections, in-flight requests finish, waiting CLAIMs get SHUTTING_DOWN.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let (config, extras) = try server.resolve()
        let logger = bootstrapServerLogging(level: config.logLevel)
        try await database.applying(extras).withDatabase(logger: logger) { conninfo in
            let server = LeadServer(config: config, conninfo: conninfo, logger: logger)
            var services: [any Service] = [server]
            if let console = FloorConsole.configured(config, server: server, conninfo: conninfo, logger: logger) {
                services.append(console)
            }
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint],
                                                          logger: logger))
            try await group.run()
        }
    }
}
