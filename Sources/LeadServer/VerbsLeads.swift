import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Postgres

// LEADS (All Leads: list, filter, page) and ESCALATION RESOLVE. Arguments are read in
// synopsis order (the first malformed one is the BAD_ARG); the SQL is LeadStore's.
extension Verbs {
    /// The one rule for reading leads (LEAD SHOW, LEADS): an admin reads every team's leads,
    /// anyone else only their own team's (docs/PROTOCOL.md §7).
    func mayRead(team: Int64, session: SessionContext) -> Bool {
        session.agent.mayRead(team: team, everyTeam: session.isAdmin)
    }

    /// LEADS [team=] [from=] [to=] [city=] [category=] [brand=] [model=] [source=]
    /// [campaign=] [state=] [view=] [agent=] [breached=] [rows=] [after=]
    func leads(_ request: Request, session: SessionContext) async throws -> Reply {
        var filter = LeadFilter()
        filter.team = try request.optionalString("team")
        filter.from = try day(request, "from")
        filter.to = try day(request, "to")
        filter.city = try text(request, "city")
        filter.category = try text(request, "category")
        filter.brand = try text(request, "brand")
        filter.model = try text(request, "model")
        filter.source = try text(request, "source")
        filter.campaign = try text(request, "campaign")
        filter.states = try request.optionalEnumValue("state", as: LeadFilter.States.self) ?? .open
        filter.view = try request.optionalEnumValue("view", as: View.self)
        filter.agent = try request.optionalString("agent")
        filter.breached = try request.optionalBool("breached")
        filter.rows = try request.optionalInt("rows", range: 1...LeadList.maxRows) ?? LeadList.defaultRows
        if let after = try request.optionalString("after") {
            guard let cursor = LeadCursor(after) else {
                throw request.badArg("after", "not a cursor; send back the next= of the previous page")
            }
            filter.after = cursor
        }
        if let from = filter.from, let to = filter.to, to < from {
            throw request.badArg("to", "\(to) is before from=\(from)")
        }
        let me = session.agent
        let admin = session.isAdmin
        let chosen = filter
        let page = try await db { c in
            try LeadList().page(c, filter: chosen, reader: me, readsEveryTeam: admin, now: clock.now())
        }
        var header: [Field] = []
        if let next = page.next { header.append(Field("next", next.description)) }
        return .rows(tag: request.tag, fields: header, rows: page.rows.map(Replies.listed))
    }

    /// A `YYYY-MM-DD` argument.
    private func day(_ request: Request, _ key: String) throws(ProtocolError) -> LocalDay? {
        guard let text = try request.optionalString(key) else { return nil }
        guard let day = LocalDay(iso: text) else { throw request.badArg(key, "expected a date YYYY-MM-DD (team time)") }
        return day
    }

    /// A text filter: trimmed; blank is BAD_ARG (leave the key out to match everything).
    private func text(_ request: Request, _ key: String) throws(ProtocolError) -> String? {
        guard let raw = try request.optionalString(key) else { return nil }
        let trimmed = TextTrim.trimmingBlanks(raw)
        guard !trimmed.isEmpty else { throw request.badArg(key, "blank; leave the key out to match everything") }
        return trimmed
    }

    /// ESCALATION RESOLVE escalation= [note=] [idem=]
    func resolveEscalation(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let escalation = try id(request, "escalation")
        let note = try request.optionalString("note")
        let idem = try request.optionalString("idem")
        let resolved = try await db { c in
            try CallDesk().resolveEscalation(c, escalation: escalation, agent: me.id, note: note, requestID: idem, now: clock.now())
        }
        session.logger.info("escalation resolved", metadata: ["escalation": "\(escalation)", "lead": "\(resolved.lead)"])
        return .ok(tag: request.tag, fields: Replies.resolved(resolved))
    }
}
