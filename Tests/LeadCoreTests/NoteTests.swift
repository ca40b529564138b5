import Foundation
import Testing
@testable import LeadCore

@Suite("Notes")
struct NoteTests {
    @Test func validateTrimsAndRefuses() throws {
        #expect(try Note.validate("\n  Customer ready — shared checkout link\t") == "Customer ready — shared checkout link")
        #expect(refusal { try Note.validate(nil) }?.code == .noteRequired)
        #expect(refusal { try Note.validate("\u{2029}\u{0085}\u{1680}") }?.code == .noteRequired)
        // The cap counts Unicode scalars, like PostgreSQL's char_length.
        #expect(refusal { try Note.validate(String(repeating: "क", count: 2000)) } == nil)
        let long = refusal { try Note.validate(String(repeating: "क", count: 2001)) }
        #expect(long?.code == .badArg)
        #expect(long?.message.contains("2000") == true)
    }

    @Test(arguments: [
        "Customer busy, callback at 7 PM",
        "Customer negotiating price — asked for quote comparison",
        "Switched off — will retry at 3 PM",
        "ग्राहक व्यस्त है, शाम को कॉल करें",
        "Customer ready — shared checkout link",
        "cust busy, pls call tmrw",            // abbreviations are words too: 4 different ones
    ])
    func meaningfulNotes(note: String) {
        #expect(Note.isMeaningful(note))
    }

    @Test(arguments: [
        "callback",                    // too short
        "ok done",                     // too short
        "Not reachable.",              // only the disposition
        "NOT REACHABLE / SWITCHED OFF",
        "Customer will place order",
        "waiting_for_quote",
        "RNR rnr RNR",                 // 9 letters
        "aaaaaaaaaaaaaa",              // one character repeated
        "..........!!!!!!!!!!",        // no letters at all
        "cust not intrstd",            // 3 words: fewer than 4
        "na", "NA", "n/a", "ok", "OK.", "test", "...", "-",
        "ok ok ok ok",                 // placeholders do not count
        "test test test test",
        "call call call call",         // 4 words, 1 different
        "aaaa bbbb cccc dddd",         // each word one character repeated
        "9876543210 1234 5678 0000",   // numbers only
        "Not Reachable / Switched Off", // 4 words, but only the disposition's
        "Customer will place order",
    ])
    func notesThatSayNothing(note: String) {
        #expect(!Note.isMeaningful(note))
    }

    /// The words rule, step by step (Note.isMeaningful rules 2 and 3).
    @Test func wordsAreCutAtSeparatorsAndCountedByRule() {
        func words(_ text: String) -> [String] {
            Note.noteWords(text).map { String(String.UnicodeScalarView($0)) }
        }
        #expect(words("Customer busy, callback at 7 PM") == ["customer", "busy", "callback", "at", "7", "pm"])
        #expect(words("Switched off — will retry…3PM") == ["switched", "off", "will", "retry", "3pm"])
        #expect(words("ग्राहक व्यस्त है। ठीक") == ["ग्राहक", "व्यस्त", "है", "ठीक"])
        #expect(words("  \u{200B}\t ") == [])
        #expect(words("ÉTÉ Été") == ["ÉtÉ", "Été"])  // only A–Z lower-cased
        func counts(_ w: String) -> Bool { Note.counts(Array(w.unicodeScalars)) }
        #expect(counts("pm") && counts("3pm") && counts("है"))
        #expect(!counts("a") && !counts("42") && !counts("zzz") && !counts("ok") && !counts("na"))
    }
}
