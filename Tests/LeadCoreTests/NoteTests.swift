import Foundation
import Testing
import LeadCore

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
    ])
    func notesThatSayNothing(note: String) {
        #expect(!Note.isMeaningful(note))
    }
}
