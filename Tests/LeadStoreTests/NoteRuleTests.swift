import Foundation
import LeadCore
import LeadTesting
import Postgres
import Testing

/// A small deterministic generator (SplitMix64), so a failing note can be reproduced.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The meaningful-note rule has one definition, the SQL function `bi_note_meaningful`
/// that the BI refresh applies; `Note.isMeaningful` mirrors it. These tests hold the two
/// equal on generated notes and on the rule's word lists.
@Suite("The meaningful-note rule: SQL and Swift agree")
struct NoteRuleTests {
    /// Pieces notes are made of: real words, abbreviations, placeholders, disposition
    /// words, numbers, repeated characters, other scripts, and every kind of separator
    /// (ASCII punctuation, non-ASCII punctuation and spaces, zero-width characters).
    static let pieces: [String] = [
        "Customer", "customer", "CUSTOMER", "busy", "callback", "at", "7", "PM", "pm", "cust", "not", "intrstd",
        "na", "NA", "n/a", "ok", "OK", "okay", "test", "Test", "null", "none", "xyz", "tbd", "rnr", "RNR", "Not", "Reachable",
        "Switched", "Off", "will", "place", "order", "wrong", "number", "price", "quote", "pickup", "UPI", "tomorrow",
        "1234567890", "42", "aaaa", "zz", "a", "é", "Été", "ÉTÉ", "Rückruf", "ग्राहक", "व्यस्त", "है", "शाम", "को",
        "कॉल", "करें", "顧客", "忙しい", "😀", "👍👍", "e\u{301}", "ﬁ", "İstanbul",
    ]
    static let separators: [String] = [
        " ", "  ", ", ", ". ", "...", "/", "-", "—", " — ", "–", "…", "\t", "\n", "\u{00A0}", "\u{200B}", "\u{FEFF}",
        "।", "॥", "、", "。", "«", "»", "¿", "·", "_", "'", "\"", "(", ")", "!", "?", ":", ";", "#", "@", "",
    ]

    static func notes(count: Int, seed: UInt64) -> [String] {
        var rng = SplitMix(state: seed)
        var out: [String] = []
        for _ in 0..<count {
            var note = ""
            for i in 0..<Int.random(in: 0...9, using: &rng) {
                if i > 0 || Bool.random(using: &rng) { note += separators.randomElement(using: &rng)! }
                if Int.random(in: 0..<8, using: &rng) == 0 {
                    // Any scalar of the Basic Multilingual Plane but NUL and the surrogates.
                    var v = UInt32.random(in: 1...0xFFFD, using: &rng)
                    if (0xD800...0xDFFF).contains(v) { v = 0x2014 }
                    note.unicodeScalars.append(Unicode.Scalar(v)!)
                } else {
                    note += pieces.randomElement(using: &rng)!
                }
            }
            out.append(note)
        }
        return out
    }

    @Test func sqlAndSwiftAgreeOnGeneratedNotes() async throws {
        let floor = Floor(conninfo: try await TestCluster.shared.database())
        let c = try floor.connect()
        defer { c.close() }
        var samples = Self.notes(count: 4000, seed: 0x1EAD_11E5)
        samples += ["Customer busy, callback at 7 PM", "cust not intrstd", "na", "ok", "test", "...", "",
                    "Not Reachable / Switched Off", "ग्राहक व्यस्त है, शाम को कॉल करें", "ok ok ok ok"]
        samples += Note.dispositionWords.map { $0 } + Disposition.allCases.map(\.label)
        let sql = try c.query("SELECT n, bi_note_meaningful(t) AS m FROM unnest($1::text[]) WITH ORDINALITY AS x(t, n) ORDER BY n",
                              [samples]).rows
        try #require(sql.count == samples.count)
        var meaningful = 0, disagreements: [String] = []
        for (i, row) in sql.enumerated() {
            let swift = Note.isMeaningful(samples[i])
            if swift { meaningful += 1 }
            if row.bool("m") != swift { disagreements.append("\(samples[i].debugDescription): SQL \(row["m"] ?? "NULL"), Swift \(swift)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) notes judged differently, e.g. \(disagreements.prefix(5))")
        // The generator makes both kinds, so the agreement is not "everything false".
        #expect(meaningful > 400 && meaningful < samples.count - 400, "\(meaningful) of \(samples.count) meaningful")
    }

    /// The function's two word lists (placeholders, then dispositions) are Swift's.
    @Test func theWordListsAreTheSame() async throws {
        let floor = Floor(conninfo: try await TestCluster.shared.database())
        let c = try floor.connect()
        defer { c.close() }
        let lists = try c.query("""
            SELECT m[1] AS list FROM pg_proc p, regexp_matches(p.prosrc, '''\\{([^}]*)\\}''::text\\[\\]', 'g') AS m
            WHERE p.proname = 'bi_note_meaningful'
            """).rows.map { row in
                Set(row["list"]!.split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                })
            }
        try #require(lists.count == 2)
        #expect(lists[0] == Note.placeholderWords)
        #expect(lists[1] == Note.dispositionWords)
    }
}
