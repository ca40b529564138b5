import Foundation

/// Every setting of `leadline serve`, with the documented defaults.
///
/// A setting comes from, in order of precedence: a command-line flag, the environment
/// (`LEADLINE_<KEY>` in upper case, e.g. `LEADLINE_MAX_CONNECTIONS`), a config file
/// (`--config FILE`, `key = value` lines), then the default below. The same key names
/// (`max_connections`) are used in the file, and as flags with dashes (`--max-connections`).
public struct ServerConfig: Sendable, Equatable {
    /// Address the protocol listener binds to.
    public var host = "127.0.0.1"
    /// TCP port of the line protocol (0 = any free port, for tests).
    public var port = 7878
    /// Address the Prometheus endpoint binds to.
    public var metricsHost = "127.0.0.1"
    /// HTTP port of `GET /metrics` (0 = any free port; -1 = no metrics endpoint).
    public var metricsPort = 9464
    /// Address the floor console (the web board and agent desk) binds to.
    public var consoleHost = "127.0.0.1"
    /// HTTP port of the floor console (0 = any free port; -1 = no console, the default).
    public var consolePort = -1
    /// Minutes a console login lasts without a request (on the server's clock).
    public var consoleSessionMinutes = 30
    /// Connections beyond this get `ERR TOO_MANY_CONNECTIONS` and are closed.
    public var maxConnections = 1024
    /// Seconds without a request after which a connection is closed (0 = never). A
    /// connection with a waiting CLAIM or unanswered requests is not idle.
    public var idleTimeout = 300.0
    /// Seconds a new connection may stay without a successful AUTH before it is sent
    /// `ERR NOAUTH` and closed (0 = no deadline). Also counts from a login that ended
    /// because the agent was disabled or its token changed.
    public var authTimeout = 10.0
    /// Connections from one IP address that have not yet authenticated, at most; more get
    /// `ERR TOO_MANY_CONNECTIONS` (0 = no cap). Logged-in connections do not count, so a
    /// floor behind one NAT address is not capped.
    public var maxUnauthenticatedPerAddress = 128
    /// Seconds a reply may wait for the client to read earlier ones (the OS buffers are
    /// full) before the connection is closed (0 = wait forever).
    public var replyTimeout = 30.0
    /// Seconds between checks that every logged-in session's agent is still enabled with
    /// the same token (NOTIFY ends such sessions at once; this covers a lost notification).
    public var loginCheckInterval = 30.0
    /// Longest request line in bytes; longer is `LINE_TOO_LONG` and the connection closes.
    public var maxLineLength = 8192
    /// Requests read but not yet answered per connection; past it the server stops reading.
    public var pipelineDepth = 32
    /// Database connections in the pool (the database concurrency of this instance).
    public var poolSize = 8
    /// Seconds a request waits for a free database connection before `UNAVAILABLE`.
    public var poolTimeout = 5.0
    /// Seconds one database statement may wait for its reply before the request gets
    /// `UNAVAILABLE` and the connection is dropped (0 = no limit). Enforced by the client
    /// (a frozen or unreachable server cannot hold a request), and 80 % of it is the
    /// session's `statement_timeout` (a slow server cancels the statement itself). 3 s is
    /// about 20 times the claim p99 at 256 agents (163 ms) and well above a checkpoint's
    /// stall, yet short next to an agent's patience. The BI refresh has its own 10-minute limit.
    public var queryTimeout = 3.0
    /// Most concurrent CLAIMs of one team coalesced into one claim statement (1 = each
    /// CLAIM runs the single-claim statement on its own).
    public var claimBatch = 64
    /// Claim statements running at once; CLAIMs arriving meanwhile wait for the next batch.
    public var claimConcurrency = 2
    /// Most concurrent DISPOSEs (without idem=) written in one pipelined transaction (1 = each alone).
    public var disposeBatch = 64
    /// Largest `CLAIM wait=` accepted, in seconds.
    public var maxClaimWait = 300
    /// Seconds between the fallback polls of a waiting CLAIM (jittered ±25 %).
    public var claimPoll = 2.0
    /// Seconds between background passes (lease reaper, callback promoter, reservation
    /// expiry, SLA watcher).
    public var tickInterval = 0.3
    /// Seconds between BI rollup refreshes (0 = this instance never refreshes: with several
    /// instances, one refreshing is enough, and another skips while one runs).
    public var biRefreshInterval = 60.0
    /// Seconds a SIGNAL (online, price_recheck, payment_failed) keeps a lead ahead of its tier.
    public var signalBoost = 1800.0
    /// Seconds to let connections finish their in-flight requests on shutdown.
    public var shutdownGrace = 10.0
    /// Failed AUTHs from one address answered at full speed; later ones are delayed.
    public var authFreeFailures = 3
    /// Longest AUTH delay in seconds after repeated failures from one address.
    public var authMaxDelay = 4.0
    /// swift-log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel = "info"
    /// PEM certificate chain for TLS on the protocol port ("" = plain TCP); needs `tlsKey`.
    public var tlsCert = ""
    /// PEM private key of `tlsCert`.
    public var tlsKey = ""

    public init() {}

    /// One setting: its key, what it means, and how to read it.
    public struct Key: Sendable {
        public let name: String
        public let help: String
        let apply: @Sendable (inout ServerConfig, String) -> Bool
        let current: @Sendable (ServerConfig) -> String

        /// The flag spelling, `--max-connections`.
        public var flag: String { "--" + name.replacingOccurrences(of: "_", with: "-") }
        /// The environment spelling, `LEADLINE_MAX_CONNECTIONS`.
        public var environment: String { "LEADLINE_" + name.uppercased() }
    }

    /// Every key, in the order `serve --help` and the example config list them.
    public static let keys: [Key] = [
        text("host", "Address to listen on.", \.host),
        int("port", "TCP port of the line protocol.", \.port, 0...65535),
        text("metrics_host", "Address of the Prometheus endpoint.", \.metricsHost),
        metricsPortKey,
        text("console_host", "Address of the floor console (web board and agent desk).", \.consoleHost),
        consolePortKey,
        int("console_session_minutes", "Minutes a console login lasts without a request.", \.consoleSessionMinutes, 1...1440),
        int("max_connections", "Most open protocol connections; more get TOO_MANY_CONNECTIONS.", \.maxConnections, 1...1_000_000),
        seconds("idle_timeout", "Close a connection idle this many seconds (0 = never).", \.idleTimeout),
        seconds("auth_timeout", "Seconds a connection may stay without AUTH before it is closed (0 = no deadline).", \.authTimeout),
        int("max_unauthenticated_per_address", "Connections per IP address not yet logged in; more get TOO_MANY_CONNECTIONS (0 = no cap).",
            \.maxUnauthenticatedPerAddress, 0...1_000_000),
        seconds("reply_timeout", "Seconds a reply may wait for the client to read; then the connection closes (0 = forever).", \.replyTimeout),
        seconds("login_check_interval", "Seconds between re-checks that logged-in agents are enabled with the same token.", \.loginCheckInterval),
        int("max_line_length", "Longest request line in bytes (LINE_TOO_LONG beyond).", \.maxLineLength, 64...16_777_216),
        int("pipeline_depth", "Unanswered requests per connection before the server stops reading.", \.pipelineDepth, 1...10_000),
        int("pool_size", "Database connections in the pool.", \.poolSize, 1...500),
        seconds("pool_timeout", "Seconds to wait for a database connection (free or new), then UNAVAILABLE.", \.poolTimeout),
        seconds("query_timeout", "Seconds a database statement may wait for its reply, then UNAVAILABLE and the connection is dropped (0 = no limit).", \.queryTimeout),
        int("claim_batch", "Most concurrent CLAIMs coalesced into one claim statement (1 = no batching).", \.claimBatch, 1...64),
        int("claim_concurrency", "Claim statements running at once (the others wait and batch).", \.claimConcurrency, 1...64),
        int("dispose_batch", "Most concurrent DISPOSEs written in one pipelined transaction (1 = no batching).", \.disposeBatch, 1...256),
        int("max_claim_wait", "Largest CLAIM wait= in seconds.", \.maxClaimWait, 0...3600),
        seconds("claim_poll", "Fallback poll of a waiting CLAIM, seconds (jittered).", \.claimPoll),
        seconds("tick_interval", "Seconds between background passes (reaper, promoter, SLA watcher).", \.tickInterval),
        seconds("bi_refresh_interval", "Seconds between BI rollup refreshes (0 = this instance never refreshes them).", \.biRefreshInterval),
        seconds("signal_boost", "Seconds a SIGNAL keeps a lead ahead of its tier (default 30 minutes).", \.signalBoost),
        seconds("shutdown_grace", "Seconds to finish in-flight requests on SIGTERM.", \.shutdownGrace),
        int("auth_free_failures", "Failed AUTHs per address before replies slow down.", \.authFreeFailures, 0...1000),
        seconds("auth_max_delay", "Longest AUTH delay after repeated failures, seconds.", \.authMaxDelay),
        text("log_level", "trace, debug, info, notice, warning, error or critical.", \.logLevel),
        path("tls_cert", "PEM certificate (chain) file: the protocol port speaks TLS (needs tls_key; none = plain TCP).", \.tlsCert),
        path("tls_key", "PEM private key file of tls_cert.", \.tlsKey),
    ]

    /// The key named `name` (`max_connections` or `max-connections`).
    public static func key(_ name: String) -> Key? {
        let normal = name.replacingOccurrences(of: "-", with: "_").lowercased()
        return keys.first { $0.name == normal }
    }

    /// Why a configuration could not be read.
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// Sets one key from text.
    public mutating func set(_ name: String, _ value: String, source: String) throws(Invalid) {
        guard let key = Self.key(name) else { throw Invalid("\(source): unknown setting \(name)") }
        guard key.apply(&self, value.trimmingCharacters(in: .whitespaces)) else {
            throw Invalid("\(source): invalid value for \(key.name): \(value)")
        }
    }

    /// The value of a key as text (for the startup log and the example config).
    public func value(of key: Key) -> String { key.current(self) }

    /// Builds the configuration: defaults, then the file, then the environment, then flags.
    /// - Parameters:
    ///   - flags: flag values by key name (only the flags given).
    ///   - environment: the process environment.
    ///   - fileText: the config file's contents, if one was given.
    ///   - fileName: for error messages.
    /// - Returns: the configuration and any `database_url`/`data_dir` the file gave.
    public static func resolve(flags: [String: String], environment: [String: String],
                               fileText: String?, fileName: String = "config") throws(Invalid) -> (ServerConfig, extras: [String: String]) {
        var config = ServerConfig()
        var extras: [String: String] = [:]
        if let fileText {
            for (number, rawLine) in fileText.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                var line = Substring(rawLine)
                if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                guard let equals = trimmed.firstIndex(of: "=") else {
                    throw Invalid("\(fileName):\(number + 1): expected key = value")
                }
                let name = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
                var value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                if ["database_url", "data_dir"].contains(name) {
                    extras[name] = value
                    continue
                }
                try config.set(name, value, source: "\(fileName):\(number + 1)")
            }
        }
        for key in keys {
            if let value = environment[key.environment], !value.isEmpty {
                try config.set(key.name, value, source: key.environment)
            }
        }
        for key in keys {
            if let value = flags[key.name] { try config.set(key.name, value, source: key.flag) }
        }
        if config.tlsCert.isEmpty != config.tlsKey.isEmpty {
            throw Invalid("tls_cert and tls_key: give both (TLS) or neither (plain TCP)")
        }
        return (config, extras)
    }

    /// `metrics_port`: a port, or `off` (or -1) for no metrics endpoint.
    private static let metricsPortKey = Key(
        name: "metrics_port",
        help: "HTTP port of GET /metrics (off or -1 disables it: --metrics-port off, --metrics-port=-1).",
        apply: { config, value in
            if value.lowercased() == "off" {
                config.metricsPort = -1
                return true
            }
            guard let n = Int(value), (-1...65535).contains(n) else { return false }
            config.metricsPort = n
            return true
        }, current: { String($0.metricsPort) })

    /// `console_port`: a port, or `off` (or -1) for no console.
    private static let consolePortKey = Key(
        name: "console_port",
        help: "HTTP port of the floor console (off or -1 disables it, the default: --console-port 7880).",
        apply: { config, value in
            if value.lowercased() == "off" {
                config.consolePort = -1
                return true
            }
            guard let n = Int(value), (-1...65535).contains(n) else { return false }
            config.consolePort = n
            return true
        }, current: { String($0.consolePort) })

    private static func text(_ name: String, _ help: String, _ path: WritableKeyPath<ServerConfig, String> & Sendable) -> Key {
        Key(name: name, help: help, apply: { config, value in
            guard !value.isEmpty else { return false }
            config[keyPath: path] = value
            return true
        }, current: { $0[keyPath: path] })
    }

    /// A file path, or `none` (or empty) for none.
    private static func path(_ name: String, _ help: String, _ path: WritableKeyPath<ServerConfig, String> & Sendable) -> Key {
        Key(name: name, help: help, apply: { config, value in
            config[keyPath: path] = value.lowercased() == "none" ? "" : value
            return true
        }, current: { $0[keyPath: path].isEmpty ? "none" : $0[keyPath: path] })
    }

    private static func int(_ name: String, _ help: String, _ path: WritableKeyPath<ServerConfig, Int> & Sendable,
                            _ range: ClosedRange<Int>) -> Key {
        Key(name: name, help: help, apply: { config, value in
            guard let n = Int(value), range.contains(n) else { return false }
            config[keyPath: path] = n
            return true
        }, current: { String($0[keyPath: path]) })
    }

    private static func seconds(_ name: String, _ help: String, _ path: WritableKeyPath<ServerConfig, Double> & Sendable) -> Key {
        Key(name: name, help: help, apply: { config, value in
            guard let n = Double(value), n.isFinite, n >= 0, n <= 86_400 else { return false }
            config[keyPath: path] = n
            return true
        }, current: { config in
            let v = config[keyPath: path]
            return v == v.rounded() ? String(Int(v)) : String(v)
        })
    }
}
