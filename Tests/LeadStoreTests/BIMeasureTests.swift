import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// An instant on the wall clock of Asia/Kolkata, on Floor.start's day (Monday 15 June 2026)
/// plus `days`.
private func ist(_ hour: Int, _ minute: Int = 0, days: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Asia/Kolkata")!
    return calendar.date(from: DateComponents(year: 2026, month: 6, day: 15 + days, hour: hour, minute: minute))!
}

private func claim(_ c: PostgresConnection, _ agent: Int64, _ now: Date) throws -> ClaimedLead {
    guard case .claimed(let lead) = try LeadQueue().claim(c, agent: agent, now: now) else {
        throw Refusal(.empty, "nothing to claim for agent \(agent) at \(now)")
    }
    return lead
}

/// Claims at `start` and disposes at `end`.
@discardableResult
private func call(_ c: PostgresConnection, _ agent: Int64, start: Date, end: Date, _ code: Disposition,
                  at: Date? = nil, reason: NonConversionReason? = nil) throws -> Int64 {
    let held = try claim(c, agent, start)
    _ = try CallDesk().dispose(c, lead: held.id, agent: agent, lease: held.lease, code: code,
                               note: "Spoke about the device and the next step with the customer", at: at,
                               reason: reason, now: end)
    return held.id
}

private func setBINow(_ c: PostgresConnection, _ now: Date) throws {
    try c.query("SELECT set_config('leadline.bi_now', $1::text, false)", [PostgresTime.format(now)])
}

@Suite("BI measures what the SOPs mean: notes, future rows, attempts per day, documented columns")
struct BIMeasureTests {
    /// Issue 15 item 6: a NOTE moves a Not Called lead to follow_up, due at once; that is not
    /// a follow-up a call scheduled, so it must not count as an overdue follow-up.
    @Test func aNoteAloneDoesNotMakeALeadOverdue() async throws {
        let floor = try await Floor.make()
        try floor.team("notes")
        let agent = try floor.agent("notes-a", team: "notes")
        let teamLead = try floor.agent("notes-tl", team: "notes", role: "team_lead")
        let c = try floor.connect()
        defer { c.close() }
        let lead = try floor.lead(team: "notes", createdAt: ist(10))
        _ = try CallDesk().addNote(c, lead: lead, agent: teamLead, text: "Customer emailed support asking about the pickup", now: ist(10, 1))
        #expect(try c.query("SELECT state::text AS s FROM leads WHERE id = $1::bigint", [lead]).first?["s"] == "follow_up")
        _ = try BIRollup().refresh(c, now: ist(13))
        try setBINow(c, ist(13))
        let backlog = try c.query("SELECT * FROM bi.backlog_now WHERE team = 'notes'").rows
        try #require(backlog.count == 1)
        #expect(backlog[0].int("follow_ups_overdue") == 0)      // was 1: "overdue" since 10:06 with no deadline behind it
        #expect(backlog[0].int("noted_not_called") == 1)
        #expect(backlog[0].int("not_called") == 0)
        let week = try c.query("SELECT * FROM bi.weekly_snapshot WHERE team = 'notes'").rows
        #expect(week.count == 1 && week.first?.int("follow_ups_overdue_now") == 0)

        // A follow-up a call scheduled (Customer Will Place Order, default 24 h) is overdue
        // once its time + grace has passed.
        let called = try call(c, agent, start: ist(13), end: ist(13, 5), .willPlaceOrder)
        #expect(called == lead)
        try setBINow(c, ist(13, 11, days: 1))
        let later = try c.query("SELECT * FROM bi.backlog_now WHERE team = 'notes'").rows
        #expect(later.first?.int("follow_ups_overdue") == 1 && later.first?.int("noted_not_called") == 0)
        #expect(try c.query("SELECT follow_ups_overdue_now FROM bi.weekly_snapshot WHERE team = 'notes'").first?.int("follow_ups_overdue_now") == 1)
    }

    /// Issue 15 item 6: bi.agent_day held rows for days that had not come yet (a callback
    /// due tomorrow) and rows with every count zero (an agent whose only business that day
    /// was a follow-up, which agent_day does not count).
    @Test func dayViewsHoldNoFutureAndNoEmptyRows() async throws {
        let floor = try await Floor.make()
        try floor.team("days")
        let a = try floor.agent("days-a", team: "days")
        let b = try floor.agent("days-b", team: "days")
        let c = try floor.connect()
        defer { c.close() }
        try floor.lead(team: "days", createdAt: ist(9, 30))
        try floor.lead(team: "days", createdAt: ist(9, 40))
        try call(c, a, start: ist(10), end: ist(10, 3), .callback, at: ist(11, days: 1))   // a: a callback tomorrow 11:00
        try call(c, b, start: ist(10, 5), end: ist(10, 8), .waitingForQuote)              // b: a follow-up tomorrow 10:08
        _ = try BIRollup().refresh(c, now: ist(12))
        // The rollup keeps tomorrow's rows (they hold the pending callback and follow-up) ...
        #expect(try c.query("SELECT count(*) AS n FROM bi_agent_day WHERE day = '2026-06-16'").first?.int("n") == 2)
        // ... but no view shows a day that has not come yet.
        for (view, column) in [("agent_day", "day"), ("team_day", "day"), ("follow_up_discipline", "day"), ("sla_compliance", "day"),
                               ("sales_dashboard", "day"), ("attempts_per_day", "day")] {
            // Fixed view names of this test.
            let n = try c.query("SELECT count(*) AS n FROM bi.\(view) WHERE team = 'days' AND \(column) > '2026-06-15'").first?.int("n")
            #expect(n == 0, "bi.\(view) has \(n ?? -1) rows after the refresh's local day")
        }
        #expect(try c.query("SELECT count(*) AS n FROM bi.weekly_snapshot WHERE team = 'days' AND week > '2026-06-15'").first?.int("n") == 0)

        // Two days later nobody has called: tomorrow's callback is missed (a's row), and b's
        // only business that day was a missed follow-up: no agent_day row (it would be all
        // zeros), but a follow_up_discipline row.
        _ = try BIRollup().refresh(c, now: ist(12, days: 2))
        let aRow = try c.query("SELECT * FROM bi.agent_day WHERE agent = 'days-a' AND day = '2026-06-16'").rows
        #expect(aRow.count == 1 && aRow.first?.int("callbacks_missed") == 1 && aRow.first?.int("calls_made") == 0)
        #expect(try c.query("SELECT count(*) AS n FROM bi.agent_day WHERE agent = 'days-b' AND day = '2026-06-16'").first?.int("n") == 0)
        #expect(try c.query("SELECT count(*) AS n FROM bi_agent_day WHERE agent_id = $1::bigint AND day = '2026-06-16'", [b]).first?.int("n") == 1)
        #expect(try c.query("""
            SELECT count(*) AS n FROM bi.agent_day
            WHERE calls_made = 0 AND callbacks_due = 0 AND callbacks_pending = 0 AND first_attempts = 0
            """).first?.int("n") == 0)
        let followUp = try c.query("SELECT * FROM bi.follow_up_discipline WHERE agent = 'days-b' AND day = '2026-06-16'").rows
        #expect(followUp.count == 1 && followUp.first?.int("missed") == 1)
        // The week still counts both agents' calls and a's missed callback.
        let week = try c.query("SELECT * FROM bi.team_week WHERE team = 'days'").rows
        #expect(week.count == 1 && week.first?.int("calls_made") == 2 && week.first?.int("callbacks_missed") == 1)
    }

    /// SOP 000 "attempt at least 3 times/day": per team and day, over the leads called and
    /// not reached, with the team's attempts_per_day setting.
    @Test func attemptsPerLeadPerDayUseTheTeamsSetting() async throws {
        let floor = try await Floor.make()
        let c = try floor.connect()
        defer { c.close() }
        let queue = LeadQueue()
        var agents: [String: Int64] = [:]
        for name in ["attA", "attB", "attC", "attD", "attE", "attF"] {
            try floor.team(name)
            agents[name] = try floor.agent("\(name)-agent", team: name)
        }
        try c.query("UPDATE teams SET max_attempts_per_day = 2 WHERE name = 'attF'")
        // A: three unanswered attempts, 2 hours apart (owed 3: met, and at the setting).
        try floor.lead(team: "attA", createdAt: ist(9, 30))
        try call(c, agents["attA"]!, start: ist(10), end: ist(10, 1), .notReachable)
        _ = try queue.tick(c, now: ist(12, 1))
        try call(c, agents["attA"]!, start: ist(12, 1), end: ist(12, 2), .notReachable)
        _ = try queue.tick(c, now: ist(14, 2))
        try call(c, agents["attA"]!, start: ist(14, 2), end: ist(14, 3), .notReachable)
        // B: arrived at 19:30, tried at 19:36; the window closes at 21:00, so one attempt was
        // all the 2-hour spacing left room for (owed 1: met, below the setting).
        try floor.lead(team: "attB", createdAt: ist(19, 30))
        try call(c, agents["attB"]!, start: ist(19, 35), end: ist(19, 36), .notReachable)
        // C: one unanswered attempt in the morning, then nobody called again (owed 3: not met).
        try floor.lead(team: "attC", createdAt: ist(10))
        try call(c, agents["attC"]!, start: ist(10, 30), end: ist(10, 31), .notReachable)
        // D: reached on the second attempt: not an unreached day.
        try floor.lead(team: "attD", createdAt: ist(10))
        try call(c, agents["attD"]!, start: ist(11), end: ist(11, 1), .notReachable)
        _ = try queue.tick(c, now: ist(13, 1))
        try call(c, agents["attD"]!, start: ist(13, 1), end: ist(13, 3), .callback, at: ist(11, days: 1))
        // E: a wrong number needs no more attempts.
        try floor.lead(team: "attE", createdAt: ist(10))
        try call(c, agents["attE"]!, start: ist(10, 40), end: ist(10, 41), .wrongNumber)
        // F: the team's setting is 2 a day; two attempts meet it.
        try floor.lead(team: "attF", createdAt: ist(10))
        try call(c, agents["attF"]!, start: ist(10), end: ist(10, 1), .notReachable)
        _ = try queue.tick(c, now: ist(12, 1))
        try call(c, agents["attF"]!, start: ist(12, 1), end: ist(12, 2), .notReachable)

        // Today is not a complete day yet: no row until the refresh is past midnight.
        _ = try BIRollup().refresh(c, now: ist(22))
        #expect(try c.query("SELECT count(*) AS n FROM bi.attempts_per_day").first?.int("n") == 0)
        _ = try BIRollup().refresh(c, now: ist(0, 5, days: 1))
        let rows = try c.query("SELECT * FROM bi.attempts_per_day WHERE day = '2026-06-15' ORDER BY team").rows
        var got: [String: String] = [:]
        for row in rows {
            got[row["team"]!] = "\(row["attempts_per_day"]!) \(row["leads_unreached"]!)/\(row["leads_owed_met"]!)/\(row["leads_at_setting"]!) \(row["attempts"]!)"
        }
        #expect(got == ["attA": "3 1/1/1 3", "attB": "3 1/1/0 1", "attC": "3 1/0/0 1", "attF": "2 1/1/1 2"])
        let total = try c.query("""
            SELECT sum(leads_unreached) AS n, round(100.0 * sum(leads_owed_met) / sum(leads_unreached), 1) AS pct,
                   round(100.0 * sum(leads_at_setting) / sum(leads_unreached), 1) AS at_setting
            FROM bi.attempts_per_day WHERE team IN ('attA', 'attB', 'attC')
            """).first
        #expect(total?.int("n") == 3 && total?.double("pct") == 66.7 && total?.double("at_setting") == 33.3)
        let b = try c.query("SELECT * FROM bi.attempts_per_day WHERE team = 'attB'").first
        #expect(b?.double("compliance_pct") == 100.0 && b?.double("at_setting_pct") == 0.0 && b?["time_zone"] == "Asia/Kolkata")
    }

    /// For BI tools: every column of every view has a comment (unit and grain), no column is
    /// an interval (durations are numeric minutes), and every view with team-local days,
    /// weeks or months carries the team's time_zone.
    @Test func everyViewColumnIsDocumentedForBITools() async throws {
        let floor = Floor(conninfo: try await TestCluster.shared.database())
        let c = try floor.connect()
        defer { c.close() }
        let columns = try c.query("""
            SELECT c.table_name AS v, c.column_name AS col, c.data_type AS type,
                   col_description(format('bi.%I', c.table_name)::regclass, c.ordinal_position::int) AS comment
            FROM information_schema.columns c WHERE c.table_schema = 'bi' ORDER BY 1, c.ordinal_position
            """).rows
        #expect(columns.count > 300)
        for col in columns {
            let name = "bi.\(col["v"]!).\(col["col"]!)"
            let comment = col["comment"] ?? ""
            #expect(comment.count >= 20 && comment.contains("Row: "), "\(name): comment \(comment.debugDescription)")
            #expect(col["type"] != "interval", "\(name) is an interval; durations are numeric minutes")
            if col["col"]!.hasSuffix("_min") { #expect(col["type"] == "numeric", "\(name) is \(col["type"]!)") }
        }
        let byView = Dictionary(grouping: columns, by: { $0["v"]! }).mapValues { Set($0.map { $0["col"]! }) }
        for (view, cols) in byView where !cols.isDisjoint(with: ["day", "week", "month"]) {
            #expect(cols.contains("time_zone"), "bi.\(view) has team-local periods but no time_zone column")
        }
    }
}
