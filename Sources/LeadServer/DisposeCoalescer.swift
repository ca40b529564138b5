import Foundation
import LeadCore
import LeadStore
import Postgres
import Synchronization

/// Coalesces concurrent DISPOSEs (without `idem=`) into one transaction each batch:
/// `CallDesk.disposeBatch` pipelines the lease lookups and the writes, two round trips
/// and one commit for up to `maxBatch` dispositions. At most `concurrency` batches run at
/// once; DISPOSEs arriving meanwhile join the next. A batch whose transaction failed is
/// replayed one disposition at a time with `CallDesk.dispose`.
final class DisposeCoalescer: Sendable {
    struct Pending: Sendable {
        let request: DisposeRequest
        let continuation: CheckedContinuation<DispositionResult, any Error>
    }

    private struct State {
        var waiting: [Pending] = []
        var running = 0
    }

    private let state = Mutex(State())
    private let pool: PostgresPool
    private let clock: any FloorClock
    let maxBatch: Int
    let concurrency: Int

    init(pool: PostgresPool, clock: any FloorClock, maxBatch: Int, concurrency: Int) {
        self.pool = pool
        self.clock = clock
        self.maxBatch = max(1, maxBatch)
        self.concurrency = max(1, concurrency)
    }

    /// One disposition, batched with concurrent ones.
    func dispose(_ request: DisposeRequest) async throws -> DispositionResult {
        try await withCheckedThrowingContinuation { continuation in
            let batch: [Pending]? = state.withLock { s in
                s.waiting.append(Pending(request: request, continuation: continuation))
                guard s.running < concurrency else { return nil }
                return Self.take(&s, maxBatch: maxBatch)
            }
            if let batch { launch(batch) }
        }
    }

    private static func take(_ s: inout State, maxBatch: Int) -> [Pending]? {
        guard !s.waiting.isEmpty else { return nil }
        // Each lead once per batch (a second DISPOSE of the same lead waits for the next).
        var batch: [Pending] = []
        var rest: [Pending] = []
        var leads = Set<Int64>()
        for p in s.waiting {
            if batch.count < maxBatch, leads.insert(p.request.lead).inserted { batch.append(p) } else { rest.append(p) }
        }
        s.waiting = rest
        s.running += 1
        return batch
    }

    private func launch(_ first: [Pending]) {
        Task {
            var next: [Pending]? = first
            while let batch = next {
                await run(batch)
                next = state.withLock { s in
                    s.running -= 1
                    return Self.take(&s, maxBatch: maxBatch)
                }
            }
        }
    }

    private func run(_ batch: [Pending]) async {
        let requests = batch.map(\.request)
        let clock = self.clock
        let outcomes: [Result<DispositionResult, any Error>]
        do {
            outcomes = try await pool.withConnection { c in
                let now = clock.now()
                if requests.count > 1 {
                    do {
                        return try CallDesk().disposeBatch(c, requests, now: now)
                    } catch {
                        if !c.isHealthy { throw error }
                    }
                }
                return requests.map { r in
                    Result {
                        try CallDesk().dispose(c, lead: r.lead, agent: r.agent, lease: r.lease, code: r.code, note: r.note,
                                               at: r.at, reason: r.reason, now: now)
                    }
                }
            }
        } catch {
            outcomes = Array(repeating: .failure(error), count: batch.count)
        }
        for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(with: outcome) }
    }
}
