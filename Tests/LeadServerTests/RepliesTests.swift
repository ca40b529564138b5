import Foundation
import LeadCore
import LeadProtocol
@testable import LeadServer
@testable import LeadStore
import Postgres
import Testing

/// docs/PROTOCOL.md is the single source of every reply, as it is of the verb catalogue
/// (CatalogueTests): each single-line reply `Replies` writes has exactly the keys of its
/// verb's `Reply:` line, in that order, optional keys (`[key=…]`) only when they have a
/// value, and the literal values the line states (`status=cancelled`); the lead fields
/// follow the §11 table.
@Suite("Replies against PROTOCOL.md")
struct RepliesTests {
    /// One key of a documented reply: `key=<…>` (any value), `key=word` (that value), and
    /// whether it was in brackets.
    struct DocumentedKey: Equatable {
        let key: String
        let literal: String?
        let optional: Bool
    }

    static let document: String = {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let doc = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/PROTOCOL.md")
        return (try? String(contentsOf: doc, encoding: .utf8)) ?? ""
    }()

    /// The `OK …` line of a verb's section: `Reply: \`OK …\`` or an indented `    OK …`
    /// after a line starting `Reply`.
    static func replyLine(_ verb: String) -> String? {
        guard let start = document.range(of: "\n### \(verb)\n") else { return nil }
        let rest = document[start.upperBound...]
        let section = rest.range(of: "\n### ").map { rest[..<$0.lowerBound] } ?? rest
        var afterReply = false
        for line in section.split(separator: "\n", omittingEmptySubsequences: false) {
            if let reply = line.range(of: "Reply: `OK") {
                let text = line[line.index(reply.upperBound, offsetBy: -2)...]
                return String(text.prefix { $0 != "`" })
            }
            if line.hasPrefix("Reply") { afterReply = true; continue }
            if afterReply, line.hasPrefix("    OK") { return String(line.dropFirst(4)) }
        }
        return nil
    }

    /// The keys of a documented `OK …` line (`<lead fields>` expands to §11 after `lead`).
    static func keys(_ verb: String) -> [DocumentedKey] {
        guard let line = replyLine(verb) else { return [] }
        var out: [DocumentedKey] = []
        var rest = Substring(line.dropFirst(2))
        while rest.contains(where: { $0 != " " }) {
            rest = rest.drop { $0 == " " }
            var word: Substring
            if rest.hasPrefix("<lead fields>") {
                out += leadTable.dropFirst().filter { $0 != "holder" && $0 != "held_until" }
                    .map { DocumentedKey(key: $0, literal: nil, optional: true) }
                rest = rest.dropFirst("<lead fields>".count)
                continue
            }
            // A word runs to the next space outside <…>.
            var depth = 0
            var end = rest.startIndex
            while end < rest.endIndex {
                let ch = rest[end]
                if ch == "<" { depth += 1 }
                if ch == ">" { depth -= 1 }
                if ch == " " && depth == 0 { break }
                end = rest.index(after: end)
            }
            word = rest[..<end]
            rest = rest[end...]
            let optional = word.hasPrefix("[")
            if optional { word = word.dropFirst().dropLast() }
            let parts = word.split(separator: "=", maxSplits: 1)
            let value = parts.count == 2 ? String(parts[1]) : ""
            out.append(DocumentedKey(key: String(parts[0]), literal: value.hasPrefix("<") ? nil : value, optional: optional))
        }
        return out
    }

    /// The §11 table's keys, in order (`brand`, `model`, `variant` share a row).
    static let leadTable: [String] = {
        guard let start = document.range(of: "## 11. Lead fields") else { return [] }
        let section = document[start.upperBound...]
        let end = section.range(of: "\n## ")?.lowerBound ?? section.endIndex
        var out: [String] = []
        for line in section[..<end].split(separator: "\n") where line.hasPrefix("| `") {
            let cell = line.dropFirst(2).prefix { $0 != "|" }
            out += cell.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
        }
        return out
    }()

    /// Checks one encoded reply against the documented line: `full` has every optional key
    /// set, `bare` none.
    func check(_ verb: String, full: [Field], bare: [Field]? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let documented = Self.keys(verb)
        #expect(!documented.isEmpty, "no Reply: line for \(verb)", sourceLocation: sourceLocation)
        #expect(full.map(\.key) == documented.map(\.key), "\(verb) with every field", sourceLocation: sourceLocation)
        if let bare {
            #expect(bare.map(\.key) == documented.filter { !$0.optional }.map(\.key), "\(verb) without the optional fields",
                    sourceLocation: sourceLocation)
        }
        for key in documented {
            if let literal = key.literal {
                #expect(full.value(key.key) == literal, "\(verb): \(key.key)=\(literal)", sourceLocation: sourceLocation)
            }
        }
    }

    let t = Date(timeIntervalSince1970: 1_795_000_000)

    var everyLeadField: LeadFieldValues {
        var f = LeadFieldValues()
        f.team = "blr"; f.phone = "+919876543210"; f.name = "Asha"; f.city = "Bengaluru"; f.pincode = "560001"
        f.language = "kn"; f.category = "phone"; f.brand = "Apple"; f.model = "iPhone 14"; f.variant = "128GB"
        f.conditions = "screen:good"; f.price = 2_500_000; f.source = "web"; f.campaign = "diwali"; f.createdAt = t
        f.highEnd = true; f.state = "closed"; f.outcome = "create_order"; f.nextAt = t; f.callbackAgent = "ravi"
        f.attempts = 3; f.attemptsToday = 1; f.lastCode = "callback"; f.starred = true; f.boostUntil = t; f.assigned = "ravi"
        f.holder = "asha"; f.heldUntil = t; f.slaDueAt = t; f.slaBreached = false; f.order = 7
        return f
    }

    @Test func theLeadFieldsFollowTheTable() {
        #expect(Self.leadTable.count == 32 && Self.leadTable.first == "lead" && Self.leadTable.last == "order")
        #expect(["lead"] + Replies.leadFields(everyLeadField, holder: true).map(\.key) == Self.leadTable)
        #expect(Replies.leadFields(LeadFieldValues(), holder: true).isEmpty)
        let history = LeadHistory(id: 1, teamID: 1, state: "closed", orderID: 7, orderStatus: nil, fields: everyLeadField, events: [])
        #expect(Replies.leadShow(history).map(\.key) == Self.leadTable)
    }

    @Test func leases() {
        let claimed = ClaimedLead(id: 1, lease: 2, leaseExpiresAt: t, view: "high_end", fields: everyLeadField)
        check("CLAIM", full: Replies.claimed(claimed))
        check("TOUCH", full: Replies.touched(lead: 1, lease: 2, due: t))
        check("RELEASE", full: Replies.released(ReleaseResult(lead: 1, lease: 2, state: "new")))
    }

    @Test func calls() {
        let closed = DispositionResult(lead: 1, disposition: "not_interested", reason: "price", state: "closed", nextAt: t,
                                       outcome: "not_interested", attempts: 1, attemptsToday: 1, slaDue: t, callbackAt: nil)
        let open = DispositionResult(lead: 1, disposition: "callback", reason: nil, state: "callback", nextAt: nil, outcome: nil,
                                     attempts: 1, attemptsToday: 1, slaDue: nil, callbackAt: nil)
        check("DISPOSE", full: Replies.disposed(closed), bare: Replies.disposed(open))
        let order = OrderResult(order: 9, lead: 1, status: "pending_vendor_assignment", createdBy: 3, price: 100, pickupSlot: t)
        check("CONVERT", full: Replies.converted(order))
        let cancelled = OrderResult(order: 9, lead: 1, status: "cancelled", createdBy: 3, price: 100, pickupSlot: t,
                                    cancelledAt: t, cancelReason: "price dispute")
        check("CANCEL", full: Replies.cancelled(cancelled))
        check("NOTE", full: Replies.noted(NoteResult(lead: 1, event: 5, at: t)))
        let open_ = Escalation(id: 4, lead: 1, team: 1, agent: 3, agentName: "asha", target: "cx", summary: "s", ask: "a",
                               status: "open", createdAt: t, resolvedAt: nil)
        check("ESCALATE", full: Replies.escalated(open_))
        let resolved = Escalation(id: 4, lead: 1, team: 1, agent: 3, agentName: "asha", target: "cx", summary: "s", ask: "a",
                                  status: "resolved", createdAt: t, resolvedAt: t, resolvedBy: "lead", resolution: "done",
                                  ageMinutes: 12)
        check("ESCALATION RESOLVE", full: Replies.resolved(resolved))
        check("LEAD ADD", full: Replies.added(LeadIntakeStore.Added(lead: 1, created: true, highEnd: false, teamID: 1, state: "new")))
    }

    @Test func theFloor() {
        check("ASSIGN", full: Replies.assigned(AssignResult(lead: 1, agent: "asha", revoked: "ravi", changed: true)),
              bare: Replies.assigned(AssignResult(lead: 1, agent: "asha", revoked: nil, changed: true)))
        check("MOVE", full: Replies.moved(MoveResult(moved: 3, skippedHeld: 1, skippedNotSkilled: 1, revoked: 0)))
        check("PAUSE", full: Replies.agentStatus(AgentStatusResult(agent: "asha", status: .paused, returned: nil)))
        check("RESUME", full: Replies.agentStatus(AgentStatusResult(agent: "asha", status: .active, returned: nil)))
        check("DRAIN", full: Replies.agentStatus(AgentStatusResult(agent: "asha", status: .draining, returned: 4)))
        let columns = ["name", "team", "role", "status", "senior", "capacity", "cities", "device_categories", "languages"]
        let row = Row(index: Dictionary(uniqueKeysWithValues: columns.enumerated().map { ($1, $0) }),
                      values: ["asha", "blr", "agent", "active", "t", "2", "{}", "{phone}", "{kn,en}"])
        let settings = AgentSettings(row: row)
        check("AGENT SET", full: Replies.agentSettings(settings))
        #expect(Replies.agentSettings(settings).value("cities") == "" && Replies.agentSettings(settings).value("languages") == "kn,en")
        check("STAR", full: Replies.starred(count: 3))
        check("UNSTAR", full: Replies.starred(count: 0))
        check("SIGNAL", full: Replies.signalled(SignalResult(lead: 1, kind: .paymentFailed, boostUntil: t, assigned: "asha")),
              bare: Replies.signalled(SignalResult(lead: 1, kind: .online, boostUntil: t, assigned: nil)))
        let rules = TeamRuleChanges.limits.map { ($0.key, "1") } + [("call_window", "09:00-21:00")]
        let full = TeamSettings(team: "blr", timeZone: "Asia/Kolkata", starredMode: true, shiftEnd: "18:00:00", juniorHighEnds: false,
                                accountManager: "ravi", rules: rules)
        let bare = TeamSettings(team: "blr", timeZone: "Asia/Kolkata", starredMode: true, shiftEnd: nil, juniorHighEnds: false,
                                accountManager: nil, rules: rules)
        check("TEAM SET", full: Replies.teamSettings(full), bare: Replies.teamSettings(bare))
    }

    @Test func theCatalogueAndTheSession() {
        let device = DeviceChange(id: 1, category: "phone", brand: "Apple", model: "iPhone 14", variant: "128GB", highEnd: true,
                                  supported: true, created: true, retiered: 0)
        check("DEVICE ADD", full: Replies.device(device))
        check("PINCODE ADD", full: Replies.pincode(PincodeChange(pincode: "560001", category: "phone", city: "Bengaluru",
                                                                created: true, retired: false)))
        check("PINCODE RETIRE", full: Replies.pincode(PincodeChange(pincode: "560001", category: "phone", city: "Bengaluru",
                                                                   created: false, retired: true)))
        let me = AgentDirectory.Identity(id: 1, name: "asha", teamID: 1, team: "blr", role: "agent", status: "active", credential: "")
        check("AUTH", full: Replies.loggedIn(me))
        check("PING", full: Replies.pong(t))
    }

    /// The parser of `Reply:` lines itself: a test that cannot fail is a defect.
    @Test func theDocumentParserReadsBracketsAndLiterals() {
        #expect(Self.keys("DISPOSE") == [
            DocumentedKey(key: "lead", literal: nil, optional: false), DocumentedKey(key: "code", literal: nil, optional: false),
            DocumentedKey(key: "state", literal: nil, optional: false), DocumentedKey(key: "next_at", literal: nil, optional: true),
            DocumentedKey(key: "outcome", literal: nil, optional: true),
        ])
        #expect(Self.keys("CANCEL").last == DocumentedKey(key: "status", literal: "cancelled", optional: false))
        #expect(Self.keys("NO SUCH VERB").isEmpty)
    }
}
