import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// The kept queue counts (migration 0013, `BoardTally`, sql/queries/queues_fast.sql)
/// against the full count (sql/queries/queues.sql, where each number is defined): on
/// random floors, after random claims, dispositions, releases, moves, stars, signals,
/// starred-mode switches, new leads, background passes (lease reaper, callback promoter,
/// SLA watcher) and time passing, QUEUES answered from the sums equals the count over
/// every lead, whether the log was folded or not, and at other moments than the last one.
@Suite struct BoardTallyTests {
    let control = FloorControl()
    let queue = LeadQueue()
    let desk = CallDesk()
    let tally = BoardTally()

    /// A small deterministic generator, so a failing seed replays exactly.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// The kept counts as queues_fast.sql returns them (no fallback): nil when it declines.
    func keptOnly(_ c: PostgresConnection, now: Date) throws -> Int {
        try c.query(SQLFiles.query("queues_fast"), [Int64?.none, now]).rows.count
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6])
    func keptCountsEqualTheFullCountOnRandomFloors(seed: UInt64) async throws {
        var rng = SplitMix64(state: seed)
        let floor = try await Floor.make()
        let teams = ["north", "south"]
        try floor.team("north")
        try floor.team("south", timeZone: "Asia/Singapore", grace: "2 minutes")
        var agents: [(id: Int64, name: String, team: String)] = []
        for team in teams {
            for n in 0..<3 {
                let name = "\(team)\(n)"
                agents.append((try floor.agent(name, team: team, role: n == 0 ? "senior" : "agent", capacity: 3), name, team))
            }
        }
        let bossID = try floor.agent("boss", team: "north", role: "admin")
        let boss = Overseer(id: bossID, name: "boss", teamID: 0, isAdmin: true)
        var now = floor.now
        for team in teams {
            for _ in 0..<Int.random(in: 15...40, using: &rng) {
                try floor.lead(team: team, highEnd: Bool.random(using: &rng),
                               createdAt: now.addingTimeInterval(-Double.random(in: 0...86_400 * 2, using: &rng)), now: now)
            }
        }
        let c = try floor.connect()
        defer { c.close() }
        // South starts in starred mode with a few stars, so `claimable` differs from `ready`.
        _ = try control.setTeam(c, team: "south", changes: TeamChanges(starredMode: true), by: boss, now: now)
        _ = try control.star(c, true, filter: StarFilter(view: .notCalled, team: "south"), by: boss, now: now)
        var held: [(lead: Int64, agent: Int64, lease: Int64)] = []
        var folds = 0, fastAnswers = 0
        var seen: [String: Int] = [:]  // the most of each count the floor had at once
        var refusals: [String: Int] = [:]

        func compare(_ label: String) throws {
            // At the floor's time and at moments after it (the kept counts serve any `now`
            // from the collapse point on), and once before the collapse point (fallback).
            for offset in [0.0, Double.random(in: 1...7200, using: &rng)] {
                let at = now.addingTimeInterval(offset)
                let kept = try control.queues(c, team: nil, by: boss, now: at)
                let counted = try control.queuesByCount(c, team: nil, by: boss, now: at)
                #expect(kept == counted, "seed \(seed), \(label), now+\(Int(offset)) s\nkept:    \(kept)\ncounted: \(counted)")
                for row in counted where row.view == "all" {
                    for (key, n) in [("held", row.held), ("scheduled", row.scheduled), ("breached", row.breached),
                                     ("callbacks_next_hour", row.callbacksNextHour), ("callbacks_overdue", row.callbacksOverdue),
                                     ("ready", row.ready), ("claimable<ready", row.ready - row.claimable)] {
                        seen[key] = max(seen[key] ?? 0, n)
                    }
                }
                if try keptOnly(c, now: at) > 0 { fastAnswers += 1 }
            }
        }

        for step in 0..<100 {
            let roll = Int.random(in: 0..<100, using: &rng)
            let label = "step \(step) roll \(roll)"
            switch roll {
            case 0..<25:  // a claim
                let agent = agents.randomElement(using: &rng)!
                let view: View? = [nil, .highEnd, .notCalled, .callback].randomElement(using: &rng)!
                switch try queue.claim(c, agent: agent.id, now: now, view: view) {
                case .claimed(let lead): held.append((lead.id, agent.id, lead.lease))
                case .empty: refusals["claim empty", default: 0] += 1
                case .refused(let refusal): refusals["claim \(refusal.code)", default: 0] += 1
                }
            case 25..<45:  // a disposition of a held lead
                guard !held.isEmpty else { break }
                let h = held.remove(at: Int.random(in: 0..<held.count, using: &rng))
                let code = [Disposition.callback, .callback, .callback, .notReachable, .notInterested, .willPlaceOrder, .wrongNumber]
                    .randomElement(using: &rng)!
                let at = code == .callback ? now.addingTimeInterval(Double.random(in: 600...10_800, using: &rng)) : nil
                do {
                    _ = try desk.dispose(c, lead: h.lead, agent: h.agent, lease: h.lease, code: code, note: "called the customer",
                                         at: at, reason: code == .notInterested ? .priceTooLow : nil, now: now)
                } catch let refusal as Refusal {
                    refusals["\(refusal.code)", default: 0] += 1
                }
            case 45..<48:  // released without a call
                guard !held.isEmpty else { break }
                let h = held.remove(at: Int.random(in: 0..<held.count, using: &rng))
                _ = try? queue.release(c, lead: h.lead, agent: h.agent, lease: h.lease, now: now, note: "customer busy")
            case 48..<56:  // star or unstar by filter
                let team = teams.randomElement(using: &rng)!
                let filter = StarFilter(view: [nil, .highEnd, .notCalled, .callback].randomElement(using: &rng)!, team: team)
                _ = try? control.star(c, Bool.random(using: &rng), filter: filter, by: boss, now: now)
            case 56..<58:  // starred mode on or off
                _ = try? control.setTeam(c, team: teams.randomElement(using: &rng)!,
                                         changes: TeamChanges(starredMode: Bool.random(using: &rng)), by: boss, now: now)
            case 58..<67:  // a move between an agent and the pool
                let agent = agents.randomElement(using: &rng)!
                let toPool = Bool.random(using: &rng)
                _ = try? control.move(c, from: toPool ? .agent(agent.name) : .pool, to: toPool ? .pool : .agent(agent.name),
                                      count: Int.random(in: 1...4, using: &rng), view: nil, city: nil, force: Bool.random(using: &rng),
                                      by: boss, now: now)
            case 67..<72:  // new leads
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    try floor.lead(team: teams.randomElement(using: &rng)!, highEnd: Bool.random(using: &rng),
                                   createdAt: now.addingTimeInterval(-Double.random(in: 0...3600, using: &rng)), now: now)
                }
            case 72..<88:  // time passes; the background passes run
                now = now.addingTimeInterval(Int.random(in: 0..<5, using: &rng) == 0 ? Double.random(in: 600...5400, using: &rng)
                                                                                     : Double.random(in: 10...400, using: &rng))
                _ = try queue.tick(c, now: now)
                _ = try control.expireBoosts(c, now: now)
                held.removeAll { h in
                    (try? c.query("SELECT 1 FROM leads WHERE id = $1::bigint AND holder_agent_id = $2::bigint AND lease_gen = $3::bigint",
                                  [h.lead, h.agent, h.lease]).rows.isEmpty) ?? true
                }
            default:  // a fold: whole log or a few entries, keeping little or a lot apart
                _ = try tally.fold(c, now: now, batch: [2, 7, 50_000].randomElement(using: &rng)!,
                                   keep: [0, 60, 300].randomElement(using: &rng)!)
                folds += 1
            }
            try compare(label)
        }
        try tally.foldAll(c, now: now)
        try compare("after the last fold")
        // Before the collapse point the sums decline and the full count answers, still equal.
        let before = now.addingTimeInterval(-3600)
        #expect(try keptOnly(c, now: before) == 0)
        #expect(try control.queues(c, team: nil, by: boss, now: before) == control.queuesByCount(c, team: nil, by: boss, now: before))
        // The property is not vacuous: the sums answered, and the floor had all kinds of leads.
        #expect(fastAnswers > 100)
        for key in ["held", "scheduled", "breached", "ready", "claimable<ready"] {
            #expect(seen[key] ?? 0 > 0, "seed \(seed): never any \(key): \(seen), refusals \(refusals)")
        }
        #expect((seen["callbacks_next_hour"] ?? 0) + (seen["callbacks_overdue"] ?? 0) > 0, "seed \(seed): \(seen)")
        #expect(try c.query("SELECT count(*) AS n FROM lead_events WHERE kind IN ('sla_breached', 'callback_missed')").first?.int("n") ?? 0 > 0)
    }

    /// A team lead's QUEUES from the sums is its own team's, as the full count's; a fold
    /// reports the teams whose sums changed, and nothing when nothing did.
    @Test func foldReportsChangedTeamsAndTeamLeadsSeeTheirOwn() async throws {
        let floor = try await Floor.make()
        let north = try floor.team("north")
        let south = try floor.team("south")
        let leadID = try floor.agent("lead1", team: "south", role: "team_lead")
        let now = floor.now
        let c = try floor.connect()
        defer { c.close() }
        try tally.foldAll(c, now: now)
        #expect(try tally.fold(c, now: now) == BoardTally.Fold(folded: 0, teams: []))
        for n in 0..<3 { try floor.lead(team: "south", createdAt: now.addingTimeInterval(Double(-600 * n)), now: now) }
        let fold = try tally.fold(c, now: now)
        #expect(fold.teams == [south] && fold.folded > 0, "\(fold)")
        #expect(!fold.teams.contains(north))
        let lead = Overseer(id: leadID, name: "lead1", teamID: south, isAdmin: false)
        let rows = try control.queues(c, team: nil, by: lead, now: now)
        #expect(rows == (try control.queuesByCount(c, team: nil, by: lead, now: now)))
        #expect(rows.map(\.team) == ["south", "south", "south", "south"] && rows.last?.ready == 3, "\(rows)")
    }
}
