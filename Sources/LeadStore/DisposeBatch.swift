import Foundation
import LeadCore
import Postgres

/// One DISPOSE without a request id, for `CallDesk.disposeBatch`.
public struct DisposeRequest: Sendable {
    public let lead: Int64
    public let agent: Int64
    public let lease: Int64
    public let code: Disposition
    public let note: String?
    public let at: Date?
    public let reason: NonConversionReason?

    public init(lead: Int64, agent: Int64, lease: Int64, code: Disposition, note: String?, at: Date?, reason: NonConversionReason?) {
        self.lead = lead
        self.agent = agent
        self.lease = lease
        self.code = code
        self.note = note
        self.at = at
        self.reason = reason
    }
}

extension CallDesk {
    /// Several dispositions (of different agents) in one transaction and two round trips:
    /// a pipeline of `BEGIN` and one `call_lead` per lead (locked in lead-id order, so two
    /// batches never deadlock), LeadCore's plan for each, then a pipeline of one `dispose`
    /// per planned lead and `COMMIT`. Each disposition is checked and written exactly as
    /// `dispose` does it (same statements, same plan, same refusals); a refused one writes
    /// nothing and does not disturb the others.
    /// - Returns: one result per request, in order: the reply, or the `Refusal` (or error)
    ///   that `dispose` would have thrown.
    /// - Throws: when the transaction itself failed (nothing was written): the caller runs
    ///   the requests one by one with `dispose`.
    public func disposeBatch(_ c: PostgresConnection, _ requests: [DisposeRequest], now: Date) throws -> [Result<DispositionResult, any Error>] {
        let order = requests.indices.sorted { requests[$0].lead < requests[$1].lead }
        let lookups = [PipelineStatement("BEGIN", prepared: false)] + order.map { i in
            let r = requests[i]
            return PipelineStatement(SQLFiles.query("call_lead"), [r.lead, r.agent, r.lease, now])
        }
        let found = try c.pipeline(lookups)
        func rollback() { if c.isHealthy { _ = try? c.query("ROLLBACK") } }
        var results = [Result<DispositionResult, any Error>?](repeating: nil, count: requests.count)
        var writes: [(index: Int, statement: PipelineStatement, plan: DispositionPlan)] = []
        for (k, i) in order.enumerated() {
            let r = requests[i]
            guard case .done(let q) = found[k + 1] else {
                rollback()
                if case .failed(let e) = found[k + 1] { throw e }
                throw PostgresError(kind: .statement, message: "dispose batch: lookup aborted")
            }
            guard let row = q.first else {
                results[i] = .failure(try LeadQueue().leaseRefusal(c, lead: r.lead, agent: r.agent, lease: r.lease))
                continue
            }
            do {
                let (params, plan) = try Self.disposeParams(row: row, r, now: now)
                writes.append((i, PipelineStatement(SQLFiles.query("dispose"), params), plan))
            } catch {
                results[i] = .failure(error)
            }
        }
        let done = try c.pipeline(writes.map(\.statement) + [PipelineStatement("COMMIT", prepared: false)])
        for (k, w) in writes.enumerated() {
            guard case .done(let q) = done[k], let out = q.first else {
                rollback()
                if case .failed(let e) = done[k] { throw e }
                throw PostgresError(kind: .statement, message: "dispose batch: write of lead \(requests[w.index].lead) did not complete")
            }
            let r = requests[w.index]
            let counters = w.plan.callState
            results[w.index] = .success(DispositionResult(
                lead: r.lead, disposition: r.code.rawValue, reason: r.reason?.rawValue, state: out["state"] ?? w.plan.next.kind.rawValue,
                nextAt: out.date("next_action_at"), outcome: out["outcome"], attempts: out.int("attempts") ?? counters.attempts,
                attemptsToday: out.int("attempts_today") ?? counters.attemptsToday,
                slaDue: w.plan.slaDeadline == nil ? nil : out.date("sla_due_at"), callbackAt: out.date("callback_at")))
        }
        guard case .done = done[writes.count] else {
            rollback()
            if case .failed(let e) = done[writes.count] { throw e }
            throw PostgresError(kind: .statement, message: "dispose batch: COMMIT did not run")
        }
        return results.map { $0 ?? .failure(Refusal(.internal, "dispose batch: no result")) }
    }

    /// The plan (`DispositionPlanner.plan`) and dispose.sql's parameters for a locked lead
    /// row from call_lead.sql, as `dispose` computes them.
    static func disposeParams(row: Row, _ r: DisposeRequest, now: Date) throws -> ([any PostgresBindable], DispositionPlan) {
        let policy = TeamPolicy(teamRow: row)
        let plan = try DispositionPlanner.plan(
            disposition: r.code, note: r.note, at: r.at, reason: r.reason,
            lead: LeadCallState(leadRow: row), agent: String(r.agent), now: now, policy: policy)
        let counters = plan.callState
        var callbackAt: Date?
        var callbackAgent: Int64?
        if case .callback(let time, _) = plan.next {
            callbackAt = time
            callbackAgent = r.agent
        }
        let outcome: String? = switch plan.next {
        case .closed(let o): o.storedOutcome
        default: nil
        }
        let params: [any PostgresBindable] = [
            r.lead, r.agent, r.lease, now,
            plan.next.kind.rawValue, outcome, plan.next.scheduledAt, callbackAt, callbackAgent, plan.slaDeadline,
            counters.attempts, counters.attemptsToday, counters.attemptsDay?.description, counters.firstAttemptAt,
            counters.lastAttemptAt, counters.lastConnectedAt, counters.unansweredSince,
            r.code.rawValue, r.reason?.rawValue, plan.note, nil as String?, plan.closedUnreachable,
        ]
        return (params, plan)
    }
}
