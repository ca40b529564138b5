import Foundation
import NIOPosix
import Postgres
import Synchronization

/// How the harness runs `leadline serve`.
public struct ServeSettings: Sendable {
    public var instances = 1
    public var poolSize = 8
    public var basePort = 17878
    /// Extra flags for every instance (e.g. `--claim-batch 0`).
    public var extra: [String] = []
    public var logDirectory = "/tmp/leadline-bench"

    public init() {}
}

/// One floor run's figures, with the server's CPU and memory and the check.
public struct FloorResult: Sendable {
    public var agents: Int
    public var load: LoadSummary
    /// CPU of all server instances over the window, in cores.
    public var serverCores: Double
    /// RSS of all instances at the end of the window, and their peak, bytes.
    public var serverRSS: Int
    public var serverPeakRSS: Int
    public var check: BenchDatabase.Check
    /// The window in reporting intervals (`BenchRuns.reportEvery`; empty without).
    public var intervals: [IntervalFigures] = []
    /// The think time the agents used (nil: closed loop).
    public var think: ThinkTime?

    /// One `floor …` result line.
    public var line: String {
        (think.map { "think=\($0) " } ?? "") + String(format: "floor agents=%d cycles=%d rate=%.0f/s first10=%.0f/s last10=%.0f/s claim %@ first10_claim_p99=%.2fms last10_claim_p99=%.2fms cycle_p99=%.2fms %@ errors=%@ expected=%@ server_cpu=%.2f_cores server_rss=%.1fMB peak_rss=%.1fMB outcomes=%@ %@",
               agents, load.cycles, load.rate, load.firstRate, load.lastRate, load.claims.text, load.firstClaims.p99, load.lastClaims.p99,
               load.cycleLatency.p99, load.endsText, LoadSummary.describe(load.errors), LoadSummary.describe(load.expected), serverCores,
               Double(serverRSS) / 1_048_576, Double(serverPeakRSS) / 1_048_576, LoadSummary.describe(load.outcomes), check.description)
    }
}

/// The runs behind `leadline bench floor|pgbench|compare`.
public struct BenchRuns: Sendable {
    public let database: BenchDatabase
    public var serve: ServeSettings
    public let seconds: Int
    public let fresh: Bool
    public let mix: CallMix
    /// The agents' pause between calls (nil: closed loop).
    public var think: ThinkTime?
    /// Report cycles/s and claim latency every this many seconds of a floor run (nil: only
    /// at the end), to `report`.
    public var reportEvery: Int?
    public var report: (@Sendable (IntervalFigures) -> Void)?

    public init(database: BenchDatabase, serve: ServeSettings, seconds: Int, fresh: Bool, mix: CallMix = CallMix()) {
        self.database = database
        self.serve = serve
        self.seconds = seconds
        self.fresh = fresh
        self.mix = mix
    }

    /// The run database: a fresh copy of the seeded one, or the seeded one itself.
    func runDatabase() throws -> String {
        try database.settle()
        return fresh ? try database.freshCopy(named: "leadline_bench_run") : database.conninfo
    }

    /// N agents over the real protocol against `serve.instances` servers.
    public func floor(agents count: Int) async throws -> FloorResult {
        let conninfo = try runDatabase()
        let (agents, since, leads) = try Self.prepare(conninfo: conninfo, agents: count)
        try FileManager.default.createDirectory(atPath: serve.logDirectory, withIntermediateDirectories: true)
        var servers: [ServeInstance] = []
        do {
            for i in 0..<serve.instances {
                servers.append(try await ServeInstance.start(
                    executable: currentExecutable(), conninfo: conninfo, port: serve.basePort + i, poolSize: serve.poolSize,
                    extra: serve.extra, logPath: "\(serve.logDirectory)/serve-\(i).log"))
            }
        } catch {
            for s in servers { await s.stop() }
            throw error
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let load = FloorLoad(agents: agents, ports: servers.map(\.port), seconds: seconds, mix: mix, think: think)
        let samples = Mutex<[(at: UInt64, cpu: Double, rss: Int, peak: Int)]>([])
        let sampler = Task {
            while !Task.isCancelled {
                var cpu = 0.0, rss = 0, peak = 0
                for s in servers {
                    if let p = s.sample { cpu += p.cpuSeconds; rss += p.rss; peak += p.peakRSS }
                }
                let now = monotonicNanos()
                samples.withLock { $0.append((now, cpu, rss, peak)) }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
        let summary: LoadSummary
        do {
            summary = try await load.run(group: group, reportEvery: reportEvery, report: report)
        } catch {
            sampler.cancel()
            for s in servers { await s.stop() }
            try? await group.shutdownGracefully()
            throw error
        }
        sampler.cancel()
        for s in servers { await s.stop() }
        try? await group.shutdownGracefully()
        // CPU over the window: samples nearest the window's start and end.
        let all = samples.withLock { $0 }
        let begin = load.recorder.beganAt
        let end = begin + UInt64(seconds) * 1_000_000_000
        let a = all.min { abs(Int64(bitPattern: $0.at &- begin)) < abs(Int64(bitPattern: $1.at &- begin)) }
        let b = all.min { abs(Int64(bitPattern: $0.at &- end)) < abs(Int64(bitPattern: $1.at &- end)) }
        var cores = 0.0
        if let a, let b, b.at > a.at { cores = (b.cpu - a.cpu) / (Double(b.at - a.at) / 1e9) }
        let check = try Self.check(conninfo: conninfo, since: since, leads: leads)
        return FloorResult(agents: count, load: summary, serverCores: cores, serverRSS: b?.rss ?? 0, serverPeakRSS: all.map(\.peak).max() ?? 0,
                           check: check, intervals: reportEvery.map { load.recorder.intervals(every: $0) } ?? [], think: think)
    }

    /// pgbench with `clients` clients on the same data and server.
    public func pgbench(clients: Int) async throws -> (PgbenchResult, BenchDatabase.Check) {
        let conninfo = try runDatabase()
        let (agents, since, leads) = try Self.prepare(conninfo: conninfo, agents: clients)
        let runner = PgbenchRunner(pgbench: PgbenchRunner.locate(), conninfo: conninfo, workDirectory: serve.logDirectory)
        let result = try await runner.run(clients: clients, seconds: seconds, agentBase: agents[0].id, mix: mix)
        let check = try Self.check(conninfo: conninfo, since: since, leads: leads)
        return (result, check)
    }

    static func prepare(conninfo: String, agents count: Int) throws -> ([BenchAgent], Int64, Int) {
        let c = try PostgresConnection(conninfo: conninfo)
        defer { c.close() }
        let agents = try BenchDatabase.prepareAgents(c, count: count)
        try BenchDatabase.releaseHeld(c)
        try c.query("CHECKPOINT")
        return (agents, try BenchDatabase.lastEventID(c), try BenchDatabase.leadCount(c))
    }

    static func check(conninfo: String, since: Int64, leads: Int) throws -> BenchDatabase.Check {
        let c = try PostgresConnection(conninfo: conninfo)
        defer { c.close() }
        return try BenchDatabase.check(c, sinceEvent: since, leadCount: leads)
    }
}

extension LoadRecorder {
    /// When the window began (monotonic ns), 0 before.
    public var beganAt: UInt64 { startNanosValue }
}
