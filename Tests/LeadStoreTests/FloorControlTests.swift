import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// FloorControl with a controlled clock: the end-of-shift unstar at each team's local
/// time, SIGNAL boosts (order, expiry, due retries), and the claim plan with `priority` in
/// the ready index.
@Suite struct FloorControlTests {
    let floorControl = FloorControl()
    let queue = LeadQueue()

    func claimed(_ r: ClaimResult) -> Int64? {
        if case .claimed(let lead) = r { return lead.id }
        return nil
    }

    /// A UTC instant from `yyyy-MM-ddTHH:mm:ssZ`.
    func utc(_ text: String) -> Date {
        PostgresTime.parse(text)!
    }

    /// New York's shift ends at 18:00 local (22:00 UTC in summer): nothing before; at
    /// 18:00:05 every open starred lead of the team is unstarred, once; not again that
    /// local day; again the next local day after 18:00. Kolkata's team, with its own shift
    /// end at 18:00 IST (12:30 UTC), is unstarred at its own local time, not New York's; a
    /// shift end no pass saw before local midnight is skipped, never run late.
    @Test func shiftEndUnstarRunsAtEachTeamsLocalTimeOncePerLocalDay() async throws {
        let floor = try await Floor.make()
        let ny = try floor.team("nyc", timeZone: "America/New_York")
        let blr = try floor.team("blr")
        let lead1 = try floor.agent("lead1", team: "nyc", role: "team_lead")
        let boss = Overseer(id: lead1, name: "lead1", teamID: ny, isAdmin: false)
        let c = try floor.connect()
        let day1 = utc("2026-07-01T15:00:00Z")
        for _ in 0..<3 { try floor.lead(team: "nyc", createdAt: day1.addingTimeInterval(-3600)) }
        try floor.lead(team: "blr", createdAt: day1.addingTimeInterval(-3600))
        _ = try floorControl.setTeam(c, team: "nyc", changes: TeamChanges(starredMode: true, shiftEnd: .some("18:00")), by: boss, now: day1)
        _ = try floorControl.setTeam(c, team: "blr", changes: TeamChanges(shiftEnd: .some("18:00")), by: .commandLine,
                                     now: utc("2026-07-01T05:00:00Z"))
        #expect(try floorControl.star(c, true, filter: StarFilter(), by: boss, now: day1) == 3)
        _ = try c.query("UPDATE leads SET starred = true WHERE team_id = $1::bigint", [blr])
        func starred(_ team: Int64) throws -> Int {
            try c.query("SELECT count(*) AS n FROM leads WHERE team_id = $1::bigint AND starred", [team]).first?.int("n") ?? -1
        }

        #expect(try floorControl.unstarAtShiftEnd(c, now: utc("2026-07-01T12:29:59Z")).isEmpty, "17:59:59 in Kolkata")
        // 12:30 UTC is Kolkata's 18:00 (and 08:30 in New York).
        #expect(try floorControl.unstarAtShiftEnd(c, now: utc("2026-07-01T12:30:00Z")).map(\.team) == ["blr"])
        #expect(try starred(blr) == 0 && starred(ny) == 3)
        #expect(try floorControl.unstarAtShiftEnd(c, now: utc("2026-07-01T21:59:59Z")).isEmpty, "17:59:59 in New York")
        #expect(try starred(ny) == 3)
        let first = try floorControl.unstarAtShiftEnd(c, now: utc("2026-07-01T22:00:05Z"))
        #expect(first.map(\.team) == ["nyc"])
        #expect(first.map(\.unstarred) == [3])
        #expect(try starred(ny) == 0)
        // Starred again in the evening: not unstarred again the same local day.
        #expect(try floorControl.star(c, true, filter: StarFilter(), by: boss, now: utc("2026-07-01T23:00:00Z")) == 3)
        #expect(try floorControl.unstarAtShiftEnd(c, now: utc("2026-07-02T03:59:00Z")).isEmpty, "23:59 New York, same day")
        #expect(try floorControl.unstarAtShiftEnd(c, now: utc("2026-07-02T12:00:00Z")).map(\.team) == [], "08:00 next day: before 18:00")
        #expect(try starred(ny) == 3)
        #expect(try floorControl.unstarAtShiftEnd(c, now: utc("2026-07-02T22:00:00Z")).map(\.team) == ["nyc"],
                "Kolkata's July 2 shift end was not seen (no pass ran between 18:00 and midnight IST): skipped, never late")
        #expect(try starred(ny) == 0)

        // The history and the audit say who did it: the server, at the shift end.
        let events = try c.query("""
            SELECT count(*) AS n FROM lead_events e JOIN leads l ON l.id = e.lead_id
            WHERE l.team_id = $1::bigint AND e.kind = 'unstarred' AND e.agent_id IS NULL AND e.note = 'end of shift'
            """, [ny]).first?.int("n")
        #expect(events == 6)
        let audit = try floorControl.audit(c, team: "nyc", agent: nil, limit: 10, by: boss)
        #expect(audit.map(\.action) == ["shift_end_unstar", "star", "shift_end_unstar", "star", "team_set"])
        #expect(audit.first?.actor == nil && audit.first?.leads == 3)
        #expect(audit[1].actor == "lead1")
    }

    /// Setting a shift end that already passed today does not unstar at once; a later one
    /// runs today.
    @Test func aNewShiftEndStartsAtItsNextOccurrence() async throws {
        let floor = try await Floor.make()
        try floor.team("blr")
        try floor.lead(team: "blr", createdAt: utc("2026-07-01T03:00:00Z"))
        _ = try floor.query("UPDATE leads SET starred = true")
        let c = try floor.connect()
        let noon = utc("2026-07-01T06:30:00Z")  // 12:00 IST
        _ = try floorControl.setTeam(c, team: "blr", changes: TeamChanges(shiftEnd: .some("11:00")), by: .commandLine, now: noon)
        #expect(try floorControl.unstarAtShiftEnd(c, now: noon.addingTimeInterval(60)).isEmpty)
        let settings = try floorControl.setTeam(c, team: "blr", changes: TeamChanges(shiftEnd: .some("12:30")), by: .commandLine, now: noon)
        #expect(settings.shiftEnd == "12:30:00")
        #expect(try floorControl.unstarAtShiftEnd(c, now: noon.addingTimeInterval(1800)).map(\.unstarred) == [1])
        let cleared = try floorControl.setTeam(c, team: "blr", changes: TeamChanges(shiftEnd: .some(nil)), by: .commandLine, now: noon)
        #expect(cleared.shiftEnd == nil)
        #expect(throws: Refusal(.badArg, "shift_end: expected HH:MM (24-hour, team time) or none")) {
            try floorControl.setTeam(c, team: "blr", changes: TeamChanges(shiftEnd: .some("25:00")), by: .commandLine, now: noon)
        }
    }

    /// A boosted lead goes first within its tier, never ahead of a higher tier; the boost
    /// ends by the background pass at boost_until; a retry waiting for its time becomes due
    /// at once, a callback keeps its time.
    @Test func boostsReorderWithinATierAndRunOut() async throws {
        let floor = try await Floor.make()
        let team = try floor.team("blr")
        let senior = try floor.agent("sen", team: "blr", role: "senior", capacity: 10)
        let lead1 = try floor.agent("lead1", team: "blr", role: "team_lead")
        let boss = Overseer(id: lead1, name: "lead1", teamID: team, isAdmin: false)
        let t0 = utc("2026-07-01T06:00:00Z")
        let oldest = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-3000))
        let middle = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-2000))
        let newest = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-1000))
        let highEnd = try floor.lead(team: "blr", highEnd: true, createdAt: t0.addingTimeInterval(-100))
        let retry = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-4000))
        _ = try floor.query("""
            UPDATE leads SET state = 'retry', tier = NULL, next_action_at = $2::timestamptz, attempts = 1,
                             sla_due_at = $2::timestamptz + interval '5 minutes' WHERE id = $1::bigint
            """, [retry, t0.addingTimeInterval(7200)])
        let c = try floor.connect()
        let signalled = try floorControl.signal(c, lead: newest, kind: .online, note: nil, by: boss, now: t0)
        #expect(signalled.boostUntil == t0.addingTimeInterval(1800))
        #expect(try c.query("SELECT tier FROM leads WHERE id = $1::bigint", [retry]).first?.int("tier") == nil)
        _ = try floorControl.signal(c, lead: retry, kind: .priceRecheck, note: "checked the price again at 11:29", by: boss, now: t0)
        #expect(try c.query("SELECT tier, next_action_at FROM leads WHERE id = $1::bigint", [retry]).first?.int("tier") == 3,
                "a boosted retry is due at once")
        // The claim order: High End (tier 1) first, then the boosted Not Called lead ahead of
        // older ones, then the rest by SLA; the boosted retry leads tier 3.
        let order = try (0..<5).map { _ in try #require(claimed(try queue.claim(c, agent: senior, now: t0.addingTimeInterval(1)))) }
        #expect(order == [highEnd, newest, oldest, middle, retry])

        // A boost runs out at boost_until: the pass puts the lead back in the normal order.
        // (Same SLA deadline, the end of the local day: without the boost, the lower id first.)
        let earlier = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-900))
        let later = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-500))
        _ = try floorControl.signal(c, lead: later, kind: .online, note: nil, by: boss, now: t0)
        #expect(try floorControl.expireBoosts(c, now: t0.addingTimeInterval(1799)) == 0)
        #expect(try floorControl.expireBoosts(c, now: t0.addingTimeInterval(1800)) == 3, "later, and the two claimed above")
        #expect(try claimed(queue.claim(c, agent: senior, now: t0.addingTimeInterval(1801))) == earlier)
        let history = try CallDesk().leadHistory(c, lead: later, now: t0)
        let signal = try #require(history.events.first { $0.kind == "signal" })
        #expect(signal.signal == "online" && signal.agent == "lead1" && signal.boostUntil == t0.addingTimeInterval(1800))
    }

    /// The claim's pool scan stays one index range scan of the hot queue table's
    /// lead_queue_pool in ORDER BY order (no Sort node), with `priority` in the index.
    @Test func theClaimPlanIsAnIndexScanInClaimOrder() async throws {
        let floor = try await Floor.make()
        try floor.team("blr")
        let senior = try floor.agent("sen", team: "blr", role: "senior", capacity: 10)
        try floor.leads(team: "blr", count: 5000, highEndEvery: 7, createdAt: utc("2026-07-01T06:00:00Z"))
        let c = try floor.connect()
        try c.query("ANALYZE leads")
        try c.query("ANALYZE lead_queue")
        try c.query("BEGIN")
        defer { _ = try? c.query("ROLLBACK") }
        let plan = try c.query("EXPLAIN (COSTS OFF) " + SQLFiles.query("claim"), [senior, utc("2026-07-01T06:00:00Z"), Int?.none])
            .rows.compactMap { $0["QUERY PLAN"] }.joined(separator: "\n")
        #expect(plan.contains("Index Scan using lead_queue_pool"), "\(plan)")
        #expect(plan.contains("Index Scan using lead_queue_personal"), "\(plan)")
        let poolPart = plan.components(separatedBy: "CTE pool").last?.components(separatedBy: "CTE claimed").first ?? ""
        #expect(!poolPart.contains("Sort"), "\(plan)")
    }

    /// The batched claim (claim_batch.sql, several agents in one statement) follows the
    /// same order as claim.sql, boosts included, and its pool scan stays in index order.
    @Test func theBatchedClaimHonoursBoostsInIndexOrder() async throws {
        let floor = try await Floor.make()
        let team = try floor.team("blr")
        let s1 = try floor.agent("s1", team: "blr", role: "senior")
        let s2 = try floor.agent("s2", team: "blr", role: "senior")
        let lead1 = try floor.agent("lead1", team: "blr", role: "team_lead")
        let t0 = utc("2026-07-01T06:00:00Z")
        let a = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-3000))
        _ = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-2000))
        let c = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-1000))
        let conn = try floor.connect()
        _ = try floorControl.signal(conn, lead: c, kind: .online, note: nil,
                                    by: Overseer(id: lead1, name: "lead1", teamID: team, isAdmin: false), now: t0)
        let got = try queue.claimBatch(conn, agents: [s1, s2], now: t0)
        #expect(got.map { outcome -> Int64? in if case .claimed(let lead) = outcome { return lead.id } else { return nil } } == [c, a])
        try floor.leads(team: "blr", count: 5000, highEndEvery: 7, createdAt: t0)
        try conn.query("ANALYZE leads")
        try conn.query("ANALYZE lead_queue")
        let plan = try conn.query("EXPLAIN (COSTS OFF) " + SQLFiles.query("claim_batch"), ["{\(s1),\(s2)}", t0, Int?.none])
            .rows.compactMap { $0["QUERY PLAN"] }.joined(separator: "\n")
        let poolPart = plan.components(separatedBy: "CTE pool").last?.components(separatedBy: "CTE pairs").first ?? ""
        #expect(poolPart.contains("Index Scan using lead_queue_pool") && !poolPart.contains("Sort"), "\(plan)")
    }
}
