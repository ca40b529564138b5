import Foundation
import LeadStore
import Logging
import Postgres

extension BackgroundPasses {
    /// A BI refresh that could not run (docs/BI.md, "How current the numbers are"): counted
    /// in `leadline_bi_refresh_skipped_total{reason}`, logged as a warning, and recorded in
    /// the database for `bi.freshness` (best effort: when the database itself is the
    /// problem, the metric and the log still say so).
    /// - Parameters:
    ///   - reason: `busy` (another refresh held the refresh lock) or `failed`.
    ///   - error: the failure, for `failed`.
    ///   - logged: false to skip the warning (a failure already logged in this streak).
    func biRefreshSkipped(reason: String, error: (any Error)? = nil, now: Date, logged: Bool = true) async {
        metrics.biRefreshSkipped(reason: reason)
        if logged {
            var metadata: Logger.Metadata = ["reason": "\(reason)"]
            if let error { metadata["error"] = "\(error)" }
            logger.warning("BI refresh could not run; the bi.* rollup views keep their last numbers", metadata: metadata)
        }
        let detail = error.map { "\(reason): \($0)" } ?? reason
        _ = try? await pool.withConnection { c in try BIRollup().recordSkip(c, now: now, reason: detail) }
    }
}
