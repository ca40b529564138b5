import Foundation
import Testing
import LeadProtocol

@Suite("Verb catalogue")
struct CatalogueTests {
    private func validate(_ line: String) -> Result<VerbSpec, ProtocolError> {
        do throws(ProtocolError) {
            return .success(try VerbCatalogue.validate(try RequestParser.parse(line).get()))
        } catch {
            return .failure(error)
        }
    }

    private func error(_ line: String) -> ProtocolError? {
        if case .failure(let error) = validate(line) { return error }
        return nil
    }

    @Test func acceptsWellFormedRequests() throws {
        #expect(try validate("AUTH agent=asha token=t").get().role == .unauthenticated)
        #expect(try validate("claim").get().verb == "CLAIM")
        #expect(try validate("#1 CLAIM wait=30 view=high_end").get().role == .agent)
        #expect(try validate("lead show lead=5").get().verb == "LEAD SHOW")
        #expect(try validate("AGENT SET agent=asha senior=1 cities=Pune,Mumbai").get().role == .teamLead)
        #expect(try validate("DISPOSE lead=1 lease=2 code=callback").get().verb == "DISPOSE")
    }

    @Test func unknownVerb() {
        let e = error("#u FROB x=1")
        #expect(e?.code == .unknownVerb)
        #expect(e?.tag == "u")
        // A missing "=" turns a key into a second verb word; the message says so.
        let hint = error("CLAIM wait")
        #expect(hint?.code == .unknownVerb)
        #expect(hint?.message.contains("CLAIM takes only key=value arguments") == true)
        #expect(error("LEAD")?.code == .unknownVerb)
    }

    @Test func unknownKeyIsBadArgNamingIt() {
        let e = error("#k CLAIM wait=1 colour=red")
        #expect(e?.code == .badArg)
        #expect(e?.tag == "k")
        #expect(e?.message == "colour: unknown key for CLAIM")
    }

    @Test func missingRequiredKeyIsBadArgNamingIt() {
        let e = error("#m TOUCH lead=1")
        #expect(e?.code == .badArg)
        #expect(e?.tag == "m")
        #expect(e?.message == "lease: required")
        // Unknown keys are reported before missing ones.
        #expect(error("TOUCH bogus=1")?.message == "bogus: unknown key for TOUCH")
    }

    @Test func nulInAnyValueIsBadArg() {
        let e = error(#"#n NOTE lead=1 text="a\x00b""#)
        #expect(e?.code == .badArg)
        #expect(e?.message == "text: must not contain NUL")
        #expect(e?.tag == "n")
    }

    @Test func catalogueIsWellFormed() {
        var seen = Set<String>()
        for spec in VerbCatalogue.all {
            #expect(seen.insert(spec.verb).inserted, "duplicate \(spec.verb)")
            #expect(VerbCatalogue.spec(for: spec.verb) == spec)
            let words = spec.verb.split(separator: " ")
            #expect((1...2).contains(words.count))
            #expect(words.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isUppercase } })
            let keys = spec.required + spec.optional
            #expect(Set(keys).count == keys.count, "\(spec.verb) repeats a key")
            #expect(keys.allSatisfy(Wire.isValidKey), "\(spec.verb)")
            #expect(!spec.summary.isEmpty)
        }
        #expect(VerbCatalogue.spec(for: "NOPE") == nil)
        #expect(VerbCatalogue.spec(for: " lead  add ")?.verb == "LEAD ADD")
    }

    @Test func rolesAreOrdered() {
        #expect(Role.unauthenticated < .agent)
        #expect(Role.agent < .teamLead)
        #expect(Role.teamLead < .admin)
        #expect(Role.unauthenticated.rawValue == "none")
        #expect(Role(agentRole: "senior") == .agent)
        #expect(Role(agentRole: "team_lead") == .teamLead)
        #expect(Role(agentRole: "boss") == nil)
    }

    @Test func usageAndHelpRow() throws {
        let claim = try #require(VerbCatalogue.spec(for: "CLAIM"))
        #expect(claim.usage == "CLAIM [wait=] [view=]")
        let touch = try #require(VerbCatalogue.spec(for: "TOUCH"))
        #expect(touch.usage == "TOUCH lead= lease=")
        #expect(touch.helpRow.value("role") == "agent")
        #expect(Reply.rows(tag: nil, rows: [touch.helpRow]).encode().contains(#"usage="TOUCH lead= lease=""#))
    }

    /// docs/PROTOCOL.md is the single source: every verb has a section whose
    /// synopsis is exactly its usage line, and the role it states.
    @Test func protocolDocumentMatchesTheCatalogue() throws {
        let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let doc = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/PROTOCOL.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        for spec in VerbCatalogue.all {
            #expect(text.contains("\n### \(spec.verb)\n"), "no section for \(spec.verb)")
            #expect(text.contains("\n    \(spec.usage)\n"), "no synopsis line `\(spec.usage)`")
            #expect(text.contains("| `\(spec.verb)` | \(spec.role.rawValue) | \(spec.summary) |"), "no summary-table row for \(spec.verb)")
        }
        for code in ProtocolError.Code.allCases {
            #expect(text.contains("| `\(code.rawValue)` |"), "error table lacks \(code.rawValue)")
        }
    }
}
