import Foundation
@testable import BulkImport
import LeadDemo
import LeadStore
import LeadTesting
import Postgres
import Testing

/// The import's byte-level pieces: the CSV reader across its read chunks, COPY encoding,
/// the conditions split, and the batch split over several sessions.
@Suite struct ImportEncodingTests {
    func write(_ text: String) throws -> String {
        let path = "/tmp/llimport-enc-\(getpid())-\(Int.random(in: 0..<1_000_000)).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every record of `text`, as the reader returns them, with the line each starts on.
    func records(_ text: String) throws -> [(Int, [String])] {
        let path = try write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var reader = try CSVReader(path: path)
        var out: [(Int, [String])] = []
        while let r = reader.next() { out.append((reader.recordLine, r)) }
        return out
    }

    /// `seed --csv PATH` writes in place: a symlink (like a device such as /dev/null) stays
    /// what it is and its target gets the rows; an atomic write would replace the link.
    @Test func demoCSVIsWrittenInPlace() throws {
        let target = try write("old contents that must go\n")
        let link = target + ".link"
        defer { try? FileManager.default.removeItem(atPath: target); try? FileManager.default.removeItem(atPath: link) }
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let rows = try DemoData(leads: 3, days: 1, seed: 7).writeCSV(to: link, now: Floor.start)
        #expect(rows == 3)
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == target)
        let text = try String(contentsOfFile: target, encoding: .utf8)
        #expect(text.hasPrefix("phone,name,"))
        #expect(!text.contains("old contents"))
        #expect(text.split(separator: "\n").count == 4)
    }

    @Test func quotesNewlinesAndBlankLines() throws {
        let r = try records("a,\"b,c\",\"say \"\"hi\"\"\"\r\n\n\"multi\nline\",x\r\nlast,\"\"")
        #expect(r.map(\.0) == [1, 3, 5])
        #expect(r.map(\.1) == [["a", "b,c", "say \"hi\""], ["multi\nline", "x"], ["last", ""]])
    }

    /// The reader takes the file 1 MiB at a time: a doubled quote, a closing quote, a CR LF
    /// or a multi-byte character split across two chunks reads as if it were not.
    @Test func recordsAcrossChunkBoundaries() throws {
        let chunk = 1 << 20
        // Raw text inside a quoted field, and the field it gives.
        let cases: [(raw: String, field: String)] = [("\"\"x", "\"x"), ("\"\"", "\""), ("é", "é"), ("\r\n", "\r\n"), ("\n", "\n"), ("", "")]
        for (raw, field) in cases {
            for shift in -3...3 {
                let prefix = "p,\""
                let padding = String(repeating: "a", count: chunk - prefix.utf8.count - 2 + shift)
                let text = prefix + padding + raw + "\",z\r\nnext,\"é\"\n"
                let r = try records(text)
                #expect(r.count == 2, "\(raw.debugDescription) shift \(shift)")
                #expect(r.first?.1 == ["p", padding + field, "z"], "\(raw.debugDescription) shift \(shift)")
                #expect(r.last?.1 == ["next", "é"], "\(raw.debugDescription) shift \(shift)")
                #expect(r.last?.0 == (raw.contains("\n") ? 3 : 2), "\(raw.debugDescription) shift \(shift)")
            }
        }
    }

    @Test func copyBytesMatchCopyText() {
        var rng = SystemRandomNumberGenerator()
        let parts = ["a", "\\", "\t", "\n", "\r", "\r\n", "é", "👋", "\\N", " ", ",", "\"", "\u{0}"]
        var samples: [String?] = [nil, "", "plain"]
        for _ in 0..<20_000 {
            samples.append((0..<Int.random(in: 0...10, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined())
        }
        for value in samples {
            var bytes: [UInt8] = []
            CopyText.append(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == CopyText.field(value), "\(String(describing: value).debugDescription)")
        }
        for n: Int64 in [0, 7, -7, 10, 1_850_000, Int64.max, Int64.min, 999_999_999_999] + (0..<2_000).map({ _ in Int64.random(in: .min ... .max, using: &rng) }) {
            var bytes: [UInt8] = []
            CopyText.appendInt(n, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(n))
        }
    }

    @Test func conditionsSplitAsCharactersDo() {
        var rng = SystemRandomNumberGenerator()
        let parts = ["screen:ok", ";", ",", " ", "é", ";\u{301}", ",\u{301}", "\r\n", "body", ""]
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...8, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined()
            #expect(BatchEncoder.conditions(text) == text.split(whereSeparator: { $0 == ";" || $0 == "," }).map(String.init),
                    "\(Array(text.unicodeScalars))")
        }
    }

    /// The same file through one session and through three gives the same leads, events,
    /// counts and rejections (the rows of one customer stay in one session, in order).
    @Test func oneSessionAndSeveralGiveTheSameResult() async throws {
        var lines = ["phone,name,city,pincode,category,brand,model,variant,price,source,team,created_at,conditions,campaign,language"]
        for i in 0..<300 {
            let phone = 9_845_000_000 + (i % 70)  // customers come back, within and across batches
            let price = 1_000_000 + i
            let created = i % 3 == 0 ? "2026-11-2\(i % 10)T10:15:00+05:30" : ""
            let team = i % 41 == 0 ? "nowhere" : "blr"
            let pin = i % 53 == 0 ? "056001" : "560001"
            lines.append("\(phone),Name \(i),Bengaluru,\(pin),phone,Apple,iPhone 15 Pro,256GB,\(price),web,\(team),\(created),screen:ok;n\(i % 4),c\(i % 5),kn")
        }
        let path = try write(lines.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let now = PostgresTime.parse("2026-11-30T06:00:00Z")!
        var results: [(LeadImport.Summary, [String], [String])] = []
        for sessions in [1, 3] {
            let floor = try await Floor.make()
            try floor.team("blr")
            let c = try floor.connect()
            defer { c.close() }
            let s = try LeadImport(batchSize: 40, connections: sessions).run(path: path, into: c, now: now)
            let leads = try c.query("""
                SELECT phone, customer_name, pincode, quoted_price, created_at, conditions, campaign, language, tier, sla_due_at
                FROM leads ORDER BY phone
                """).rows.map { r in ["phone", "customer_name", "pincode", "quoted_price", "created_at", "conditions", "campaign", "language", "tier", "sla_due_at"].map { r[$0] ?? "-" }.joined(separator: "|") }
            let events = try c.query("""
                SELECT l.phone, e.kind::text AS kind, e.payload::text AS payload FROM lead_events e JOIN leads l ON l.id = e.lead_id ORDER BY l.phone, e.id
                """).rows.map { "\($0["phone"]!) \($0["kind"]!) \($0["payload"]!)" }
            results.append((s, leads, events))
        }
        let (one, three) = (results[0], results[1])
        #expect(one.0.rows == 300 && three.0.rows == 300)
        #expect(one.0.created == 70 && three.0.created == 70)
        #expect(one.0.updated == three.0.updated && one.0.updated > 0)
        #expect(one.0.rejected == three.0.rejected && one.0.rejected > 0)
        #expect(one.0.reasons == three.0.reasons)
        #expect(one.0.samples.map(\.line) == three.0.samples.map(\.line))
        #expect(one.0.samples.map(\.reason) == three.0.samples.map(\.reason))
        #expect(one.1 == three.1)
        #expect(one.2 == three.2)
        #expect(one.2.filter { $0.contains(" recheck ") }.count == one.0.updated)
    }
}
