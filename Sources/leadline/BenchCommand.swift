import ArgumentParser
import Foundation
import LeadBench
import LeadClient
import LeadServer
import NIOPosix
import Postgres

/// `leadline bench …`: the load generator and its baselines (BENCHMARKS.md has the figures).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: the sales-floor load over the protocol, pgbench on the same SQL, wake-ups, idle connections, hostile clients, a protocol fuzz.",
        discussion: """
            Run against a seeded database (`leadline seed --leads 1000000`); scripts/bench.sh sets one up and
            runs everything. Each run copies the seeded database (CREATE DATABASE … TEMPLATE) so every run
            starts from the same data, and starts its own `leadline serve` (this binary) on 127.0.0.1.
            The database must be given as a libpq keyword conninfo (host=… dbname=…), or --data-dir.
            """,
        subcommands: [BenchFloor.self, BenchSoak.self, BenchPgbench.self, BenchCompare.self, BenchWakeup.self, BenchIdle.self,
                      BenchHostile.self, BenchFlood.self, BenchFuzz.self])
}

/// Options every bench command shares.
struct BenchOptions: ParsableArguments {
    @Option(name: .customLong("seconds"), help: "Seconds of each measured run (default 60; soak: 600).") var secondsOption: Int?
    /// The window of each run: --seconds, or 60.
    var seconds: Int { secondsOption ?? 60 }
    @Option(help: "leadline serve instances sharing the database (agents are spread round-robin).") var instances = 1
    @Option(name: .customLong("pool-size"), help: "Database pool of each leadline serve instance.") var poolSize = 8
    @Option(name: .customLong("base-port"), help: "Port of the first leadline serve instance.") var basePort = 17878
    @Option(name: .customLong("serve-arg"), parsing: .singleValue, help: "An extra flag for leadline serve (repeatable).")
    var serveArgs: [String] = []
    @Option(name: .customLong("log-dir"), help: "Server logs, pgbench scripts and logs.") var logDir = "/tmp/leadline-bench"
    @Flag(name: .customLong("no-fresh"), help: "Run on the seeded database itself instead of a fresh copy per run.")
    var noFresh = false

    func runs(_ conninfo: String, seconds: Int? = nil) -> BenchRuns {
        var serve = ServeSettings()
        serve.instances = instances
        serve.poolSize = poolSize
        serve.basePort = basePort
        serve.extra = serveArgs
        serve.logDirectory = logDir
        return BenchRuns(database: BenchDatabase(conninfo: conninfo), serve: serve, seconds: seconds ?? self.seconds, fresh: !noFresh)
    }
}

/// Parses `1,8,64`.
func counts(_ text: String) throws -> [Int] {
    let values = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ $0 > 0 }) else { throw ValidationError("expected a list of positive counts, like 1,8,64") }
    return values
}

struct BenchFloor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "floor",
        abstract: "N agent connections loop CLAIM → DISPOSE/CONVERT over the protocol; cycles/s, claim latency, server CPU/RSS, overlap check.",
        discussion: """
            Without --think the agents claim again as soon as a call is answered (a closed loop at saturation). \
            With --think MIN-MAX each agent waits a random time, uniform in MIN–MAX seconds, after each call before \
            its next CLAIM (a realistic floor: --think 30-300 --agents 10000), and makes its first CLAIM at a random \
            time in the window's first MAX seconds; the waits are event-loop timers (one client thread for all \
            agents). In that mode leadline serve runs with --max-connections (agents + 1000), --idle-timeout \
            (MAX + 60 s) and --max-unauthenticated-per-address 0, before any --serve-arg.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var bench: BenchOptions
    @Option(help: "Agent counts to run, one run each (e.g. 1,8,64,256,1000).") var agents = "256"
    @Option(help: ArgumentHelp("Think time: seconds each agent waits between a call and its next CLAIM, uniform in MIN-MAX (e.g. 30-300).",
                               valueName: "MIN-MAX"))
    var think: String?
    @Option(name: .customLong("report-every"), help: "Print cycles/s and claim latency every this many seconds of the window.")
    var reportEvery: Int?

    func validate() throws {
        if let think { do { _ = try ThinkTime(parsing: think) } catch { throw ValidationError("\(error)") } }
        if let reportEvery, reportEvery <= 0 { throw ValidationError("--report-every must be a positive number of seconds") }
    }

    func run() async throws {
        raiseOpenFileLimit()
        let list = try counts(agents)
        let pause = try think.map(ThinkTime.init(parsing:))
        let every = reportEvery
        let failed = try await database.withDatabase(logger: commandLogger("leadline.bench")) { conninfo in
            var failed = false
            for n in list {
                var runs = bench.runs(conninfo)
                if let pause {
                    runs.think = pause
                    runs.serve.extra = thinkServeArgs(agents: n, think: pause) + runs.serve.extra
                }
                runs.reportEvery = every
                runs.report = { BenchLog.say("agents=\(n) " + $0.line) }
                let result = try await runs.floor(agents: n)
                BenchLog.say(result.line)
                if !result.check.passed { failed = true }
            }
            return failed
        }
        if failed { throw CommandFailure("the correctness check failed") }
    }
}

/// leadline serve's client limits for a think-time floor: every agent gets a connection,
/// none is closed as idle during its pause, and the agents (all from 127.0.0.1) may all be
/// logging in at once.
func thinkServeArgs(agents: Int, think: ThinkTime) -> [String] {
    ["--max-connections", String(agents + 1000), "--idle-timeout", String(Int(think.max.rounded(.up)) + 60),
     "--max-unauthenticated-per-address", "0"]
}

struct BenchSoak: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "A long closed-loop floor run (default 256 agents, 600 s): cycles/s and claim latency per minute; fails on decay or a failed check.",
        discussion: """
            The same run as `bench floor` (one leadline serve, a fresh copy of the seeded database), reported every \
            --report-every seconds (default 60). Exits non-zero if the last full interval's cycles/s is more than \
            --max-drop percent (default 10) below the first interval's, or if the overlap check fails.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var bench: BenchOptions
    @Option(help: "Agents (closed loop).") var agents = 256
    @Option(name: .customLong("report-every"), help: "Seconds per reporting interval.") var reportEvery = 60
    @Option(name: .customLong("max-drop"), help: "Largest allowed drop of the last interval's cycles/s below the first's, in percent.")
    var maxDrop = DecayVerdict.defaultMaxDropPercent

    func validate() throws {
        let window = bench.secondsOption ?? 600
        guard agents > 0 else { throw ValidationError("--agents must be positive") }
        guard reportEvery > 0, window >= 2 * reportEvery else {
            throw ValidationError("--seconds (\(window)) must cover at least two --report-every intervals (\(reportEvery) s)")
        }
        guard maxDrop >= 0, maxDrop < 100 else { throw ValidationError("--max-drop is a percentage from 0 to 100") }
    }

    func run() async throws {
        raiseOpenFileLimit()
        let (n, every, allowed) = (agents, reportEvery, maxDrop)
        let verdict = try await database.withDatabase(logger: commandLogger("leadline.bench")) { conninfo in
            var runs = bench.runs(conninfo, seconds: bench.secondsOption ?? 600)
            runs.reportEvery = every
            runs.report = { BenchLog.say($0.line) }
            let result = try await runs.floor(agents: n)
            BenchLog.say(result.line)
            BenchLog.say("")
            BenchLog.say("| interval | cycles/s | claim p50 ms | claim p99 ms | claim p99.9 ms |")
            BenchLog.say("|---|---|---|---|---|")
            for i in result.intervals {
                BenchLog.say(String(format: "| %d–%d s | %.0f | %.2f | %.2f | %.2f |", i.start, i.start + i.seconds, i.rate,
                                    i.claims.p50, i.claims.p99, i.claims.p999))
            }
            let verdict = DecayVerdict.judge(result.intervals, maxDropPercent: allowed, checkPassed: result.check.passed)
            BenchLog.say(verdict.description)
            return verdict
        }
        if !verdict.passed { throw CommandFailure(verdict.checkPassed ? "the soak decayed: \(verdict)" : "the correctness check failed") }
    }
}

struct BenchPgbench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgbench",
        abstract: "pgbench running the service's claim.sql and dispose.sql as one custom script, same data and server.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var bench: BenchOptions
    @Option(help: "pgbench client counts (e.g. 1,8,32,64,128).") var clients = "8"
    @Flag(help: "Print the generated pgbench script and exit.") var printScript = false

    func run() async throws {
        if printScript {
            print(PgbenchScript.script(), terminator: "")
            return
        }
        let list = try counts(clients)
        try await database.withDatabase(logger: commandLogger("leadline.bench")) { conninfo in
            for n in list {
                let (r, check) = try await bench.runs(conninfo).pgbench(clients: n)
                BenchLog.say(String(format: "pgbench clients=%d rate=%.0f/s first10=%.0f/s last10=%.0f/s cycle %@ failed=%d aborted=%@ %@",
                                    n, r.rate, r.firstRate, r.lastRate, r.latency.text, r.failed, r.aborted ? "yes" : "no", check.description))
                if r.aborted { BenchLog.say(String(r.output.suffix(1500))) }
            }
        }
    }
}

struct BenchCompare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Per N: the floor through leadline, then pgbench with N clients, each on a fresh copy; prints leadline / pgbench.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var bench: BenchOptions
    @Option(help: "Agent / client counts.") var agents = "1,8,64,256,1000"
    @Option(name: .customLong("pgbench-only"), help: "Extra pgbench-only client counts (for its best point).") var pgbenchOnly = ""

    func run() async throws {
        raiseOpenFileLimit()
        let list = try counts(agents)
        let extra = pgbenchOnly.isEmpty ? [] : try counts(pgbenchOnly)
        let failed = try await database.withDatabase(logger: commandLogger("leadline.bench")) { conninfo in
            let runs = bench.runs(conninfo)
            var rows: [String] = []
            var failed = false
            var best = 0.0
            for n in list {
                let floor = try await runs.floor(agents: n)
                BenchLog.say(floor.line)
                let (pg, pgCheck) = try await runs.pgbench(clients: n)
                BenchLog.say(String(format: "pgbench clients=%d rate=%.0f/s first10=%.0f/s last10=%.0f/s cycle %@ failed=%d aborted=%@ %@",
                                    n, pg.rate, pg.firstRate, pg.lastRate, pg.latency.text, pg.failed, pg.aborted ? "yes" : "no", pgCheck.description))
                if n <= 128 { best = max(best, pg.rate) }
                if !floor.check.passed { failed = true }
                rows.append(String(format: "| %d | %.0f (%.0f → %.0f) | %.2f / %.2f / %.2f | %d | %.2f | %.0f | %.0f (%.0f → %.0f) | %.1f | **%.2f** |",
                                   n, floor.load.rate, floor.load.firstRate, floor.load.lastRate, floor.load.claims.p50, floor.load.claims.p99,
                                   floor.load.claims.p999, floor.load.errorCount, floor.serverCores, Double(floor.serverPeakRSS) / 1_048_576,
                                   pg.rate, pg.firstRate, pg.lastRate, pg.latency.p99, pg.rate > 0 ? floor.load.rate / pg.rate : 0))
            }
            for n in extra {
                let (pg, pgCheck) = try await runs.pgbench(clients: n)
                BenchLog.say(String(format: "pgbench clients=%d rate=%.0f/s first10=%.0f/s last10=%.0f/s cycle %@ failed=%d aborted=%@ %@",
                                    n, pg.rate, pg.firstRate, pg.lastRate, pg.latency.text, pg.failed, pg.aborted ? "yes" : "no", pgCheck.description))
                if n <= 128 { best = max(best, pg.rate) }
                rows.append(String(format: "| %d | – | – | – | – | – | %.0f (%.0f → %.0f) | %.1f | – |", n, pg.rate, pg.firstRate, pg.lastRate, pg.latency.p99))
            }
            BenchLog.say("")
            BenchLog.say("| N | leadline cycles/s (first 10 s → last 10 s) | claim p50 / p99 / p99.9 ms | errors | server CPU (cores) | server peak RSS MB | pgbench cycles/s (first → last) | pgbench cycle p99 ms | leadline / pgbench |")
            BenchLog.say("|---|---|---|---|---|---|---|---|---|")
            for r in rows { BenchLog.say(r) }
            BenchLog.say(String(format: "pgbench best (1–128 clients) = %.0f cycles/s", best))
            return failed
        }
        if failed { throw CommandFailure("the correctness check failed") }
    }
}

struct BenchWakeup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wakeup",
        abstract: "Agents wait in CLAIM wait=; another client ingests leads one at a time; insert → held latency.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var bench: BenchOptions
    @Option(help: "Leads inserted, one at a time.") var inserts = 1000
    @Option(help: "Agents waiting.") var waiters = 8

    func run() async throws {
        try await database.withDatabase(logger: commandLogger("leadline.bench")) { conninfo in
            try BenchDatabase(conninfo: conninfo).settle()
            try FileManager.default.createDirectory(atPath: bench.logDir, withIntermediateDirectories: true)
            let server = try await ServeInstance.start(executable: currentExecutable(), conninfo: conninfo, port: bench.basePort,
                                                       poolSize: bench.poolSize, extra: bench.serveArgs, logPath: bench.logDir + "/serve-wakeup.log")
            do {
                let (latency, missed) = try await WakeupBench(conninfo: conninfo, port: server.port, waiters: waiters, inserts: inserts).run()
                BenchLog.say("wakeup inserts=\(inserts) waiters=\(waiters) \(latency.text) missed=\(missed)")
            } catch {
                await server.stop()
                throw error
            }
            await server.stop()
        }
    }
}

struct BenchIdle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle",
        abstract: "Opens N authenticated idle connections to one leadline serve; its RSS and the cost per connection.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var bench: BenchOptions
    @Option(help: "Idle connections.") var connections = 10_000
    @Option(help: "Seconds to hold them before reading RSS.") var hold = 10

    func run() async throws {
        let limit = raiseOpenFileLimit()
        guard limit > connections + 100 else { throw CommandFailure("ulimit -n is \(limit); raise the hard limit above \(connections + 100)") }
        try await database.withDatabase(logger: commandLogger("leadline.bench")) { conninfo in
            try BenchDatabase(conninfo: conninfo).settle()
            let agents: [BenchAgent] = try {
                let c = try PostgresConnection(conninfo: conninfo)
                defer { c.close() }
                return try BenchDatabase.prepareAgents(c, count: 100)
            }()
            try FileManager.default.createDirectory(atPath: bench.logDir, withIntermediateDirectories: true)
            let server = try await ServeInstance.start(executable: currentExecutable(), conninfo: conninfo, port: bench.basePort,
                                                       poolSize: bench.poolSize, extra: bench.serveArgs, logPath: bench.logDir + "/serve-idle.log")
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
            do {
                // Warm up: one connection, so the baseline includes the runtime's first allocations.
                let warm = try await IdleBench(port: server.port, count: 1, agents: agents).open(group: group)
                try await Task.sleep(for: .seconds(2))
                let before = server.sample
                let started = ContinuousClock.now
                let channels = try await IdleBench(port: server.port, count: connections, agents: agents).open(group: group)
                let opened = ContinuousClock.now - started
                try await Task.sleep(for: .seconds(hold))
                let after = server.sample
                let rss = after?.rss ?? 0
                let base = before?.rss ?? 0
                BenchLog.say(String(format: "idle connections=%d opened_in=%.1fs rss_before=%.1fMB rss=%.1fMB peak=%.1fMB per_connection=%.1fKB",
                                    channels.count, Double(opened.components.seconds) + Double(opened.components.attoseconds) / 1e18,
                                    Double(base) / 1_048_576, Double(rss) / 1_048_576, Double(after?.peakRSS ?? 0) / 1_048_576,
                                    Double(rss - base) / Double(max(1, channels.count)) / 1024))
                for c in channels + warm { c.close(promise: nil) }
            } catch {
                await server.stop()
                try? await group.shutdownGracefully()
                throw error
            }
            await server.stop()
            try? await group.shutdownGracefully()
        }
    }
}

/// Runs the phases of a hostile-client benchmark and prints each result, the side-by-side
/// table and the check; throws if the check failed or the server died.
private func runHostile(_ bench: HostileBench) async throws {
    let (results, check) = try await bench.run()
    BenchLog.say("")
    for row in HostileBench.table(results) { BenchLog.say(row) }
    BenchLog.say(check.description)
    if !check.passed { throw CommandFailure("the correctness check failed") }
    if results.contains(where: { !$0.serverAlive }) { throw CommandFailure("leadline serve died during a phase") }
}

struct BenchHostile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hostile",
        abstract: "Clients that pipeline and never read, beside real agents: the agents' CLAIM latency and the server's RSS, against a baseline.",
        discussion: """
            Phases, each with its own leadline serve and the same agents (from 127.0.0.2) looping CLAIM → DISPOSE/CONVERT.

            baseline: the agents alone.

            auth: --hogs connections (from 127.0.0.1, SO_RCVBUF 4 KiB) AUTH as hog agents, then pipeline PING and never read: the pipeline bound and reply_timeout at work.

            noauth: the same without AUTH (PING, CLAIM, MINE, LEAD SHOW): the per-address cap and auth_timeout at work as well.

            A hog the server closes connects again after 1 s. The server runs with its own client limits (auth_timeout, max_unauthenticated_per_address, reply_timeout), max_connections 20000 and no idle timeout. Figures in RELIABILITY.md.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var bench: BenchOptions
    @Option(help: "Hostile connections.") var hogs = 1000
    @Option(help: "Real agents.") var agents = 32
    @Option(name: .customLong("baseline-seconds"), help: "Length of the baseline phase (default: --seconds).") var baselineSeconds: Int?
    @Option(name: .customLong("reply-timeout"), help: "leadline serve --reply-timeout (default: the server's, 30 s).") var replyTimeout: String?
    @Option(help: "Phases to run, in order: baseline, auth, noauth.") var phases = "baseline,auth,noauth"

    func run() async throws {
        let limit = raiseOpenFileLimit()
        guard limit > hogs + agents + 200 else { throw CommandFailure("ulimit -n is \(limit); raise it above \(hogs + agents + 200)") }
        var kinds: [HostilePhase] = []
        for name in phases.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            switch name {
            case "baseline": kinds.append(HostilePhase(.baseline, seconds: baselineSeconds ?? bench.seconds))
            case "auth": kinds.append(HostilePhase(.hogsLoggedIn, seconds: bench.seconds))
            case "noauth": kinds.append(HostilePhase(.hogsUnauthenticated, seconds: bench.seconds))
            default: throw ValidationError("unknown phase \(name): baseline, auth or noauth")
            }
        }
        try await database.withDatabase(logger: commandLogger("leadline.bench")) { conninfo in
            let runs = bench.runs(conninfo)
            var hostile = HostileBench(database: runs.database, serve: runs.serve, fresh: runs.fresh)
            hostile.agents = agents
            hostile.hogs = hogs
            hostile.phases = kinds
            hostile.limits = ["--max-connections", "20000", "--idle-timeout", "0"] + (replyTimeout.map { ["--reply-timeout", $0] } ?? [])
            try await runHostile(hostile)
        }
    }
}

struct BenchFlood: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flood",
        abstract: "Idle connections that never AUTH, all from 127.0.0.1, while agents from 127.0.0.2 work; against a baseline.",
        discussion: """
            leadline serve runs with its default client limits (max_connections 1024, max_unauthenticated_per_address 128, auth_timeout 10 s, idle_timeout 300 s) unless --serve-arg says otherwise. A flood connection the server refuses or closes connects again after 1 s. Reports how many were admitted and refused, whether every agent logged in, the agents' CLAIM latency and the server's RSS, against a baseline phase of the agents alone.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var bench: BenchOptions
    @Option(help: "Flood connections.") var connections = 1024
    @Option(help: "Real agents.") var agents = 32
    @Option(name: .customLong("baseline-seconds"), help: "Length of the baseline phase (0: none; default: --seconds).") var baselineSeconds: Int?

    func run() async throws {
        let limit = raiseOpenFileLimit()
        guard limit > connections + agents + 200 else { throw CommandFailure("ulimit -n is \(limit); raise it above \(connections + agents + 200)") }
        let baseline = baselineSeconds ?? bench.seconds
        try await database.withDatabase(logger: commandLogger("leadline.bench")) { conninfo in
            let runs = bench.runs(conninfo)
            var flood = HostileBench(database: runs.database, serve: runs.serve, fresh: runs.fresh)
            flood.agents = agents
            flood.hogs = connections
            flood.phases = (baseline > 0 ? [HostilePhase(.baseline, seconds: baseline)] : []) + [HostilePhase(.flood, seconds: bench.seconds)]
            flood.limits = []
            try await runHostile(flood)
        }
    }
}

struct BenchFuzz: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz",
        abstract: "Random and mutated protocol lines against a live leadline serve; every line must get exactly one known reply.",
        discussion: """
            Runs on a copy of the seeded database, in a team `fuzz` of its own (a senior agent, a team lead, 2,000 leads). Connections: --agent-connections logged in as the agent, --lead-connections as the team lead, and --anonymous-connections that never log in, sharing --lines. leadline serve runs with auth_timeout 0 (an unsolicited NOAUTH would break the one-reply-per-line count) and auth_max_delay 0 (failed AUTHs are part of the fuzz). The test suite runs the same driver for 20,000 lines (ProtocolFuzzTests).
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var bench: BenchOptions
    @Option(help: "Lines to send in all.") var lines = 1_000_000
    @Option(help: "Random seed.") var seed: UInt64 = 0x5EED
    @Option(name: .customLong("agent-connections")) var agentConnections = 2
    @Option(name: .customLong("lead-connections")) var leadConnections = 1
    @Option(name: .customLong("anonymous-connections")) var anonymousConnections = 1

    func run() async throws {
        let passed = try await database.withDatabase(logger: commandLogger("leadline.bench")) { conninfo in
            let runs = bench.runs(conninfo)
            try runs.database.settle()
            let copy = runs.fresh ? try runs.database.freshCopy(named: "leadline_bench_run") : conninfo
            let world = try FuzzWorld.prepare(conninfo: copy)
            try FileManager.default.createDirectory(atPath: bench.logDir, withIntermediateDirectories: true)
            let server = try await ServeInstance.start(executable: currentExecutable(), conninfo: copy, port: bench.basePort,
                                                       poolSize: bench.poolSize, extra: ["--auth-max-delay", "0"] + bench.serveArgs,
                                                       logPath: bench.logDir + "/serve-fuzz.log")
            var settings = ProtocolFuzzer.Settings(
                port: server.port, lines: lines,
                connections: Array(repeating: world.agent, count: agentConnections) + Array(repeating: world.teamLead, count: leadConnections)
                    + Array(repeating: nil, count: anonymousConnections))
            settings.seed = seed
            settings.leadIDs = world.leadIDs
            settings.agentNames = world.agentNames
            settings.teams = world.teams
            let before = server.sample
            let report = await ProtocolFuzzer(settings).run()
            let after = server.sample
            var alive = !server.process.hasExited
            if alive {
                // Still serving: a new connection gets HELLO and a PING answer.
                let client = try? await ProtocolClient.connect(port: server.port)
                let hello = try? await client?.line()
                let ping = try? await client?.call("PING")
                await client?.close()
                alive = hello == "HELLO leadline proto=1" && ping?.first?.hasPrefix("OK time=") == true
            }
            await server.stop()
            BenchLog.say(report.description)
            BenchLog.say(String(format: "server alive_and_answering=%@ rss_before=%.1fMB rss_after=%.1fMB peak=%.1fMB",
                                alive ? "yes" : "NO", Double(before?.rss ?? 0) / 1_048_576, Double(after?.rss ?? 0) / 1_048_576,
                                Double(after?.peakRSS ?? 0) / 1_048_576))
            for sample in report.failureSamples { BenchLog.say("failure: \(sample)") }
            return report.passed && alive
        }
        if !passed { throw CommandFailure("the fuzz run found failures") }
    }
}
