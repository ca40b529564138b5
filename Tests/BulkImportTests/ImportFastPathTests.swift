import BulkImport
import Foundation
import LeadStore
import LeadTesting
import Postgres
import Testing

/// The import's set-based path (issue 16 item 3): one statement per pass sorts the rows
/// into new leads, re-checks and other teams' customers; a pass that races another
/// session falls back to the row-by-row upsert. Either way the rules of docs/RULES.md §12
/// hold and every row is counted once.
@Suite struct ImportFastPathTests {
    static let now = PostgresTime.parse("2026-11-22T06:00:00Z")!
    static let header = "phone,name,city,pincode,category,brand,model,variant,price,source,team,created_at,conditions"

    func write(_ text: String) throws -> String {
        let path = "/tmp/llimport-fast-\(getpid())-\(Int.random(in: 0..<1_000_000)).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func events(_ c: PostgresConnection) throws -> [String] {
        try c.query("SELECT kind::text AS k, count(*) AS n FROM lead_events GROUP BY 1 ORDER BY 1").rows.map { "\($0["k"]!)=\($0["n"]!)" }
    }

    /// New customers, a returning customer in the same batch and in a later batch, another
    /// team's customer, an unknown team and a bad row, over batches of two rows: exact
    /// counts, one lead per customer and device, events, High End from a case-insensitive
    /// catalogue match, and no pass needed the fallback.
    @Test func mixedBatchesKeepEveryRule() async throws {
        let floor = try await Floor.make()
        try floor.team("teamA")
        try floor.team("teamB")
        let c = try floor.connect()
        defer { c.close() }
        let csv = """
            \(Self.header)
            9845000001,Asha,Bengaluru,560001,PHONE,apple,IPHONE 15  PRO,256gb,7800000,web,teamA,,screen:good
            9845000002,Bala,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,teamA,,
            9845000001,Asha R,Mysuru,570001,PHONE,apple,IPHONE 15  PRO,256gb,7700000,web,teamA,,
            9845000003,Chitra,Mumbai,400001,phone,Samsung,Galaxy A54,128GB,1300000,web,teamB,,
            9845000002,Bala (teamB),Mumbai,400001,phone,Samsung,Galaxy A54,128GB,1000,web,teamB,,
            9845000004,Nobody,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,nowhere,,
            123,Bad Phone,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,teamA,,
            9845000002,Bala K,Bengaluru,560002,phone,Samsung,Galaxy A54,128GB,1500000,web,teamA,,body:ok
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try LeadImport(batchSize: 2, connections: 2).run(path: path, into: c, now: Self.now)
        #expect(s.rows == 8)
        #expect(s.created == 3)  // Asha, Bala (teamA), Chitra (teamB)
        #expect(s.updated == 2)  // Asha again (the next batch), Bala K (three batches later)
        #expect(s.rejected == 3)
        #expect(s.racedPasses == 0)
        #expect(s.samples.map(\.line).sorted() == [6, 7, 8])
        #expect(s.samples.first { $0.line == 6 }?.reason.contains("LEAD_IN_OTHER_TEAM") == true)
        #expect(s.samples.first { $0.line == 6 }?.reason.contains("team teamA") == true)
        #expect(s.samples.first { $0.line == 7 }?.reason == "team: no team named nowhere")

        let leads = try c.query("""
            SELECT l.phone, t.name AS team, l.customer_name, l.quoted_price, l.high_end, l.tier, l.conditions, l.pincode
            FROM leads l JOIN teams t ON t.id = l.team_id ORDER BY l.phone
            """).rows
        #expect(leads.map { "\($0["phone"]!) \($0["team"]!) \($0["customer_name"]!)" }
                == ["+919845000001 teamA Asha R", "+919845000002 teamA Bala K", "+919845000003 teamB Chitra"])
        // The catalogue match ignores case and white space: Asha's iPhone is a High End.
        #expect(leads[0].bool("high_end") == true && leads[0].int("tier") == 1)
        #expect(leads[0].int64("quoted_price") == 7_700_000 && leads[0]["conditions"] == "screen:good" && leads[0]["pincode"] == "570001")
        #expect(leads[1].bool("high_end") == false && leads[1].int("tier") == 2)
        #expect(leads[1].int64("quoted_price") == 1_500_000 && leads[1]["conditions"] == "body:ok")
        #expect(try events(c) == ["created=3", "recheck=2"])
    }

    /// Importing the same file twice: the second run creates nothing and re-checks every
    /// lead (the import is idempotent as to which leads exist).
    @Test func theSameFileTwiceCreatesNothingTheSecondTime() async throws {
        let floor = try await Floor.make()
        try floor.team("teamA")
        let c = try floor.connect()
        defer { c.close() }
        let rows = (0..<50).map { "98450\(String(format: "%05d", $0)),Customer \($0),Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,teamA,," }
        let path = try write(([Self.header] + rows).joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try LeadImport(batchSize: 16).run(path: path, into: c, now: Self.now)
        #expect(first.created == 50 && first.updated == 0 && first.rejected == 0)
        let second = try LeadImport(batchSize: 16).run(path: path, into: c, now: Self.now.addingTimeInterval(60))
        #expect(second.created == 0 && second.updated == 50 && second.rejected == 0)
        #expect(try c.query("SELECT count(*) AS n FROM leads").first?.int("n") == 50)
        #expect(try events(c) == ["created=50", "recheck=50"])
    }

    /// Another session opens a lead for a staged customer while the import's pass runs (its
    /// insert is uncommitted when the pass starts and commits a moment later): the pass's
    /// INSERT meets the unique index, rolls back to its savepoint and goes through the
    /// row-by-row upsert, so the customer is re-checked (same team) or rejected (another
    /// team), never duplicated, and the pass's other rows still go in.
    @Test(arguments: ["teamA", "teamB"])
    func aRaceWithAnotherSessionFallsBackToTheUpsert(_ openedBy: String) async throws {
        let floor = try await Floor.make()
        try floor.team("teamA")
        try floor.team("teamB")
        let other = try floor.connect()
        defer { other.close() }
        try other.query("BEGIN")
        try other.query(SQLFiles.query("lead_add"), [
            openedBy, "+919845000001", "Opened Elsewhere", "Bengaluru", "560001", String?.none, "phone", "Samsung", "Galaxy A54", "128GB",
            String?.none, 1_000_000, "web", String?.none, Self.now, Self.now, Int64?.none, String?.none,
        ])
        let committed = DispatchSemaphore(value: 0)
        let commit = Thread {
            Thread.sleep(forTimeInterval: 1.5)
            _ = try? other.query("COMMIT")
            committed.signal()
        }
        commit.start()
        defer { committed.wait() }

        let c = try floor.connect()
        defer { c.close() }
        let csv = """
            \(Self.header)
            9845000001,Asha,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,teamA,,
            9845000002,Bala,Bengaluru,560001,phone,Samsung,Galaxy A54,128GB,1400000,web,teamA,,
            """
        let path = try write(csv)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try LeadImport(connections: 1).run(path: path, into: c, now: Self.now.addingTimeInterval(60))
        #expect(s.racedPasses == 1)
        #expect(s.created == 1)
        #expect(try c.query("SELECT count(*) AS n FROM leads").first?.int("n") == 2)
        let asha = try #require(try c.query("SELECT customer_name, quoted_price FROM leads WHERE phone = '+919845000001'").first)
        if openedBy == "teamA" {
            #expect(s.updated == 1 && s.rejected == 0)
            #expect(asha["customer_name"] == "Asha" && asha.int64("quoted_price") == 1_400_000)
            #expect(try events(c) == ["created=2", "recheck=1"])
        } else {
            #expect(s.updated == 0 && s.rejected == 1)
            #expect(s.samples.first?.reason.contains("LEAD_IN_OTHER_TEAM") == true)
            #expect(asha["customer_name"] == "Opened Elsewhere" && asha.int64("quoted_price") == 1_000_000)
            #expect(try events(c) == ["created=2"])
        }
    }
}
