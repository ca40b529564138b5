import Foundation
import LeadCore
import Postgres

/// Which leads LEADS lists (SOP 001 §4A, All Leads: "filter by date/city/device, review
/// notes, check lead sources"). Every filter is optional; nil matches everything. The
/// default is every open lead (All Leads is "all uncompleted leads").
public struct LeadFilter: Sendable, Equatable {
    /// Which states: `open` (not closed; the default), `all`, or one lead state.
    public enum States: String, Sendable, CaseIterable {
        case open, all, new, callback, retry
        case followUp = "follow_up"
        case closed
    }

    /// Leads of this team (nil: the viewer's own team, or every team for an admin).
    public var team: String?
    /// Drop-off days, on each lead's team clock, both inclusive.
    public var from: LocalDay?
    public var to: LocalDay?
    public var city: String?
    public var category: String?
    public var brand: String?
    public var model: String?
    public var source: String?
    public var campaign: String?
    public var states: States = .open
    /// `high_end`, `not_called` or `callback` (open leads only); `all` or nil: any.
    public var view: View?
    /// Leads this agent holds, has in its personal queue, or owns the pending callback of.
    public var agent: String?
    public var breached: Bool?
    /// At most this many rows (1…`LeadList.maxRows`).
    public var rows: Int = LeadList.defaultRows
    /// Where the page starts: the `next` of the previous page.
    public var after: LeadCursor?

    public init() {}
}

/// Where a LEADS page ends: the last row's drop-off time (microseconds since 1970) and id,
/// sent as `<microseconds>-<id>`. Opaque to clients.
public struct LeadCursor: Sendable, Equatable, CustomStringConvertible {
    public let createdAtMicros: Int64
    public let id: Int64

    public init(createdAtMicros: Int64, id: Int64) {
        self.createdAtMicros = createdAtMicros
        self.id = id
    }

    /// Reads a cursor sent back by a client; nil when it is not one.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let at = Int64(parts[0]), let id = Int64(parts[1]) else { return nil }
        self.init(createdAtMicros: at, id: id)
    }

    public var description: String { "\(createdAtMicros)-\(id)" }
}

/// One page of LEADS: the rows and the cursor of the next page (nil when this was the last).
public struct LeadPage: Sendable {
    public let rows: [LeadListRow]
    public let next: LeadCursor?
}

/// One row of LEADS: the lead, the queue it is claimed from, its §11 fields and its last note.
public struct LeadListRow: Sendable, Equatable {
    public let id: Int64
    /// `high_end`, `not_called` or `callback`; nil for a closed lead.
    public let view: String?
    public let fields: LeadFieldValues
    public let lastNote: String?
    public let lastNoteAt: Date?
    public let lastNoteBy: String?
}

extension AgentDirectory.Identity {
    /// The one rule for reading leads (LEAD SHOW, LEADS): an admin (`everyTeam`) reads every
    /// team's leads, anyone else only their own team's (docs/PROTOCOL.md §7).
    public func mayRead(team: Int64, everyTeam: Bool) -> Bool { everyTeam || team == teamID }
}

/// The All Leads list: filters, a stable order, keyset paging (leads_list.sql).
public struct LeadList: Sendable {
    public static let defaultRows = 50
    public static let maxRows = 500

    public init() {}

    /// A page of leads as `reader` may see them: an admin (`readsEveryTeam`) every team's, or
    /// the one `filter.team` names; anyone else their own team's (the rule of LEAD SHOW).
    /// - Throws: NOT_FOUND (no team `filter.team`), DENIED (another team), then as below.
    public func page(_ c: PostgresConnection, filter: LeadFilter, reader: AgentDirectory.Identity, readsEveryTeam: Bool,
                     now: Date) throws -> LeadPage {
        var team: Int64? = readsEveryTeam ? nil : reader.teamID
        if let name = filter.team {
            guard let row = try c.query(SQLFiles.query("floor_team"), [name], prepared: true).first, let id = row.int64("id") else {
                throw Refusal(.notFound, "team: no team \(name)")
            }
            guard reader.mayRead(team: id, everyTeam: readsEveryTeam) else { throw Refusal(.denied, "team: \(name) is another team") }
            team = id
        }
        return try page(c, filter: filter, team: team, now: now)
    }

    /// A page of leads. `team` is the team the caller may read (nil = every team, for an
    /// admin).
    /// - Throws: NOT_FOUND (the agent filter names no agent).
    public func page(_ c: PostgresConnection, filter: LeadFilter, team: Int64?, now: Date) throws -> LeadPage {
        var agentID: Int64?
        if let name = filter.agent {
            guard let row = try c.query(SQLFiles.query("floor_agent"), [name], prepared: true).first,
                  let id = row.int64("id") else {
                throw Refusal(.notFound, "agent: no agent \(name)")
            }
            if let team, row.int64("team_id") != team { throw Refusal(.denied, "agent: \(name) belongs to another team") }
            agentID = id
        }
        let limit = min(max(filter.rows, 1), Self.maxRows)
        let view: String? = filter.view == .allLeads ? nil : filter.view?.rawValue
        let rows = try c.query(SQLFiles.query("leads_list"), [
            team, filter.from?.description, filter.to?.description, filter.city, filter.category, filter.brand, filter.model,
            filter.source, filter.campaign, filter.states.rawValue, view, agentID, filter.breached,
            filter.after?.createdAtMicros, filter.after?.id, limit + 1, now,
        ], prepared: true).rows
        let shown = rows.prefix(limit)
        let out = shown.map { row in
            LeadListRow(id: row.int64("id") ?? 0, view: row["view"], fields: LeadFieldValues(row: row), lastNote: row["last_note"],
                        lastNoteAt: row.date("last_note_at"), lastNoteBy: row["last_note_by"])
        }
        var next: LeadCursor?
        if rows.count > limit, let last = shown.last, let at = last.int64("cursor_at"), let id = last.int64("id") {
            next = LeadCursor(createdAtMicros: at, id: id)
        }
        return LeadPage(rows: out, next: next)
    }
}
