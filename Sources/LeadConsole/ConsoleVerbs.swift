import Foundation
import LeadCore
import LeadProtocol
import LeadServer
import LeadStore

/// Turns a console form into the protocol's own request and its reply into JSON.
///
/// It exists so the console has no rules of its own: a form's fields are the verb's
/// `key=value` arguments (docs/PROTOCOL.md), `LeadServer.perform` runs them exactly as a
/// connection would (level, team boundary, refusals, audit), and the page shows the reply.
/// The one translation is `KEY_local`: the desk's time pickers (callback time, pickup slot)
/// give a wall-clock time on the team's clock (`2026-06-15T19:00`), sent on as `KEY=` with
/// the team's offset at that time.
enum ConsoleVerbs {
    /// Runs `verb` with `args` (in form order; empty values are left out, as an unsent
    /// key) for `login`; returns the reply as JSON and the login as the verb left it.
    static func run(verb: String, args: [(String, String)], timeZone: String, server: LeadServer,
                    login: inout ConsoleLogin) async -> String {
        var fields: [Field] = []
        for (key, value) in args where !value.trimmingCharacters(in: .whitespaces).isEmpty {
            if key.hasSuffix("_local") {
                fields.append(Field(String(key.dropLast(6)), localTime(value, timeZone: timeZone) ?? value))
            } else {
                fields.append(Field(key, value))
            }
        }
        let words = verb.uppercased().split(whereSeparator: { $0 == " " || $0 == "_" || $0 == "\t" }).joined(separator: " ")
        let request = Request(verb: words, args: fields)
        let reply = await server.perform(request, as: &login)
        return json(reply, now: server.clock.now())
    }

    /// `2026-06-15T19:00` on the clock of `timeZone` as ISO 8601 with its offset
    /// (`2026-06-15T19:00:00+05:30`); nil if it is not such a time.
    static func localTime(_ text: String, timeZone: String) -> String? {
        guard let zone = TimeZone(identifier: timeZone) else { return nil }
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.timeZone = zone
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        parser.dateFormat = trimmed.count > 16 ? "yyyy-MM-dd'T'HH:mm:ss" : "yyyy-MM-dd'T'HH:mm"
        guard let date = parser.date(from: trimmed) else { return nil }
        let writer = DateFormatter()
        writer.locale = Locale(identifier: "en_US_POSIX")
        writer.timeZone = zone
        writer.dateFormat = "yyyy-MM-dd'T'HH:mm:ssxxx"
        return writer.string(from: date)
    }

    /// `{"ok":true,"fields":{…},"rows":[…],"now":…}` or `{"ok":false,"code":…,"message":…,"now":…}`.
    static func json(_ reply: Reply, now: Date) -> String {
        let time = ",\"now\":" + JSON.string(WireDate.format(now)) + "}"
        switch reply {
        case .ok(_, let fields):
            return "{\"ok\":true,\"fields\":" + JSON.object(fields.map { ($0.key, $0.value) }) + time
        case .rows(_, let fields, let rows):
            return "{\"ok\":true,\"fields\":" + JSON.object(fields.map { ($0.key, $0.value) })
                + ",\"rows\":" + JSON.rows(rows.map { $0.map { ($0.key, $0.value) } }) + time
        case .error(_, let code, let message):
            return "{\"ok\":false,\"code\":" + JSON.string(code) + ",\"message\":" + JSON.string(message) + time
        case .hello:
            return "{\"ok\":true,\"fields\":{}" + time
        }
    }

    /// The choices the forms offer, from the domain's own vocabularies (the verb still
    /// checks what is sent).
    static var dispositions: [String] { Disposition.allCases.map(\.rawValue) }
    static var reasons: [String] { NonConversionReason.allCases.map(\.rawValue) }
    static var views: [String] { View.allCases.map(\.rawValue) }
    static var signals: [String] { SignalKind.allCases.map(\.rawValue) }
    static var verbLevels: [String: String] {
        Dictionary(uniqueKeysWithValues: VerbCatalogue.all.map { ($0.verb, $0.role.rawValue) })
    }
}

extension ConsoleLogin {
    /// A team lead or admin: the board is theirs (the verbs still check each action).
    var oversees: Bool { level >= .teamLead }
    var isAdmin: Bool { level == .admin }
    /// Whose numbers the live feed gives this login: its team's, or the floor's (admin).
    var feedScope: FloorFeed.Scope { isAdmin ? .floor : .team(teamID) }
}
