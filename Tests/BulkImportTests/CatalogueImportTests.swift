import BulkImport
import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// `leadline catalogue import|list` on a real PostgreSQL: idempotent, case- and
/// white-space-insensitive, per-row errors with their lines, re-tiering of open leads when
/// the High End list changes, one audit row per import, append-only audit.
@Suite struct CatalogueImportTests {
    func write(_ text: String) throws -> String {
        let path = "/tmp/llcatalogue-\(getpid())-\(Int.random(in: 0..<1_000_000)).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func devicesImportTwiceChangesNothingTheSecondTime() async throws {
        let floor = try await Floor.make()
        try floor.team("blr")
        let open = try floor.lead(team: "blr", createdAt: floor.ago(600))   // Galaxy A54, not High End
        let c = try floor.connect()
        defer { c.close() }
        let csv = """
            category,brand,model,variant,high_end,supported
            phone,Apple,iPhone 16,128GB,1,
            PHONE, samsung ,galaxy  a54,128gb,yes,
            phone,Google,Pixel 9,,0,1
            laptop,Dell,XPS 13,16GB,maybe,
            phone,OnePlus,12,256GB
            tablet,Apple,iPad Pro,512GB,1,1
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try CatalogueImport(batchSize: 2).run(path: path, into: c, now: floor.now)
        #expect(first.kind == "devices")
        #expect(first.rows == 6)
        #expect(first.created == 2, "iPhone 16 and iPad Pro")
        #expect(first.updated == 1, "the Galaxy A54 joins the High End list, whatever the spelling")
        #expect(first.rejected == 3)
        #expect(first.rejects.map(\.line) == [4, 5, 6])
        #expect(first.rejects.map(\.reason) == ["variant: required", "high_end: expected 1, 0, yes, no, true or false",
                                                "row: has 4 fields, header has 6"])
        #expect(first.retiered == 1)
        let lead = try c.query("SELECT high_end, tier FROM leads WHERE id = $1::bigint", [open]).first
        #expect(lead?.bool("high_end") == true && lead?.int("tier") == 1)
        #expect(try c.query("SELECT count(*) AS n FROM devices WHERE catalogue_text(model) = 'galaxy a54'").first?.int("n") == 1)

        let second = try CatalogueImport().run(path: path, into: c, now: floor.now)
        #expect(second.created == 0 && second.updated == 0 && second.unchanged == 3 && second.retiered == 0)
        #expect(try c.query("SELECT count(*) AS n FROM devices").first?.int("n") == 6)
        let audit = try c.query("SELECT action, leads_retiered, entry->>'created' AS created, actor_agent_id FROM catalogue_changes ORDER BY id").rows
        #expect(audit.map { $0["action"] } == ["import_devices", "import_devices"])
        #expect(audit.map { $0.int("leads_retiered") } == [1, 0])
        #expect(audit.first?["created"] == "2" && audit.first?["actor_agent_id"] == nil)

        // The list prints what the import reads back.
        let highEnds = try Catalogue().list(c, .highEnds)
        #expect(Set(highEnds.map { $0[2] }) == ["MacBook Air M2", "iPhone 15 Pro", "iPhone 16", "Galaxy A54", "iPad Pro"])
        #expect(highEnds.allSatisfy { $0[4] == "1" })
        #expect(Catalogue.Listing.devices.header == CatalogueImport.deviceColumns + CatalogueImport.deviceOptionalColumns)

        // The audit is append-only.
        #expect(throws: PostgresError.self) { try c.query("DELETE FROM catalogue_changes") }
    }

    @Test func pincodesImportAndFileErrors() async throws {
        let floor = try await Floor.make()
        let c = try floor.connect()
        defer { c.close() }
        let csv = """
            pincode,category,city
            411001,phone,Pune
            411 002,Phone,Pune
            560001,PHONE,Bangalore
            056001,phone,Nowhere
            411003,phone,
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try CatalogueImport().run(path: path, into: c, now: floor.now)
        #expect(s.kind == "pincodes")
        #expect(s.created == 2 && s.updated == 1 && s.rejected == 2, "\(s.created) \(s.updated) \(s.rejected)")
        #expect(s.rejects.map(\.line) == [5, 6])
        #expect(s.rejects.first?.reason == "pincode: must be 6 digits, not starting with 0")
        let city = try c.query("SELECT city, category FROM serviceable_pincodes WHERE pincode = '560001' AND category = 'phone'").first
        #expect(city?["city"] == "Bangalore", "a known pincode takes the new city, keeping its category spelling")
        #expect(try c.query("SELECT count(*) AS n FROM serviceable_pincodes").first?.int("n") == 5)
        let again = try CatalogueImport().run(path: path, into: c, now: floor.now)
        #expect(again.created == 0 && again.updated == 0 && again.unchanged == 3)

        let bad = try write("pincode,city\n411001,Pune\n")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        #expect(throws: CatalogueImport.FileError.self) { try CatalogueImport().run(path: bad, into: c, now: floor.now) }
        let extra = try write("pincode,category,city,colour\n411001,phone,Pune,red\n")
        defer { try? FileManager.default.removeItem(atPath: extra) }
        do {
            _ = try CatalogueImport().run(path: extra, into: c, now: floor.now)
            Issue.record("an unknown column must stop the import")
        } catch let error as CatalogueImport.FileError {
            #expect(error.description.hasPrefix("unknown column(s): colour"))
        }
    }

    @Test func entriesAreCheckedByOneRule() throws {
        #expect(throws: Refusal(.badArg, "model: required")) {
            try CatalogueEntry.device(category: "phone", brand: "Apple", model: " ", variant: "x")
        }
        #expect(throws: Refusal(.badArg, "category: longer than 200 characters")) {
            try CatalogueEntry.device(category: String(repeating: "c", count: 201), brand: "a", model: "b", variant: "c")
        }
        #expect((try? CatalogueEntry.pincode(" 560 001 ", category: " phone ", city: "Bengaluru"))
                == CatalogueEntry.Pincode(pincode: "560001", category: "phone", city: "Bengaluru"))
        #expect(throws: Refusal(.badArg, "city: required")) { try CatalogueEntry.pincode("560001", category: "phone", city: nil) }
        #expect(try CatalogueEntry.flag("", "high_end") == nil)
        #expect(try CatalogueEntry.flag(" YES ", "high_end") == true)
    }
}
