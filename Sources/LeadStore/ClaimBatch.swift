import Foundation
import LeadCore
import Postgres

/// What the batched claim decided for one agent.
public enum BatchClaimOutcome: Sendable, Equatable {
    case claimed(ClaimedLead)
    /// Nothing eligible now (as `ClaimResult.empty`).
    case empty
    /// Not decided by the batch (inactive, at capacity, or other skills than the batch's):
    /// run the single claim for this agent, which also says why.
    case single
}

extension LeadQueue {
    /// The largest batch `claimBatch` takes (the pool scan's LIMIT in claim_batch.sql).
    public static let maxClaimBatch = 64

    /// Claims for several agents of one team at once: one statement, one commit
    /// (`sql/queries/claim_batch.sql`). The result is what `claim` run once per agent in
    /// the given order would hand out: each agent's personal queue first, then pool leads
    /// in claim order, the first agent the best lead. `agents` must not repeat an agent.
    /// - Returns: one outcome per agent, in the order given.
    public func claimBatch(_ c: PostgresConnection, agents: [Int64], now: Date, view: View? = nil) throws -> [BatchClaimOutcome] {
        precondition(!agents.isEmpty && agents.count <= Self.maxClaimBatch, "a claim batch holds 1…\(Self.maxClaimBatch) agents")
        precondition(Set(agents).count == agents.count, "a claim batch names each agent once")
        var limit = 1
        while limit < agents.count { limit *= 2 }
        let sql = Self.batchSQL(limit: limit)
        let tier: Int? = view?.tier?.rawValue
        let ids = "{" + agents.map(String.init).joined(separator: ",") + "}"
        let r = try c.query(sql, [ids, now, tier], prepared: true)
        var byAgent: [Int64: BatchClaimOutcome] = [:]
        for row in r.rows {
            guard let agent = row.int64("agent_id") else { continue }
            switch row["outcome"] {
            case "claimed": byAgent[agent] = .claimed(Self.claimedLead(row))
            case "empty": byAgent[agent] = .empty
            default: byAgent[agent] = .single
            }
        }
        return agents.map { byAgent[$0] ?? .single }
    }

    /// claim_batch.sql with the pool LIMIT set to `limit` (a literal keeps the index-order plan).
    static func batchSQL(limit: Int) -> String {
        let base = SQLFiles.query("claim_batch")
        return limit == 64 ? base : base.replacingOccurrences(of: "LIMIT 64 /* batch */", with: "LIMIT \(limit) /* batch */")
    }
}
