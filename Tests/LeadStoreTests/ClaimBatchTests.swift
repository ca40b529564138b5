import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// The batched claim (claim_batch.sql) hands out exactly what one claim.sql per agent, in
/// arrival order, would: personal queue first, tiers in order, no lead twice.
@Suite struct ClaimBatchTests {
    let queue = LeadQueue()
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)

    /// A team with High Ends, Not Called leads, a due pool callback and one personal lead.
    func world(_ floor: Floor) throws -> (agents: [Int64], personal: Int64, owner: Int64) {
        try floor.team("blr")
        var agents: [Int64] = []
        for i in 0..<6 { agents.append(try floor.agent("sen\(i)", team: "blr", role: "senior")) }
        for i in 0..<3 { _ = try floor.lead(team: "blr", highEnd: true, createdAt: t0.addingTimeInterval(Double(-600 - i * 60))) }
        for i in 0..<4 { _ = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(Double(-7200 - i * 300))) }
        let callback = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-86_400))
        _ = try floor.query("""
            UPDATE leads SET state = 'callback', tier = NULL, callback_at = $2::timestamptz, next_action_at = $2::timestamptz,
                             sla_due_at = $2::timestamptz + interval '5 minutes', attempts = 1 WHERE id = $1::bigint
            """, [callback, t0.addingTimeInterval(-30)])
        // A lead a team lead assigned to the fourth agent: its personal queue.
        let personal = try floor.lead(team: "blr", createdAt: t0.addingTimeInterval(-60))
        _ = try floor.query("UPDATE leads SET assigned_agent_id = $2::bigint WHERE id = $1::bigint", [personal, agents[3]])
        let c = try floor.connect()
        defer { c.close() }
        #expect(try queue.promoteDue(c, now: t0) == 1)
        return (agents, personal, agents[3])
    }

    /// What one claim per agent, in order, hands out (then rolled back).
    func sequential(_ c: PostgresConnection, _ agents: [Int64], view: View? = nil) throws -> [ClaimResult] {
        try c.query("BEGIN")
        defer { _ = try? c.query("ROLLBACK") }
        return try agents.map { try queue.claim(c, agent: $0, now: t0, view: view) }
    }

    /// The batch, then the single claim for the agents it left to `single` (as the server does).
    func batched(_ c: PostgresConnection, _ agents: [Int64], view: View? = nil) throws -> [ClaimResult] {
        let outcomes = try queue.claimBatch(c, agents: agents, now: t0, view: view)
        return try zip(agents, outcomes).map { agent, outcome in
            switch outcome {
            case .claimed(let lead): .claimed(lead)
            case .empty: .empty
            case .single: try queue.claim(c, agent: agent, now: t0, view: view)
            }
        }
    }

    func ids(_ results: [ClaimResult]) -> [Int64?] {
        results.map { if case .claimed(let l) = $0 { l.id } else { nil } }
    }

    @Test func batchEqualsOneClaimPerAgentInArrivalOrder() async throws {
        let floor = try await Floor.make()
        let (agents, personal, owner) = try world(floor)
        // A paused agent in the middle: the batch leaves it to the single claim, which refuses it.
        let paused = try floor.agent("paused", team: "blr", role: "senior", status: "paused")
        let order = [agents[0], agents[1], paused, agents[2], agents[3], agents[4], agents[5]]
        let c = try floor.connect()
        defer { c.close() }
        let expected = try sequential(c, order)
        let actual = try batched(c, order)
        #expect(ids(actual) == ids(expected))
        #expect(actual == expected)
        // The personal lead went to its owner; the tiers in order: High Ends first.
        let byAgent = Dictionary(uniqueKeysWithValues: zip(order, actual))
        if case .claimed(let lead) = byAgent[owner] { #expect(lead.id == personal) } else { Issue.record("owner got no lead") }
        let views = order.filter { $0 != owner && $0 != paused }.compactMap { agent -> String? in
            if case .claimed(let lead) = byAgent[agent] { return lead.view }
            return nil
        }
        #expect(views == ["high_end", "high_end", "high_end", "not_called", "not_called"])
        if case .refused(let r) = byAgent[paused] { #expect(r.code == .agentNotActive) } else { Issue.record("paused agent was not refused") }
        // Each claim wrote its event with the lease generation; no lead twice.
        let claimedIDs = ids(actual).compactMap { $0 }
        #expect(Set(claimedIDs).count == claimedIDs.count)
        let events = try c.query("SELECT count(*) AS n FROM lead_events WHERE kind = 'claimed'").first?.int("n")
        #expect(events == claimedIDs.count)
        let held = try c.query("SELECT count(*) AS n FROM leads WHERE holder_agent_id IS NOT NULL").first?.int("n")
        #expect(held == claimedIDs.count)
    }

    @Test func batchLargerThanTheQueueAndAViewFilter() async throws {
        let floor = try await Floor.make()
        let (agents, _, _) = try world(floor)
        let more = try (0..<4).map { try floor.agent("extra\($0)", team: "blr", role: "senior") }
        let order = agents + more
        let c = try floor.connect()
        defer { c.close() }
        // view=not_called: 4 Not Called leads in the pool (plus the owner's personal one) for 10 agents.
        let expected = try sequential(c, order, view: .notCalled)
        let actual = try batched(c, order, view: .notCalled)
        #expect(ids(actual) == ids(expected))
        #expect(ids(actual).compactMap { $0 }.count == 5)
        #expect(actual.filter { $0 == .empty }.count == 5)
        // Then without a filter: the rest of the queue, High Ends and the callback, in order.
        let second = try queue.claimBatch(c, agents: more, now: t0)
        let views = second.compactMap { if case .claimed(let l) = $0 { l.view } else { nil } }
        #expect(views == ["high_end", "high_end", "high_end", "callback"])
    }

    @Test func otherEligibilityIsLeftToTheSingleClaimAndNoLeadIsHandedOutTwice() async throws {
        let floor = try await Floor.make()
        let (agents, _, _) = try world(floor)
        let junior = try floor.agent("junior", team: "blr")
        let skilled = try floor.agent("mumbai", team: "blr", role: "senior", cities: ["Mumbai"])
        let c = try floor.connect()
        defer { c.close() }
        let outcomes = try queue.claimBatch(c, agents: [agents[0], junior, skilled, agents[1]], now: t0)
        #expect(outcomes[1] == .single)
        #expect(outcomes[2] == .single)
        guard case .claimed(let a) = outcomes[0], case .claimed(let b) = outcomes[3] else {
            Issue.record("the seniors got no lead: \(outcomes)")
            return
        }
        #expect([a.view, b.view] == ["high_end", "high_end"])
        // The junior's own claim: the best Not Called lead, none of the batch's.
        if case .claimed(let j) = try queue.claim(c, agent: junior, now: t0) {
            #expect(j.view == "not_called")
            #expect(![a.id, b.id].contains(j.id))
        } else {
            Issue.record("the junior got no lead")
        }
        // The agent with other skills gets nothing here (no Mumbai lead).
        #expect(try queue.claim(c, agent: skilled, now: t0) == .empty)
    }
}
