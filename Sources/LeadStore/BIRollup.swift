import Foundation
import Postgres

/// The BI rollups behind the `bi.*` views (docs/BI.md): `refresh` brings them up to date
/// incrementally — the leads with new events since the last refresh get their facts
/// recomputed, and the agent-days, team-days, periods and cohorts they touch are re-summed.
/// Cheap when little happened; the first call after a bulk load builds everything.
///
/// The server's background pass should call it about once a minute (the views are as of
/// the last refresh; `bi.freshness` says when that was). Several instances may call it:
/// one refreshes, the others return `nil` at once. `now` is a parameter so tests control
/// the clock: deadlines are judged met, missed or still pending at `now`.
public struct BIRollup: Sendable {
    /// What one refresh did.
    public struct Refresh: Sendable, Equatable {
        /// Leads whose facts were recomputed.
        public let leads: Int
        public let agentDays: Int
        public let teamDays: Int
        public let cohortDays: Int
        /// Time spent inside the database.
        public let seconds: Double
    }

    public init() {}

    /// Refreshes the rollups as of `now`; nil when another refresh is running (it holds the
    /// refresh lock, a row lock on `bi_refresh_state` that `leadline_bi` cannot take).
    /// - Parameter overlap: event and lead ids re-read below the settled marks on every run, a
    ///   second guard for ids of transactions that were open at an earlier refresh.
    @discardableResult
    public func refresh(_ c: PostgresConnection, now: Date, overlap: Int = 1000) throws -> Refresh? {
        let r = try c.query(SQLFiles.query("bi_refresh"), [now, max(0, overlap)], prepared: true)
        guard let row = r.first else { return nil }
        return Refresh(leads: row.int("leads") ?? 0, agentDays: row.int("agent_days") ?? 0, teamDays: row.int("team_days") ?? 0,
                       cohortDays: row.int("cohorts") ?? 0, seconds: row.double("seconds") ?? 0)
    }

    /// Records a refresh that could not run (`reason`: `busy`, or `failed: <error>`), so BI
    /// tools see it in `bi.freshness` (`refreshes_skipped`, `last_skipped_at`,
    /// `last_skip_reason`); the server also counts it in a metric and logs it.
    public func recordSkip(_ c: PostgresConnection, now: Date, reason: String) throws {
        try c.query(SQLFiles.query("bi_refresh_skip"), [now, reason], prepared: true)
    }
}
