import Foundation
import NIOPosix
import Postgres
import Synchronization

/// One phase of `leadline bench hostile|flood`: the same agents' floor load for a fixed
/// window, against a `leadline serve` of its own (so each phase's RSS starts clean), with
/// or without hostile connections alongside.
public struct HostilePhase: Sendable {
    public enum Kind: String, Sendable {
        /// The agents alone: the run's own baseline.
        case baseline
        /// Hogs that AUTH (as hog agents), then pipeline PING and never read: measures the
        /// pipeline bound and `reply_timeout` themselves.
        case hogsLoggedIn = "hogs-auth"
        /// Hogs that never AUTH: pipeline PING and AUTH-less requests, never read; the
        /// per-address cap and `auth_timeout` apply to them.
        case hogsUnauthenticated = "hogs-noauth"
        /// Idle connections that never AUTH, all from one address.
        case flood
    }

    public var kind: Kind
    public var seconds: Int

    public init(_ kind: Kind, seconds: Int) {
        self.kind = kind
        self.seconds = seconds
    }
}

/// What one phase measured.
public struct HostilePhaseResult: Sendable {
    public var phase: HostilePhase
    /// The agents' figures; nil if they could not all log in (`loginFailure` says why).
    public var load: LoadSummary?
    public var loginFailure: String?
    /// Server RSS at the start of the window, its highest 1-second sample in the window,
    /// and the last one, bytes.
    public var rssStart = 0
    public var rssMax = 0
    public var rssFinal = 0
    /// The most memory the kernel held in TCP socket buffers on this host during the window
    /// (/proc/net/sockstat, both ends of every connection: the hogs' unsent and the
    /// server's unread requests, the server's unsent replies), bytes.
    public var kernelTCPMax = 0
    public var hogs: HogSwarm.Counts?
    /// The server process was still running at the end of the phase.
    public var serverAlive = true

    /// One result line.
    public var line: String {
        var text = "hostile phase=\(phase.kind.rawValue) seconds=\(phase.seconds)"
        if let load {
            text += " agents_logged_in=all"
            text += String(format: " agents_cycles=%.0f/s claim %@ errors=%@", load.rate, load.claims.text, LoadSummary.describe(load.errors))
        } else {
            text += " agents=FAILED(\(loginFailure ?? "?"))"
        }
        text += String(format: " rss_start=%.1fMB rss_max=%.1fMB rss_final=%.1fMB host_tcp_buffers_max=%.1fMB server_alive=%@",
                       Double(rssStart) / 1_048_576, Double(rssMax) / 1_048_576, Double(rssFinal) / 1_048_576,
                       Double(kernelTCPMax) / 1_048_576, serverAlive ? "yes" : "NO")
        if let hogs { text += " hogs: " + hogs.text }
        return text
    }
}

/// `leadline bench hostile|flood`: the phases in order, one database copy for all, then
/// the overlap check over every phase's events.
public struct HostileBench: Sendable {
    public let database: BenchDatabase
    public let serve: ServeSettings
    public let fresh: Bool
    /// Real agents looping CLAIM → DISPOSE/CONVERT (from 127.0.0.2).
    public var agents = 32
    /// Hostile connections per hostile phase (from 127.0.0.1).
    public var hogs = 1000
    public var phases: [HostilePhase] = []
    /// The client-limit flags of `leadline serve` (see `ServeInstance.benchmarkLimits`).
    public var limits: [String] = []

    public init(database: BenchDatabase, serve: ServeSettings, fresh: Bool) {
        self.database = database
        self.serve = serve
        self.fresh = fresh
    }

    /// Runs every phase; returns their results and the check.
    public func run() async throws -> (results: [HostilePhaseResult], check: BenchDatabase.Check) {
        try database.settle()
        let conninfo = fresh ? try database.freshCopy(named: "leadline_bench_run") : database.conninfo
        let (floorAgents, since, leads) = try BenchRuns.prepare(conninfo: conninfo, agents: agents)
        var hogLogins: [BenchAgent] = []
        if phases.contains(where: { $0.kind == .hogsLoggedIn }) {
            let c = try PostgresConnection(conninfo: conninfo)
            defer { c.close() }
            hogLogins = try BenchDatabase.prepareAgents(c, count: min(hogs, 100), prefix: "hog")
        }
        try FileManager.default.createDirectory(atPath: serve.logDirectory, withIntermediateDirectories: true)
        var results: [HostilePhaseResult] = []
        for phase in phases {
            BenchLog.say("phase \(phase.kind.rawValue): \(phase.seconds) s …")
            let result = try await run(phase, conninfo: conninfo, agents: floorAgents, hogLogins: hogLogins)
            BenchLog.say(result.line)
            results.append(result)
        }
        let c = try PostgresConnection(conninfo: conninfo)
        defer { c.close() }
        let check = try BenchDatabase.check(c, sinceEvent: since, leadCount: leads)
        return (results, check)
    }

    private func run(_ phase: HostilePhase, conninfo: String, agents floorAgents: [BenchAgent],
                     hogLogins: [BenchAgent]) async throws -> HostilePhaseResult {
        let server = try await ServeInstance.start(
            executable: currentExecutable(), conninfo: conninfo, port: serve.basePort, poolSize: serve.poolSize,
            extra: serve.extra, limits: limits, logPath: "\(serve.logDirectory)/serve-\(phase.kind.rawValue).log")
        var swarm: HogSwarm?
        if phase.kind != .baseline {
            var settings = HogSwarm.Settings(port: server.port, count: hogs)
            switch phase.kind {
            case .hogsLoggedIn: settings.logins = hogLogins
            case .hogsUnauthenticated: settings.burst = "PING\nCLAIM\nMINE\n#x LEAD SHOW lead=1\n"
            case .flood: settings.behaviour = .idle
            case .baseline: break
            }
            swarm = HogSwarm(settings)
        }
        let samples = Mutex<[(at: UInt64, rss: Int, tcp: Int)]>([])
        let sampler = Task {
            while !Task.isCancelled {
                if let s = server.sample { samples.withLock { $0.append((s.at, s.rss, Self.kernelTCPMemory())) } }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        var result = HostilePhaseResult(phase: phase)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let load = FloorLoad(agents: floorAgents, source: "127.0.0.2", ports: [server.port], seconds: phase.seconds)
        do {
            if let swarm {
                swarm.start()
                // Every hog has had its first try (admitted, refused or failed), then a moment to fill its buffers.
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline {
                    let c = swarm.current
                    if c.admitted + c.refused + c.failedConnects >= hogs { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await Task.sleep(for: .seconds(2))
            }
            do {
                result.load = try await load.run(group: group)
            } catch {
                result.loginFailure = "\(error)"
            }
            result.hogs = await swarm?.stop()
        } catch {
            sampler.cancel()
            _ = await swarm?.stop()
            await server.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        sampler.cancel()
        result.serverAlive = !server.process.hasExited
        await server.stop()
        try? await group.shutdownGracefully()
        if result.load == nil {
            // Agents that never started their window may hold nothing; those that did are let go.
            let c = try PostgresConnection(conninfo: conninfo)
            defer { c.close() }
            try BenchDatabase.releaseHeld(c)
        }
        let begin = load.recorder.beganAt
        let end = begin + UInt64(phase.seconds) * 1_000_000_000
        let all = samples.withLock { $0 }
        let window = begin > 0 ? all.filter { $0.at >= begin && $0.at <= end } : all
        result.rssStart = window.first?.rss ?? 0
        result.rssMax = window.map(\.rss).max() ?? 0
        result.rssFinal = window.last?.rss ?? 0
        result.kernelTCPMax = window.map(\.tcp).max() ?? 0
        return result
    }

    /// Memory in TCP socket buffers on this host now: the `mem` pages of /proc/net/sockstat.
    static func kernelTCPMemory() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/net/sockstat", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("TCP:") {
            let words = line.split(separator: " ")
            if let i = words.firstIndex(of: "mem"), i + 1 < words.count, let pages = Int(words[i + 1]) {
                return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
            }
        }
        return 0
    }

    /// The side-by-side table: each phase against the baseline (the first baseline phase).
    public static func table(_ results: [HostilePhaseResult]) -> [String] {
        let base = results.first { $0.phase.kind == .baseline }
        func ratio(_ a: Double, _ b: Double?) -> String {
            guard let b, b > 0 else { return "–" }
            return String(format: "%.2f", a / b)
        }
        var rows = [
            "| phase | s | agents' cycles/s | claim p50 / p99 / p99.9 ms | p99 ÷ baseline | errors | server RSS max MB (start → final) | RSS max ÷ baseline | host TCP buffers max MB | hostile connections |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in results {
            let claims = r.load.map { String(format: "%.2f / %.2f / %.2f", $0.claims.p50, $0.claims.p99, $0.claims.p999) } ?? "agents failed"
            let p99 = r.load.map { ratio($0.claims.p99, base?.load?.claims.p99) } ?? "–"
            let rate = r.load.map { String(format: "%.0f", $0.rate) } ?? "–"
            let errors = r.load.map { LoadSummary.describe($0.errors) } ?? (r.loginFailure ?? "–")
            let rss = String(format: "%.1f (%.1f → %.1f)", Double(r.rssMax) / 1_048_576, Double(r.rssStart) / 1_048_576, Double(r.rssFinal) / 1_048_576)
            let hogs = r.hogs.map { "admitted \($0.admitted), refused \($0.refused), closed by server \($0.closedByServer) (lived \($0.lifetimeText)), most in at once \($0.mostIn)" } ?? "–"
            rows.append("| \(r.phase.kind.rawValue) | \(r.phase.seconds) | \(rate) | \(claims) | \(p99) | \(errors) | \(rss) | \(ratio(Double(r.rssMax), base.map { Double($0.rssMax) })) | \(String(format: "%.0f", Double(r.kernelTCPMax) / 1_048_576)) | \(hogs) |")
        }
        return rows
    }
}
