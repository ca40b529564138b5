import ArgumentParser
import Foundation
import LeadCore
import LeadDemo
import LeadStore
import Postgres

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the schema migrations (safe to run twice, or from two instances at once).")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let logger = commandLogger("leadline.migrate", verbose: true)
        try await database.withDatabase(migrate: false, logger: logger) { conninfo in
            let c = try PostgresConnection(conninfo: conninfo)
            defer { c.close() }
            let report = try Migrator(logger: logger).migrate(c)
            print("migrations applied=\(report.applied.count) already=\(report.alreadyApplied.count) latest=\(Migrator().migrations.last?.version ?? 0)")
        }
    }
}

struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Load demo data: catalogue, pincodes, teams north/south/west, agents (tokens printed once), leads.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "How many leads to create.")
    var leads: Int = 10_000

    @Option(help: "Spread the leads' drop-off times over this many past days.")
    var days: Int = 5

    @Option(help: "Random seed (same seed, same data).")
    var seed: UInt64 = 42

    @Option(help: "Write the leads to this CSV file (for `leadline import`) instead of the database; teams, agents and the catalogue still go to the database.")
    var csv: String?

    @Flag(help: "Also generate the leads' past activity up to now (claims, calls with notes and reasons, the retry cadence, callbacks, follow-ups, orders, SLA breaches), written with COPY, then build the BI rollups.")
    var history = false

    @Option(help: "With --history: extra callers per team, so the per-agent volumes are plausible.")
    var agents: Int = 40

    func run() async throws {
        guard leads >= 0 else { throw ValidationError("--leads must be ≥ 0") }
        guard csv == nil || !history else { throw ValidationError("--history writes to the database; drop --csv") }
        let logger = commandLogger("leadline.seed")
        let (n, d, s, csvPath, withHistory, callers) = (leads, days, seed, csv, history, agents)
        let report = try await database.withDatabase(logger: logger) { conninfo in
            let c = try PostgresConnection(conninfo: conninfo)
            defer { c.close() }
            let seedNow = SystemClock().now()
            if let csvPath {
                let reference = try DemoData(leads: 0, days: d, seed: s).load(into: c, now: seedNow)
                let started = Date()
                let rows = try DemoData(leads: n, days: d, seed: s).writeCSV(to: csvPath, now: seedNow)
                var report = reference
                report.leads = rows
                report.seconds = Date().timeIntervalSince(started)
                return report
            }
            let suffix = UInt64(try c.query("SELECT count(*) AS n FROM leads").first?.int("n") ?? 0)
            let report = try DemoData(leads: n, days: d, seed: s &+ suffix, history: withHistory, agentsPerTeam: withHistory ? callers : 0)
                .load(into: c, now: seedNow)
            if withHistory, let rollup = try BIRollup().refresh(c, now: seedNow) {
                print(String(format: "bi_refresh leads=%d agent_days=%d seconds=%.2f", rollup.leads, rollup.agentDays, rollup.seconds))
            }
            return report
        }
        for agent in report.agents {
            print("agent=\(agent.name) team=\(agent.team) role=\(agent.role) token=\(agent.token)")
        }
        if let csvPath {
            print("wrote leads=\(report.leads) file=\(csvPath) seconds=\(String(format: "%.2f", report.seconds))")
            return
        }
        print(String(format: "seeded leads=%d callbacks=%d agents_created=%d seconds=%.2f rate=%.0f/s",
                     report.leads, report.callbacks, report.agents.count, report.seconds,
                     report.seconds > 0 ? Double(report.leads) / report.seconds : 0))
        if history { print("history events=\(report.events) orders=\(report.orders)") }
    }
}

struct TeamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team", abstract: "Manage teams.", subcommands: [Add.self, TeamSetCommand.self, Desk.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Create a team.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Team name (letters, digits, _ . -).") var name: String
        @Option(help: "IANA time zone for the team's local day, calling window and shift end.") var tz: String = "Asia/Kolkata"

        func run() async throws {
            let (n, zone) = (name, tz)
            try await database.withConnection(logger: commandLogger("leadline.team")) { c in
                let id = try AgentDirectory().addTeam(c, name: n, timeZone: zone)
                print("team=\(n) id=\(id) tz=\(zone)")
            }
        }
    }
}

extension TeamCommand {
    /// `leadline team desk NAME cx|ops|pricing|none`: makes a team the CX, Ops or Pricing
    /// desk, whose agents see and resolve the escalations sent to it from every sales team.
    struct Desk: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "desk",
            abstract: "Make a team the cx, ops or pricing desk (its agents resolve escalations sent there), or none.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The team.") var name: String
        @Argument(help: "cx, ops, pricing or none.") var desk: String

        func run() async throws {
            let n = name
            let target: EscalationTarget?
            if desk == "none" {
                target = nil
            } else if let t = EscalationTarget(rawValue: desk) {
                target = t
            } else {
                throw ValidationError("expected cx, ops, pricing or none")
            }
            try await database.withConnection(logger: commandLogger("leadline.team")) { c in
                try AgentDirectory().setDesk(c, team: n, desk: target)
                print("team=\(n) desk=\(target?.rawValue ?? "none")")
            }
        }
    }
}

struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Manage agents and their tokens.", subcommands: [Add.self, Token.self, Disable.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Create an agent; prints token=<secret> on its own line, once.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Agent name (letters, digits, _ . @ -).") var name: String
        @Option(help: "The agent's team.") var team: String
        @Option(help: "agent | senior | team_lead | admin") var role: String = "agent"

        func run() async throws {
            let (n, t, r) = (name, team, role)
            try await database.withConnection(logger: commandLogger("leadline.agent")) { c in
                let token = try AgentDirectory().addAgent(c, name: n, team: t, role: r)
                print("agent=\(n) team=\(t) role=\(r)")
                print("token=\(token)")
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token", abstract: "Rotate an agent's token; prints the new token=<secret> once.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String

        func run() async throws {
            let n = name
            try await database.withConnection(logger: commandLogger("leadline.agent")) { c in
                print("token=\(try AgentDirectory().rotateToken(c, name: n))")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "disable", abstract: "Disable an agent: its token stops working and it claims nothing.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String

        func run() async throws {
            let n = name
            try await database.withConnection(logger: commandLogger("leadline.agent")) { c in
                try AgentDirectory().disable(c, name: n)
                print("agent=\(n) status=disabled")
            }
        }
    }
}
