import BulkImport
import Foundation
import LeadStore
import LeadTesting
import Postgres
import Testing

@Suite struct ImportTests {
    func write(_ text: String) throws -> String {
        let path = "/tmp/llimport-\(getpid())-\(Int.random(in: 0..<1_000_000)).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func goodAndBadRowsGiveTheRightCountsAndReasons() async throws {
        let floor = try await Floor.make()
        try floor.team("blr")
        let csv = """
            phone,name,city,pincode,category,brand,model,variant,price,source,team,created_at,conditions,campaign
            +91 98450 12345,Asha Rao,Bengaluru,560001,phone,Apple,iPhone 15 Pro,256GB,7800000,google_search,blr,2026-11-22T10:15:00+05:30,screen:good;body:ok,iphone_exchange
            9845012346,"Iyer, Bala",Bengaluru,560001,Phone,Samsung,Galaxy A54,128GB,1400000,meta_ads,blr,,"screen:cracked,body:ok",
            12345,Bad Phone,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,meta_ads,blr,,,
            9845012347,Bad Pincode,Bengaluru,056001,phone,Samsung,Galaxy A54,128GB,1400000,meta_ads,blr,,,
            9845012348,No Device,Bengaluru,560001,phone,,,,1400000,meta_ads,blr,,,
            9845012349,Wrong Team,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,meta_ads,nowhere,,,
            9845012350,Bad Time,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,meta_ads,blr,yesterday,,
            9845012345,Asha Rao,Bengaluru,560001,phone,Apple,iPhone 15 Pro,256GB,7900000,google_search,blr,,,
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try floor.connect()
        let now = PostgresTime.parse("2026-11-22T06:00:00Z")!
        let s = try LeadImport(batchSize: 3).run(path: path, into: c, now: now)
        #expect(s.rows == 8)
        #expect(s.created == 2)
        #expect(s.updated == 1)  // the returning customer (same phone and device)
        #expect(s.rejected == 5)
        #expect(s.reasons.keys.contains { $0.hasPrefix("phone:") })
        #expect(s.reasons.keys.contains { $0.hasPrefix("pincode:") })
        #expect(s.reasons.keys.contains { $0.hasPrefix("brand:") })
        #expect(s.reasons["team: no team named nowhere"] == 1)
        #expect(s.reasons["created_at: not ISO 8601 with an offset"] == 1)
        #expect(s.samples.map(\.line).sorted() == [4, 5, 6, 7, 8])

        let leads = try c.query("SELECT phone, customer_name, category, high_end, tier, quoted_price, created_at, conditions FROM leads ORDER BY phone").rows
        #expect(leads.map { $0["phone"] } == ["+919845012345", "+919845012346"])
        #expect(leads[0].bool("high_end") == true)
        #expect(leads[0].int("tier") == 1)
        #expect(leads[0].int64("quoted_price") == 7_900_000)  // updated by the returning customer
        #expect(leads[0].date("created_at") == PostgresTime.parse("2026-11-22T04:45:00Z"))
        #expect(leads[1]["customer_name"] == "Iyer, Bala")
        #expect(leads[1]["category"] == "phone")
        #expect(leads[1]["conditions"] == "screen:cracked,body:ok")
        #expect(leads[0]["conditions"] == "screen:good,body:ok")
        #expect(leads[1].int("tier") == 2)
        let events = try c.query("SELECT kind::text AS k, count(*) AS n FROM lead_events GROUP BY 1 ORDER BY 1").rows.map { "\($0["k"]!)=\($0["n"]!)" }
        #expect(events == ["created=2", "recheck=1"])
    }

    @Test func fileErrorsAreClear() async throws {
        let floor = try await Floor.make()
        let c = try floor.connect()
        let missing = try write("phone,name\n1,2\n")
        defer { try? FileManager.default.removeItem(atPath: missing) }
        #expect(throws: LeadImport.FileError.self) { try LeadImport().run(path: missing, into: c, now: floor.now) }
        let unknown = try write((LeadImport.requiredColumns + ["favourite_colour"]).joined(separator: ",") + "\n")
        defer { try? FileManager.default.removeItem(atPath: unknown) }
        do {
            _ = try LeadImport().run(path: unknown, into: c, now: floor.now)
            Issue.record("unknown column accepted")
        } catch let e as LeadImport.FileError {
            #expect(e.description.contains("favourite_colour"))
        }
    }
}
