import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// The pipelined disposition batch writes and refuses exactly what one `dispose` per call would.
@Suite struct DisposeBatchTests {
    let queue = LeadQueue()
    let t0 = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18 ~13:36 IST, inside the calling window

    /// Six agents each holding one Not Called lead; the same ids in every fresh database.
    /// The sixth lead went unanswered for four days, so Not Reachable closes it as unreachable.
    func world() async throws -> (Floor, [Int64], [(lead: Int64, lease: Int64)]) {
        let floor = try await Floor.make()
        try floor.team("blr")
        let agents = try (0..<6).map { try floor.agent("a\($0)", team: "blr", role: "senior") }
        for i in 0..<6 { _ = try floor.lead(team: "blr", phone: "+91987654321\(i)", createdAt: t0.addingTimeInterval(Double(-600 - i * 60))) }
        let c = try floor.connect()
        defer { c.close() }
        var held: [(lead: Int64, lease: Int64)] = []
        for a in agents {
            guard case .claimed(let l) = try queue.claim(c, agent: a, now: t0) else { throw Refusal(.internal, "no lead") }
            held.append((l.id, l.lease))
        }
        try c.query("UPDATE leads SET unanswered_since = $1::timestamptz, attempts = 6, first_attempt_at = $1::timestamptz WHERE id = $2::bigint",
                    [t0.addingTimeInterval(-4 * 86_400), held[5].lead])
        return (floor, agents, held)
    }

    func requests(_ agents: [Int64], _ held: [(lead: Int64, lease: Int64)]) -> [DisposeRequest] {
        [
            DisposeRequest(lead: held[0].lead, agent: agents[0], lease: held[0].lease, code: .notReachable, note: "no answer", at: nil, reason: nil),
            DisposeRequest(lead: held[1].lead, agent: agents[1], lease: held[1].lease, code: .callback, note: "call at 7",
                           at: t0.addingTimeInterval(6 * 3600), reason: nil),
            // A stale lease: LEASE_LOST, and the others still go through.
            DisposeRequest(lead: held[2].lead, agent: agents[2], lease: held[2].lease + 1, code: .notInterested, note: "no", at: nil,
                           reason: .priceTooLow),
            // No reason: REASON_REQUIRED from the planner, nothing written.
            DisposeRequest(lead: held[3].lead, agent: agents[3], lease: held[3].lease, code: .notInterested, note: "no", at: nil, reason: nil),
            DisposeRequest(lead: held[4].lead, agent: agents[4], lease: held[4].lease, code: .wrongNumber, note: "wrong", at: nil, reason: nil),
            DisposeRequest(lead: held[5].lead, agent: agents[5], lease: held[5].lease, code: .notReachable, note: "switched off", at: nil, reason: nil),
        ]
    }

    /// Every lead column a disposition writes, and every event, per lead in id order.
    func written(_ c: PostgresConnection) throws -> [[String?]] {
        let leads = try c.query("""
            SELECT id, state::text, outcome, closed_at, next_action_at, tier, assigned_agent_id, reserved_until, callback_at,
                   callback_agent_id, sla_due_at, sla_breached_at, attempts, attempts_today, attempts_day, first_attempt_at,
                   last_attempt_at, last_connected_at, unanswered_since, last_disposition::text, holder_agent_id, lease_gen,
                   lease_expires_at
            FROM leads ORDER BY id
            """).rows.map(\.values)
        let events = try c.query("""
            SELECT lead_id, kind::text, agent_id, at, disposition::text, reason::text, note, lease_gen, request_id, payload::text
            FROM lead_events ORDER BY lead_id, id
            """).rows.map(\.values)
        return leads + events
    }

    @Test func batchEqualsOneDisposePerCall() async throws {
        let now = t0.addingTimeInterval(60)
        // One dispose per call in one database, the batch in another with the same data.
        let (one, agentsA, heldA) = try await world()
        let a = try one.connect()
        defer { a.close() }
        let expected: [Result<DispositionResult, any Error>] = requests(agentsA, heldA).map { r in
            Result {
                try CallDesk().dispose(a, lead: r.lead, agent: r.agent, lease: r.lease, code: r.code, note: r.note, at: r.at,
                                       reason: r.reason, now: now)
            }
        }
        let (floor, agents, held) = try await world()
        #expect(held.map(\.lead) == heldA.map(\.lead))
        let c = try floor.connect()
        defer { c.close() }
        let actual = try CallDesk().disposeBatch(c, requests(agents, held), now: now)
        #expect(actual.count == expected.count)
        for (x, y) in zip(actual, expected) {
            switch (x, y) {
            case (.success(let p), .success(let q)): #expect(p == q)
            case (.failure(let p), .failure(let q)): #expect((p as? Refusal)?.code == (q as? Refusal)?.code)
            default: Issue.record("batch \(x) but one by one \(y)")
            }
        }
        if case .failure(let e) = actual[2] { #expect((e as? Refusal)?.code == .leaseLost) } else { Issue.record("stale lease accepted") }
        if case .failure(let e) = actual[3] { #expect((e as? Refusal)?.code == .reasonRequired) } else { Issue.record("no reason accepted") }
        let rows = try c.query("SELECT id, state::text AS state, holder_agent_id FROM leads ORDER BY id").rows
        let byID = Dictionary(uniqueKeysWithValues: rows.map { ($0.int64("id")!, $0) })
        #expect(byID[held[0].lead]?["state"] == "retry")
        #expect(byID[held[1].lead]?["state"] == "callback")
        #expect(byID[held[2].lead]?.int64("holder_agent_id") == agents[2])
        #expect(byID[held[3].lead]?.int64("holder_agent_id") == agents[3])
        #expect(byID[held[4].lead]?["state"] == "closed")
        #expect(byID[held[5].lead]?["state"] == "closed")
        let events = try c.query("SELECT count(*) AS n FROM lead_events WHERE kind = 'disposition'").first?.int("n")
        #expect(events == 4)
        // The rows and events the batch wrote are those one dispose per call wrote.
        #expect(try written(c) == written(a))
        #expect(try c.query("SELECT count(*) AS n FROM lead_events WHERE kind = 'closed_unreachable' AND lead_id = $1::bigint",
                            [held[5].lead]).first?.int("n") == 1)
        // Nothing is left in a transaction, and the connection is usable.
        #expect(try c.query("SELECT 1 AS one").first?.int("one") == 1)
    }
}
