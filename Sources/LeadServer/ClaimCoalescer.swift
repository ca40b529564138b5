import Foundation
import LeadCore
import LeadStore
import Postgres
import Synchronization

/// Coalesces concurrent CLAIMs of one team (and one `view=`) into batched claim
/// statements: one statement and one commit for up to `maxBatch` agents
/// (`LeadQueue.claimBatch`, which hands out exactly what one claim per agent in arrival
/// order would).
///
/// At most `concurrency` claim statements run at once, and at most one per team and view
/// (two statements of one team would scan the head of the same index and step over each
/// other's locked rows); claims that arrive meanwhile wait and go together into the next
/// statement, so a quiet floor claims one at a time with no added delay, and a busy floor
/// claims in batches as large as the queue that built up (group commit for claims). Agents the batch does not decide (inactive, at capacity,
/// other skills) and every agent of a batch that failed get the single claim.
final class ClaimCoalescer: Sendable {
    struct Key: Hashable, Sendable {
        let team: Int64
        let tier: Int?
    }

    struct Pending: Sendable {
        let agent: Int64
        let view: View?
        let enqueued: ContinuousClock.Instant
        let continuation: CheckedContinuation<ClaimAttempt, any Error>
    }

    private struct State {
        var queues: [Key: [Pending]] = [:]
        /// Keys with waiting claims, oldest first.
        var order: [Key] = []
        /// Keys with a statement running.
        var runningKeys: Set<Key> = []
        var running = 0
    }

    private let state = Mutex(State())
    private let pool: PostgresPool
    private let metrics: ServerMetrics
    private let clock: any FloorClock
    let maxBatch: Int
    let concurrency: Int

    init(pool: PostgresPool, metrics: ServerMetrics, clock: any FloorClock, maxBatch: Int, concurrency: Int) {
        self.pool = pool
        self.clock = clock
        self.metrics = metrics
        self.maxBatch = max(1, min(maxBatch, LeadQueue.maxClaimBatch))
        self.concurrency = max(1, concurrency)
    }

    /// One agent's claim, batched with others of the same team and view.
    func claim(agent: Int64, team: Int64, view: View?) async throws -> ClaimAttempt {
        let key = Key(team: team, tier: view?.tier?.rawValue)
        return try await withCheckedThrowingContinuation { continuation in
            let pending = Pending(agent: agent, view: view, enqueued: .now, continuation: continuation)
            let batch: (Key, [Pending])? = state.withLock { s in
                if s.queues[key] == nil { s.order.append(key) }
                s.queues[key, default: []].append(pending)
                guard s.running < concurrency else { return nil }
                return Self.take(&s, maxBatch: maxBatch)
            }
            if let batch { launch(batch) }
        }
    }

    /// Takes the next batch: the waiting claims of the oldest key without a running
    /// statement, each agent once, up to `maxBatch`.
    private static func take(_ s: inout State, maxBatch: Int) -> (Key, [Pending])? {
        guard let index = s.order.firstIndex(where: { !s.runningKeys.contains($0) }) else { return nil }
        let key = s.order.remove(at: index)
        var waiting = s.queues.removeValue(forKey: key) ?? []
        var batch: [Pending] = []
        var seen = Set<Int64>()
        var rest: [Pending] = []
        for p in waiting {
            if batch.count < maxBatch, seen.insert(p.agent).inserted { batch.append(p) } else { rest.append(p) }
        }
        waiting = rest
        if !waiting.isEmpty {
            s.queues[key] = waiting
            s.order.append(key)
        }
        guard !batch.isEmpty else { return nil }
        s.running += 1
        s.runningKeys.insert(key)
        return (key, batch)
    }

    private func launch(_ first: (Key, [Pending])) {
        Task {
            var next: (Key, [Pending])? = first
            while let (key, batch) = next {
                await run(batch)
                next = state.withLock { s in
                    s.running -= 1
                    s.runningKeys.remove(key)
                    return Self.take(&s, maxBatch: maxBatch)
                }
            }
        }
    }

    /// Runs one batch and answers every claim in it.
    private func run(_ batch: [Pending]) async {
        let metrics = self.metrics
        metrics.claimBatchSize.record(Double(batch.count))
        let view = batch[0].view
        let agents = batch.map(\.agent)
        let clock = self.clock
        let outcomes: [Result<ClaimAttempt, any Error>]
        do {
            outcomes = try await pool.withConnection { c in
                let now = clock.now()
                if agents.count == 1 {
                    return [Result { try Self.single(c, agent: agents[0], view: view, now: now) }]
                }
                let decided: [BatchClaimOutcome]
                do {
                    decided = try LeadQueue().claimBatch(c, agents: agents, now: now, view: view)
                } catch {
                    // E.g. a concurrent claim by one of the agents on another instance hit the
                    // capacity trigger: the statement rolled back; claim one by one.
                    return agents.map { agent in Result { try Self.single(c, agent: agent, view: view, now: now) } }
                }
                return zip(agents, decided).map { agent, outcome in
                    switch outcome {
                    case .claimed(let lead): .success(.claimed(lead))
                    case .empty: .success(.empty)
                    case .single: Result { try Self.single(c, agent: agent, view: view, now: now) }
                    }
                }
            }
        } catch {
            outcomes = Array(repeating: .failure(error), count: batch.count)
        }
        let done = ContinuousClock.now
        for (pending, outcome) in zip(batch, outcomes) {
            metrics.claimLatency.record(done - pending.enqueued)
            pending.continuation.resume(with: outcome)
        }
    }

    private static func single(_ c: PostgresConnection, agent: Int64, view: View?, now: Date) throws -> ClaimAttempt {
        switch try LeadQueue().claim(c, agent: agent, now: now, view: view) {
        case .claimed(let lead): .claimed(lead)
        case .empty: .empty
        case .refused(let refusal): .refused(refusal)
        }
    }
}
