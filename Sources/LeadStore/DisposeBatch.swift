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
    /// a pipeline of `BEGIN` and one `call_lead` for every lead (locked in lead-id order,
    /// so two batches never deadlock), LeadCore's plan for each, then a pipeline of one
    /// `dispose_batch` (dispose.sql for every planned lead in one statement) and `COMMIT`.
    /// Each disposition is checked and written as `dispose` does it (same plan, same
    /// refusals, the same rows and events); a refused one writes nothing and does not
    /// disturb the others.
    /// - Returns: one result per request, in order: the reply, or the `Refusal` (or error)
    ///   that `dispose` would have thrown.
    /// - Throws: when the transaction itself failed (nothing was written): the caller runs
    ///   the requests one by one with `dispose`.
    public func disposeBatch(_ c: PostgresConnection, _ requests: [DisposeRequest], now: Date) throws -> [Result<DispositionResult, any Error>] {
        let order = requests.indices.sorted { requests[$0].lead < requests[$1].lead }
        let locked = order.map { requests[$0] }
        let found = try c.pipeline([
            PipelineStatement("BEGIN", prepared: false),
            PipelineStatement(SQLFiles.query("call_lead"), [locked.map(\.lead), locked.map(\.agent), locked.map(\.lease), now]),
        ])
        func rollback() { if c.isHealthy { _ = try? c.query("ROLLBACK") } }
        guard case .done(let lookup) = found[1] else {
            rollback()
            if case .failed(let e) = found[1] { throw e }
            throw PostgresError(kind: .statement, message: "dispose batch: lookup aborted")
        }
        var rows: [Int64: Row] = [:]
        for row in lookup.rows { if let id = row.int64("id") { rows[id] = row } }
        var results = [Result<DispositionResult, any Error>?](repeating: nil, count: requests.count)
        var writes: [(index: Int, params: [any PostgresBindable], plan: DispositionPlan)] = []
        for i in order {
            let r = requests[i]
            guard let row = rows[r.lead] else {
                results[i] = .failure(try LeadQueue().leaseRefusal(c, lead: r.lead, agent: r.agent, lease: r.lease))
                continue
            }
            do {
                let (params, plan) = try Self.disposeParams(row: row, r, now: now)
                writes.append((i, params, plan))
            } catch {
                results[i] = .failure(error)
            }
        }
        // One dispose_batch.sql for every planned lead: dispose.sql's parameters, each
        // turned into an array with one element per lead (in lead-id order).
        var statements: [PipelineStatement] = []
        if !writes.isEmpty {
            let columns: [any PostgresBindable] = writes[0].params.indices.map { p in writes.map { $0.params[p].postgresText } }
            statements.append(PipelineStatement(SQLFiles.query("dispose_batch"), columns))
        }
        statements.append(PipelineStatement("COMMIT", prepared: false))
        let done = try c.pipeline(statements)
        var written: [Int64: Row] = [:]
        if !writes.isEmpty {
            guard case .done(let q) = done[0] else {
                rollback()
                if case .failed(let e) = done[0] { throw e }
                throw PostgresError(kind: .statement, message: "dispose batch: the write did not run")
            }
            for row in q.rows { if let id = row.int64("id") { written[id] = row } }
        }
        guard case .done = done[statements.count - 1] else {
            rollback()
            if case .failed(let e) = done[statements.count - 1] { throw e }
            throw PostgresError(kind: .statement, message: "dispose batch: COMMIT did not run")
        }
        for w in writes {
            let r = requests[w.index]
            // The leads were locked under these leases, so every one is written; were one
            // missing, the batch has committed without it: report that lead, not the others.
            guard let out = written[r.lead] else {
                results[w.index] = .failure(Refusal(.internal, "dispose batch: lead \(r.lead) was not written"))
                continue
            }
            let counters = w.plan.callState
            results[w.index] = .success(DispositionResult(
                lead: r.lead, disposition: r.code.rawValue, reason: r.reason?.rawValue, state: out["state"] ?? w.plan.next.kind.rawValue,
                nextAt: out.date("next_action_at"), outcome: out["outcome"], attempts: out.int("attempts") ?? counters.attempts,
                attemptsToday: out.int("attempts_today") ?? counters.attemptsToday,
                slaDue: w.plan.slaDeadline == nil ? nil : out.date("sla_due_at"), callbackAt: out.date("callback_at")))
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
