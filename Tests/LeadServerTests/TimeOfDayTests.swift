import Foundation
import LeadProtocol
import LeadServer
import LeadTesting
import Testing

/// The server reads time only from its injected clock, so what it does depends on the
/// floor's time and never on the hour the tests run at. moveWithAndWithoutForce used to
/// fail around 18:30 UTC (local midnight in Asia/Kolkata): leads created "15 minutes ago"
/// by the machine's clock had crossed the same-day SLA by the time the SLA watcher ran.
/// Here the floor stands just before, at and just after that midnight (and mid-morning):
/// leads within their SLA get no breach events and a forced MOVE tells the same story at
/// every instant; the same-day SLA flips at local midnight of the floor's clock.
///
/// On the old code path (passes and verbs reading `Date()`), every lead below would be
/// months overdue by the machine's clock, and the within-SLA leads would get breach events.
@Suite("Time of day: the server runs on its clock")
struct TimeOfDayTests {
    static let instants = [
        "2026-06-15T18:29:59Z",  // 23:59:59 in Asia/Kolkata
        "2026-06-15T18:30:00Z",  // 18:30 UTC: local midnight
        "2026-06-15T18:30:01Z",  // 00:00:01
        "2026-06-15T18:45:00Z",  // 00:15: leads created 15 minutes earlier are yesterday's
        "2026-06-15T04:30:00Z",  // 10:00 (Floor.start)
    ]

    static let kolkata: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Kolkata")!
        return calendar
    }()

    /// The same-day SLA of a Not Called lead, worked out here with Foundation's calendar
    /// (not the service's SQL): the next local midnight after its creation.
    static func endOfLocalDay(_ created: Date) -> Date {
        kolkata.date(byAdding: .day, value: 1, to: kolkata.startOfDay(for: created))!
    }

    @Test(arguments: instants)
    func slaAndForcedMoveAtAnyHour(_ instant: String) async throws {
        let t = try #require(Wire.parseTime(instant))
        let floor = try await Floor.make(at: t)
        try floor.team("north")  // Asia/Kolkata, High-End SLA 15 minutes
        try floor.agent("lead1", team: "north", role: "team_lead")
        try floor.agent("asha", team: "north")
        try floor.agent("vik", team: "north", capacity: 5)
        let fresh = try floor.lead(team: "north", createdAt: t)
        let untouched = try floor.lead(team: "north", createdAt: t)
        let quarter = try floor.lead(team: "north", createdAt: t.addingTimeInterval(-900))
        let yesterday = try floor.lead(team: "north", createdAt: t.addingTimeInterval(-25 * 3600))
        let highEndFresh = try floor.lead(team: "north", highEnd: true, createdAt: t.addingTimeInterval(-14 * 60))
        let highEndLate = try floor.lead(team: "north", highEnd: true, createdAt: t.addingTimeInterval(-16 * 60))

        // The SLA watcher marks a deadline at or before the pass's time (sla_watch.sql).
        var overdue: Set<Int64> = [yesterday, highEndLate]
        if Self.endOfLocalDay(t.addingTimeInterval(-900)) <= t { overdue.insert(quarter) }
        func breached() throws -> Set<Int64> {
            Set(try floor.query("SELECT lead_id FROM lead_events WHERE kind IN ('sla_breached', 'callback_missed')")
                .rows.compactMap { $0.int64("lead_id") })
        }

        // The server's first background pass runs at once, at the floor's time `t`.
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        #expect(try await eventually { try server.backgroundPasses() >= 1 })
        #expect(floor.now == t, "nothing moved the clock")
        #expect(try breached() == overdue, "\(instant): only the leads past their SLA at \(instant)")
        #expect(!overdue.contains(fresh) && !overdue.contains(highEndFresh))

        // moveWithAndWithoutForce's story, at this instant.
        let lead1 = try await server.login("lead1")
        #expect(try await lead1.call("ASSIGN lead=\(fresh) agent=asha") == ["OK lead=\(fresh) agent=asha"])
        let asha = try await server.login("asha")
        let claim = try await asha.call("CLAIM")
        #expect(value(claim.first, "lead") == String(fresh), "\(claim)")
        let lease = try #require(value(claim.first, "lease"))
        #expect(try await lead1.call("MOVE from=asha to=vik force=1")
                == ["OK moved=1 skipped=0 skipped_held=0 skipped_not_skilled=0 revoked=1"])
        #expect(code(try await asha.call("TOUCH lead=\(fresh) lease=\(lease)").first) == "LEASE_LOST")
        let show = Array(try await lead1.call("LEAD SHOW lead=\(fresh)").dropFirst().dropLast())
        #expect(show.compactMap { value($0, "kind") } == ["created", "assigned", "claimed", "revoked", "moved"], "\(instant): \(show)")
        #expect(try breached() == overdue)

        // The same-day SLA ends at local midnight of the floor's clock, not of the machine's:
        // a minute before it nothing changes, just after it the untouched lead is overdue.
        // (Skipped when `t` is already within that minute: the first pass covered it.)
        let midnight = Self.endOfLocalDay(t)
        let before = midnight.addingTimeInterval(-60)
        if before > t {
            floor.clock.set(to: before)
            try await server.runPasses()
            var due = overdue
            if t.addingTimeInterval(60) <= before { due.insert(highEndFresh) }  // its 15 minutes ran out too
            #expect(try breached() == due, "\(instant): a minute before local midnight")
        }
        floor.clock.set(to: midnight.addingTimeInterval(1))
        try await server.runPasses()
        #expect(try breached().contains(untouched), "\(instant): past local midnight")
        #expect(try breached().isSuperset(of: overdue.union([quarter])))
        try await server.stop()
    }
}
