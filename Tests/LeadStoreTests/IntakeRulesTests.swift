import BulkImport
import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// Issue 13, items 7, 8 and 10: who a returning customer's lead belongs to, one catalogue
/// match everywhere, and no drop-off time in the future (docs/RULES.md §12).
@Suite struct IntakeRulesTests {
    static let now = PostgresTime.parse("2026-11-22T06:00:00Z")!
    static let header = "phone,name,city,pincode,category,brand,model,variant,price,source,team,created_at"

    func write(_ text: String) throws -> String {
        let path = "/tmp/llimport-rules-\(getpid())-\(Int.random(in: 0..<1_000_000)).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func draft(team: String, name: String = "Asha Rao", city: String = "Bengaluru", price: String = "7800000",
               brand: String = "Apple", model: String = "iPhone 15 Pro", variant: String = "256GB",
               category: String = "phone") -> LeadIntake.Draft {
        LeadIntake.Draft(phone: "9845012345", name: name, city: city, pincode: "560001", category: category, brand: brand,
                         model: model, variant: variant, price: price, source: "web", team: team)
    }

    func lead(_ c: PostgresConnection, _ id: Int64) throws -> Row {
        try #require(try c.query("""
            SELECT team_id, customer_name, city, quoted_price, high_end, tier, sla_due_at FROM leads WHERE id = $1::bigint
            """, [id]).first)
    }

    func kinds(_ c: PostgresConnection, _ id: Int64) throws -> [String] {
        try c.query("SELECT kind::text AS k FROM lead_events WHERE lead_id = $1::bigint ORDER BY id", [id]).rows.map { $0["k"] ?? "" }
    }

    /// Item 7: team B's LEAD ADD with team A's open customer and device is refused with
    /// LEAD_IN_OTHER_TEAM and changes nothing; the same team's re-check still updates.
    @Test func leadAddNeverRewritesAnotherTeamsLead() async throws {
        let floor = try await Floor.make()
        try floor.team("teamA")
        try floor.team("teamB")
        let agentB = try floor.agent("bala", team: "teamB", role: "team_lead")
        let c = try floor.connect()
        defer { c.close() }
        let store = LeadIntakeStore()
        let a = try store.add(c, draft: draft(team: "teamA"), now: Self.now)
        #expect(a.created)

        do {
            _ = try store.add(c, draft: draft(team: "teamB", name: "Someone Else", city: "Mumbai", price: "100"),
                              now: Self.now.addingTimeInterval(60), agent: agentB, requestID: "b-1")
            Issue.record("team B's intake rewrote or duplicated team A's lead")
        } catch let refusal as Refusal {
            #expect(refusal.code == .leadInOtherTeam)
            #expect(refusal.message.contains("teamA"), "\(refusal)")
        }
        let kept = try lead(c, a.lead)
        #expect(kept["customer_name"] == "Asha Rao" && kept["city"] == "Bengaluru" && kept.int64("quoted_price") == 7_800_000)
        #expect(try kinds(c, a.lead) == ["created"])
        #expect(try c.query("SELECT count(*) AS n FROM leads").first?.int("n") == 1)
        // A refused request records nothing under its id: a retry runs afresh.
        #expect(try c.query("SELECT count(*) AS n FROM requests").first?.int("n") == 0)

        // Team A's own returning customer: a re-check of price, name, pincode and city.
        let again = try store.add(c, draft: draft(team: "teamA", name: "Asha R", city: "Mysuru", price: "7900000"),
                                  now: Self.now.addingTimeInterval(120))
        #expect(!again.created && again.lead == a.lead)
        let rechecked = try lead(c, a.lead)
        #expect(rechecked["customer_name"] == "Asha R" && rechecked["city"] == "Mysuru" && rechecked.int64("quoted_price") == 7_900_000)
        #expect(try kinds(c, a.lead) == ["created", "recheck"])

        // Once team A's lead is closed, team B may take the customer on.
        _ = try c.query("UPDATE leads SET state = 'closed', tier = NULL, outcome = 'not_interested', closed_at = $2::timestamptz WHERE id = $1::bigint",
                        [a.lead, Self.now])
        let b = try store.add(c, draft: draft(team: "teamB"), now: Self.now.addingTimeInterval(180))
        #expect(b.created && b.lead != a.lead)
    }

    /// Item 7, bulk path: `leadline import` rows with team=B for team A's open customer and
    /// device are rejected with their line and reason; team A's lead is untouched, and the
    /// other rows go in.
    @Test func importNeverRewritesAnotherTeamsLead() async throws {
        let floor = try await Floor.make()
        try floor.team("teamA")
        try floor.team("teamB")
        let c = try floor.connect()
        defer { c.close() }
        let a = try LeadIntakeStore().add(c, draft: draft(team: "teamA"), now: Self.now)
        let csv = """
            \(Self.header)
            9845012345,Someone Else,Mumbai,400001,phone,Apple,iPhone 15 Pro,256GB,100,web,teamB,
            9845099999,New Customer,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,teamB,
            9845088888,First Row,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,teamA,
            9845088888,Second Row,Mumbai,400001,phone,Samsung,Galaxy A54,128GB,1500000,web,teamB,
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try LeadImport(batchSize: 10).run(path: path, into: c, now: Self.now.addingTimeInterval(60))
        #expect(s.rows == 4)
        #expect(s.created == 2)
        #expect(s.updated == 0)
        #expect(s.rejected == 2)
        #expect(s.samples.map(\.line) == [2, 5])
        #expect(s.samples.allSatisfy { $0.reason.contains("LEAD_IN_OTHER_TEAM") }, "\(s.samples)")
        #expect(s.samples.first?.reason.contains("team teamA") == true)

        let kept = try lead(c, a.lead)
        #expect(kept["customer_name"] == "Asha Rao" && kept["city"] == "Bengaluru" && kept.int64("quoted_price") == 7_800_000)
        #expect(try kinds(c, a.lead) == ["created"])
        let rows = try c.query("""
            SELECT l.phone, t.name AS team, l.customer_name FROM leads l JOIN teams t ON t.id = l.team_id ORDER BY l.phone, t.name
            """).rows.map { "\($0["phone"]!) \($0["team"]!) \($0["customer_name"]!)" }
        #expect(rows == ["+919845012345 teamA Asha Rao", "+919845088888 teamA First Row", "+919845099999 teamB New Customer"])
    }

    /// Item 8: the catalogue is matched ignoring case and white space at intake, at import
    /// and at CONVERT (one SQL function, catalogue_text).
    @Test func theCatalogueMatchIgnoresCaseAndWhiteSpaceEverywhere() async throws {
        let floor = try await Floor.make()
        try floor.team("blr")
        let c = try floor.connect()
        defer { c.close() }
        let added = try LeadIntakeStore().add(
            c, draft: draft(team: "blr", brand: "apple", model: "iphone  15 pro", variant: "256gb", category: "Phone"), now: Self.now)
        #expect(added.highEnd)
        let row = try lead(c, added.lead)
        #expect(row.bool("high_end") == true && row.int("tier") == 1)
        #expect(row.date("sla_due_at") == Self.now.addingTimeInterval(15 * 60))

        let csv = """
            \(Self.header)
            9845077777,Imported,Bengaluru,560001,Laptop,APPLE,"  MacBook   Air m2 ",256gb,9000000,web,blr,
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try LeadImport().run(path: path, into: c, now: Self.now)
        #expect(s.created == 1 && s.rejected == 0)
        let imported = try #require(try c.query("SELECT high_end, tier, device_id IS NOT NULL AS known FROM leads WHERE phone = '+919845077777'").first)
        #expect(imported.bool("high_end") == true && imported.int("tier") == 1 && imported.bool("known") == true)

        func catalogue(_ category: String, _ brand: String, _ model: String, _ variant: String) throws -> (Bool, Bool) {
            let r = try #require(try c.query(SQLFiles.query("conversion_catalogue"), ["560001", category, brand, model, variant, "Bengaluru"]).first)
            return (r.bool("serviceable") ?? false, r.bool("supported") ?? false)
        }
        #expect(try catalogue(" PHONE", "apple", "IPHONE 15\tPRO", " 256gb ") == (true, true))
        #expect(try catalogue("phone", "nokia", "3310", "BASIC") == (true, false))  // listed, not supported
        #expect(try catalogue("phone", "Apple", "iPhone 15", "256GB") == (true, false))  // not listed
        // The rule itself, in one place.
        #expect(try c.query("SELECT catalogue_text($1::text) AS t", ["  iPhone \t 14\n Pro  "]).first?["t"] == "iphone 14 pro")
    }

    /// Item 10: a created_at more than 5 minutes after now is refused by LEAD ADD (BAD_ARG
    /// naming created_at) and by the import (the row, with its line and reason).
    @Test func aCreatedAtInTheFutureIsRefused() async throws {
        let floor = try await Floor.make()
        try floor.team("blr")
        let c = try floor.connect()
        defer { c.close() }
        let store = LeadIntakeStore()
        do {
            _ = try store.add(c, draft: draft(team: "blr"), createdAt: Self.now.addingTimeInterval(3 * 86_400), now: Self.now)
            Issue.record("a created_at three days ahead was accepted")
        } catch let refusal as Refusal {
            #expect(refusal.code == .badArg)
            #expect(refusal.message.hasPrefix("created_at: in the future"), "\(refusal)")
        }
        #expect(try c.query("SELECT count(*) AS n FROM leads").first?.int("n") == 0)
        // Within the clock-skew allowance it is the customer's time as given.
        let skewed = try store.add(c, draft: draft(team: "blr"), createdAt: Self.now.addingTimeInterval(240), now: Self.now)
        #expect(try lead(c, skewed.lead).date("sla_due_at") == Self.now.addingTimeInterval(240 + 15 * 60))

        let csv = """
            \(Self.header)
            9845066666,Future,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,blr,2026-11-25T06:00:00Z
            9845055555,Skewed,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,blr,2026-11-22T06:04:00Z
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try LeadImport().run(path: path, into: c, now: Self.now)
        #expect(s.created == 1 && s.rejected == 1)
        #expect(s.samples.map(\.line) == [2])
        #expect(s.samples.first?.reason.hasPrefix("created_at: in the future") == true, "\(s.samples)")
    }
}
