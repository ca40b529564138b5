import Foundation
import LeadCore
import Postgres

/// A lead's story: LEAD SHOW.
extension CallDesk {
    /// A lead's fields and its history (LEAD SHOW). `attempts_today` counts the team's local
    /// day of `now`, and `holder` shows only while its lease is live at `now`; `events`
    /// limits the history to the most recent N (nil = all; the protocol's default is 100).
    /// - Throws: NOT_FOUND.
    public func leadHistory(_ c: PostgresConnection, lead: Int64, now: Date, events: Int? = nil) throws -> LeadHistory {
        guard let row = try c.query(SQLFiles.query("lead_show"), [lead, now], prepared: true).first else {
            throw Refusal(.notFound, "no lead \(lead)")
        }
        let history = try c.query(SQLFiles.query("lead_events"), [lead, events.map { max(0, $0) }], prepared: true)
        return LeadHistory(id: lead, teamID: row.int64("team_id") ?? 0, state: row["state"] ?? "",
                           orderID: row.int64("order_id"), orderStatus: row["order_status"],
                           fields: LeadFieldValues(row: row), events: history.rows.map(LeadEvent.init(row:)))
    }
}
