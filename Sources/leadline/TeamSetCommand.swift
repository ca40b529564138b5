import ArgumentParser
import Foundation
import LeadCore
import LeadServer
import LeadStore
import Postgres

/// `leadline team set NAME …`: an operator's way to the team settings the floor verbs read
/// (starred mode, the end-of-shift unstar, High Ends for juniors, the account manager), the
/// same change as the protocol's `TEAM SET`, recorded in the audit without an agent.
struct TeamSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change a team's floor settings (prints them; with no option, just prints them).",
        discussion: """
            --starred-mode on: CLAIM hands out only starred leads (STAR releases them). \
            --shift-end 18:00: every day at that time on the team's clock every open lead is \
            unstarred by the server (none: never). --junior-high-ends on: plain agents take \
            High-End leads. --account-manager AGENT: who gets failed payments (SIGNAL \
            kind=payment_failed) when the lead has no owner on the floor (none: nobody). The \
            call rules (lease, callback grace and horizon, follow-up, Not Connected cadence, \
            calling window, unreachable cut-off) take effect on the next call.
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The team.") var name: String
    @Option(name: .customLong("starred-mode"), help: "on or off.") var starredMode: String?
    @Option(name: .customLong("shift-end"), help: "HH:MM (24-hour, team time) or none.") var shiftEnd: String?
    @Option(name: .customLong("junior-high-ends"), help: "on or off.") var juniorHighEnds: String?
    @Option(name: .customLong("account-manager"), help: "An agent of the team, or none.") var accountManager: String?
    @Option(name: .customLong("lease-minutes"), help: "Length of a claim's lease (1-1440; default 10).") var leaseMinutes: Int?
    @Option(name: .customLong("callback-grace-minutes"),
            help: "How long a due callback waits for its owner before the team may take it (0-1440; default 5).")
    var callbackGraceMinutes: Int?
    @Option(name: .customLong("callback-horizon-days"), help: "Furthest a callback may be booked (1-90; default 14).")
    var callbackHorizonDays: Int?
    @Option(name: .customLong("follow-up-hours"),
            help: "Default follow-up after Will Place Order / Waiting for Quote (1-720; default 24).") var followUpHours: Int?
    @Option(name: .customLong("attempts-per-day"), help: "Most Not Connected attempts per lead per local day (1-24; default 3).")
    var attemptsPerDay: Int?
    @Option(name: .customLong("attempt-spacing-minutes"), help: "Least time between two attempts (0-1440; default 120).")
    var attemptSpacingMinutes: Int?
    @Option(name: .customLong("unreachable-after-days"),
            help: "Days without contact before a lead closes as unreachable (1-60; default 3).") var unreachableAfterDays: Int?
    @Option(name: .customLong("call-window"), help: "Calling hours on the team's clock, HH:MM-HH:MM (default 09:00-21:00).")
    var callWindow: String?
    @Option(name: .customLong("claim-order"),
            help: "high_end_first (High Ends, then Not Called; the default) or not_called_first (docs/RULES.md §14).")
    var claimOrder: String?

    /// `on`/`off` (also yes/no, true/false, 1/0).
    static func flag(_ text: String?, _ option: String) throws -> Bool? {
        guard let text else { return nil }
        switch text.lowercased() {
        case "on", "yes", "true", "1": return true
        case "off", "no", "false", "0": return false
        default: throw ValidationError("\(option): expected on or off")
        }
    }

    func run() async throws {
        var changes = TeamChanges()
        changes.starredMode = try Self.flag(starredMode, "--starred-mode")
        changes.juniorHighEnds = try Self.flag(juniorHighEnds, "--junior-high-ends")
        if let shiftEnd {
            let none = shiftEnd.isEmpty || shiftEnd.lowercased() == "none"
            guard none || TeamChanges.shiftEnd(shiftEnd) != nil else {
                throw ValidationError("--shift-end: expected HH:MM (24-hour, team time) or none")
            }
            changes.shiftEnd = .some(none ? nil : shiftEnd)
        }
        if let accountManager {
            changes.accountManager = .some(accountManager.isEmpty || accountManager.lowercased() == "none" ? nil : accountManager)
        }
        let given: [(String, Int?)] = [
            ("lease_minutes", leaseMinutes), ("callback_grace_minutes", callbackGraceMinutes),
            ("callback_horizon_days", callbackHorizonDays), ("follow_up_hours", followUpHours),
            ("attempts_per_day", attemptsPerDay), ("attempt_spacing_minutes", attemptSpacingMinutes),
            ("unreachable_after_days", unreachableAfterDays),
        ]
        for (key, value) in given {
            if let value { changes.rules.set(key, value) }
        }
        changes.rules.callWindow = callWindow
        if let claimOrder {
            guard let order = ClaimOrder(rawValue: claimOrder) else {
                throw ValidationError("--claim-order: expected high_end_first or not_called_first")
            }
            changes.claimOrder = order
        }
        let (team, wanted) = (name, changes)
        let settings = try await database.withConnection(logger: commandLogger("leadline.team")) { c in
            do {
                return try FloorControl().setTeam(c, team: team, changes: wanted, by: .commandLine, now: SystemClock().now())
            } catch let refusal as Refusal {
                throw CommandFailure(refusal.message)
            }
        }
        print(Replies.teamSettings(settings).map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}
