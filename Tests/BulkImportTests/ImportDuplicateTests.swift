import BulkImport
import Foundation
import LeadStore
import LeadTesting
import Postgres
import Testing

/// A returning customer twice in one CSV file is imported as if the rows came in
/// separate imports, one after the other.
@Suite struct ImportDuplicateTests {
    func write(_ text: String) throws -> String {
        let path = "/tmp/llimport-dup-\(getpid())-\(Int.random(in: 0..<1_000_000)).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let header = "phone,name,city,pincode,category,brand,model,variant,price,source,team,created_at,conditions,campaign,language"

    @Test func theSameCustomerTwiceInOneFileCreatesThenUpdates() async throws {
        let floor = try await Floor.make()
        try floor.team("blr")
        let csv = """
            \(Self.header)
            9845012345,Asha Rao,Bengaluru,560001,phone,Apple,iPhone 15 Pro,256GB,7800000,google_search,blr,2026-11-22T10:15:00+05:30,screen:good;body:ok,iphone_exchange,kn
            9845012399,Someone Else,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,meta_ads,blr,,,,
            +91 98450 12345,Asha R,Bengaluru,560002,phone,Apple,iPhone 15 Pro,256GB,7900000,google_search,blr,,,,
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try floor.connect()
        defer { c.close() }
        let now = PostgresTime.parse("2026-11-22T06:00:00Z")!
        let s = try LeadImport().run(path: path, into: c, now: now)
        #expect(s.rows == 3)
        #expect(s.created == 2)
        #expect(s.updated == 1)
        #expect(s.rejected == 0)

        let leads = try c.query("""
            SELECT id, customer_name, pincode, quoted_price, created_at, conditions, campaign, language
            FROM leads WHERE phone = '+919845012345'
            """).rows
        #expect(leads.count == 1)
        let lead = try #require(leads.first)
        // The later row's fields win where the merge rule takes them…
        #expect(lead.int64("quoted_price") == 7_900_000)
        #expect(lead["customer_name"] == "Asha R")
        #expect(lead["pincode"] == "560002")
        // …and the first row's optional fields stay when the later row leaves them empty.
        #expect(lead.date("created_at") == PostgresTime.parse("2026-11-22T04:45:00Z"))
        #expect(lead["conditions"] == "screen:good,body:ok")
        #expect(lead["campaign"] == "iphone_exchange")
        #expect(lead["language"] == "kn")

        let id = try #require(lead.int64("id"))
        let events = try c.query("SELECT kind::text AS k FROM lead_events WHERE lead_id = $1::bigint ORDER BY id", [id]).rows.map { $0["k"] ?? "" }
        #expect(events == ["created", "recheck"])
        let rechecks = try c.query("SELECT count(*) AS n FROM lead_events WHERE kind = 'recheck'").first?.int("n")
        #expect(rechecks == 1)
    }

    /// One file gives what two separate imports of its halves give.
    @Test func oneFileMatchesTwoImports() async throws {
        let first = "9845012345,Asha Rao,Bengaluru,560001,phone,Apple,iPhone 15 Pro,256GB,7800000,google_search,blr,2026-11-22T10:15:00+05:30,screen:good,iphone_exchange,kn"
        let second = "9845012345,Asha Rao,Bengaluru,560001,phone,Apple,iPhone 15 Pro,256GB,7700000,google_search,blr,,body:ok,,"
        let third = "9845012345,Asha Rao,Bengaluru,560001,phone,Apple,iPhone 15 Pro,256GB,7600000,google_search,blr,,,,"
        let now = PostgresTime.parse("2026-11-22T06:00:00Z")!
        let query = "SELECT quoted_price, created_at, conditions, campaign, language FROM leads"

        let together = try await Floor.make()
        try together.team("blr")
        let one = try write([Self.header, first, second, third].joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: one) }
        let c1 = try together.connect()
        defer { c1.close() }
        let s1 = try LeadImport().run(path: one, into: c1, now: now)
        #expect(s1.created == 1 && s1.updated == 2 && s1.rejected == 0)

        let apart = try await Floor.make()
        try apart.team("blr")
        let c2 = try apart.connect()
        defer { c2.close() }
        var created = 0, updated = 0
        for row in [first, second, third] {
            let path = try write([Self.header, row].joined(separator: "\n"))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let s = try LeadImport().run(path: path, into: c2, now: now)
            created += s.created
            updated += s.updated
        }
        #expect(created == 1 && updated == 2)

        let a = try c1.query(query).rows.map { [$0["quoted_price"], $0["created_at"], $0["conditions"], $0["campaign"], $0["language"]] }
        let b = try c2.query(query).rows.map { [$0["quoted_price"], $0["created_at"], $0["conditions"], $0["campaign"], $0["language"]] }
        #expect(a.count == 1)
        #expect(a == b)
        #expect(try c1.query(query).first?["conditions"] == "body:ok")
        let events = "SELECT kind::text AS k, count(*) AS n FROM lead_events GROUP BY 1 ORDER BY 1"
        #expect(try c1.query(events).rows.map { "\($0["k"]!)=\($0["n"]!)" } == ["created=1", "recheck=2"])
        #expect(try c2.query(events).rows.map { "\($0["k"]!)=\($0["n"]!)" } == ["created=1", "recheck=2"])
    }

    /// A duplicate whose first row is rejected (unknown team) creates the lead itself.
    @Test func aRejectedFirstRowLeavesTheLaterOneToCreate() async throws {
        let floor = try await Floor.make()
        try floor.team("blr")
        let csv = """
            \(Self.header)
            9845012345,Asha Rao,Bengaluru,560001,phone,Apple,iPhone 15 Pro,256GB,7800000,google_search,nowhere,,,,
            9845012345,Asha Rao,Bengaluru,560001,phone,Apple,iPhone 15 Pro,256GB,7900000,google_search,blr,,,,
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try floor.connect()
        defer { c.close() }
        let s = try LeadImport().run(path: path, into: c, now: PostgresTime.parse("2026-11-22T06:00:00Z")!)
        #expect(s.created == 1 && s.updated == 0 && s.rejected == 1)
        #expect(s.samples.map(\.line) == [2])
        #expect(try c.query("SELECT quoted_price FROM leads").rows.map { $0.int64("quoted_price") } == [7_900_000])
    }

    /// Import rejections name the field once: `phone: expected …`, not `phone: phone: …`.
    @Test func rejectionsNameTheFieldOnce() async throws {
        let floor = try await Floor.make()
        try floor.team("blr")
        let csv = """
            \(Self.header)
            123,Bad Phone,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,meta_ads,blr,,,,
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try floor.connect()
        defer { c.close() }
        let s = try LeadImport().run(path: path, into: c, now: PostgresTime.parse("2026-11-22T06:00:00Z")!)
        #expect(s.rejected == 1)
        #expect(s.reasons == ["phone: expected a 10-digit mobile number, got 3 digits": 1])
        #expect(s.samples.map(\.reason) == ["phone: expected a 10-digit mobile number, got 3 digits"])
    }
}
