import Foundation
import Testing
import LeadProtocol

@Suite("Reply encoding and parsing")
struct ReplyTests {
    @Test func hello() {
        #expect(Reply.hello.encode() == "HELLO leadline proto=1\n")
    }

    @Test func okWithAndWithoutTag() {
        #expect(Reply.ok(tag: nil, fields: []).encode() == "OK\n")
        let reply = Reply.ok(tag: "t1", fields: [
            Field("lead", 42), Field("lease", 7), Field("due", Date(timeIntervalSince1970: 1_795_354_200)),
            Field("high_end", true), Field("name", "Ravi Kumar"),
        ])
        #expect(reply.encode() == #"OK #t1 lead=42 lease=7 due=2026-11-22T13:30:00Z high_end=1 name="Ravi Kumar""# + "\n")
    }

    @Test func errors() {
        #expect(Reply.error(tag: "x", code: "LEASE_LOST", message: "lease 7 expired").encode()
            == "ERR #x LEASE_LOST lease 7 expired\n")
        #expect(Reply.error(tag: nil, code: "EMPTY", message: "").encode() == "ERR EMPTY\n")
        // Control characters in a message cannot break the line.
        #expect(Reply.error(tag: nil, code: "INTERNAL", message: " oops\nsecond\tline").encode()
            == "ERR INTERNAL oops second line\n")
        let protocolError = ProtocolError(.badArg, "wait: required", tag: "w")
        #expect(Reply(protocolError).encode() == "ERR #w BAD_ARG wait: required\n")
    }

    @Test func multiRow() {
        let reply = Reply.rows(tag: "m", rows: [
            [Field("lead", 1), Field("city", "Pune")],
            [Field("lead", 2), Field("city", "New Delhi")],
        ])
        #expect(reply.encode() == "OK #m rows=2\nROW lead=1 city=Pune\nROW lead=2 city=\"New Delhi\"\nEND #m\n")
        #expect(Reply.rows(tag: nil, rows: []).encode() == "OK rows=0\nEND\n")
        let show = Reply.rows(tag: nil, fields: [Field("lead", 9)], rows: [[Field("kind", "created")]])
        #expect(show.encode() == "OK rows=1 lead=9\nROW kind=created\nEND\n")
    }

    @Test func valueQuotingRules() {
        #expect(Wire.encodeValue("plain") == "plain")
        #expect(Wire.encodeValue("₹500") == "₹500")
        #expect(Wire.encodeValue("") == #""""#)
        #expect(Wire.encodeValue("a b") == #""a b""#)
        #expect(Wire.encodeValue("a=b") == #""a=b""#)
        #expect(Wire.encodeValue(#"say "hi""#) == #""say \"hi\"""#)
        #expect(Wire.encodeValue(#"back\slash"#) == #""back\\slash""#)
        #expect(Wire.encodeValue("l1\nl2\tt\rr") == #""l1\nl2\tt\rr""#)
        #expect(Wire.encodeValue("\u{0}\u{1b}\u{7f}") == #""\x00\x1b\x7f""#)
        #expect(Wire.encodeValue("#tag") == "#tag")
    }

    @Test func parsesEveryReplyForm() throws {
        #expect(try ReplyLine.parse("HELLO leadline proto=1").get() == .hello(server: "leadline", fields: [Field("proto", "1")]))
        #expect(try ReplyLine.parse("OK #a lead=1 note=\"x y\"").get()
            == .ok(tag: "a", fields: [Field("lead", "1"), Field("note", "x y")]))
        #expect(try ReplyLine.parse("OK").get() == .ok(tag: nil, fields: []))
        #expect(try ReplyLine.parse("ERR #b NOTE_REQUIRED a note is required: what happened?").get()
            == .error(tag: "b", code: "NOTE_REQUIRED", message: "a note is required: what happened?"))
        #expect(try ReplyLine.parse("ERR EMPTY").get() == .error(tag: nil, code: "EMPTY", message: ""))
        #expect(try ReplyLine.parse("ROW a=1").get() == .row(fields: [Field("a", "1")]))
        #expect(try ReplyLine.parse("END #c").get() == .end(tag: "c"))
        for bad in ["NOPE", "OK word", "ERR lower case", "END #c extra", "ROW a=1 a=2", "OK #bad/tag"] {
            #expect(throws: ProtocolError.self, "\(bad)") { try ReplyLine.parse(bad).get() }
        }
    }

    @Test func readerAssemblesReplies() throws {
        let wire = Reply.hello.encode()
            + Reply.ok(tag: "1", fields: [Field("lead", 5)]).encode()
            + Reply.rows(tag: "2", fields: [Field("lead", 5)], rows: [[Field("a", "1")], [Field("b", "two words")]]).encode()
            + Reply.error(tag: "3", code: "EMPTY", message: "no lead within 5 s").encode()
            + Reply.rows(tag: nil, rows: []).encode()
        var framer = LineFramer()
        var reader = ReplyReader()
        var replies: [Reply] = []
        for case .line(let line) in framer.feed(Array(wire.utf8)) {
            if let reply = try reader.read(try ReplyLine.parse(line).get()) { replies.append(reply) }
        }
        #expect(replies == [
            .hello,
            .ok(tag: "1", fields: [Field("lead", "5")]),
            .rows(tag: "2", fields: [Field("lead", "5")], rows: [[Field("a", "1")], [Field("b", "two words")]]),
            .error(tag: "3", code: "EMPTY", message: "no lead within 5 s"),
            .rows(tag: nil, fields: [], rows: []),
        ])
        #expect(!reader.isInsideRows)
    }

    @Test func readerRejectsBrokenMultiRowReplies() throws {
        func run(_ lines: [String]) throws {
            var reader = ReplyReader()
            for line in lines { _ = try reader.read(try ReplyLine.parse(line).get()) }
        }
        #expect(throws: ProtocolError.self) { try run(["OK rows=1", "END"]) }
        #expect(throws: ProtocolError.self) { try run(["OK rows=1", "ROW a=1", "ROW a=2"]) }
        #expect(throws: ProtocolError.self) { try run(["OK #a rows=0", "END #b"]) }
        #expect(throws: ProtocolError.self) { try run(["OK rows=x"]) }
        #expect(throws: ProtocolError.self) { try run(["ROW a=1"]) }
        #expect(throws: ProtocolError.self) { try run(["OK rows=1", "OK"]) }
        #expect(throws: ProtocolError.self) { try run(["HELLO leadline proto=2"]) }
    }

    /// Random strings drawn from a mix of ASCII, specials, controls and
    /// multi-byte characters.
    private static func randomString(_ rng: inout SplitMix64) -> String {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "=", "#", ",", "\n", "\r", "\t", "\u{0}", "\u{1}", "\u{1b}", "\u{7f}",
            "\u{85}", "é", "₹", "न", "😀", "\u{200b}", "\u{301}", "x", "y",
        ]
        let length = Int.random(in: 0...24, using: &rng)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            if Bool.random(using: &rng) {
                scalars.append(pool.randomElement(using: &rng)!)
            } else {
                // Any scalar, avoiding the surrogate range.
                var value = UInt32.random(in: 0...0x10FFFF, using: &rng)
                if (0xD800...0xDFFF).contains(value) { value = 0x41 }
                scalars.append(Unicode.Scalar(value)!)
            }
        }
        return String(scalars)
    }

    @Test func rowsRoundTripAnyString() throws {
        var rng = SplitMix64(seed: 20_261_122)
        for _ in 0..<3000 {
            let row = (0..<Int.random(in: 0...4, using: &rng)).map { Field("k\($0)", Self.randomString(&rng)) }
            let encoded = Reply.rows(tag: "rt", rows: [row]).encode()
            var framer = LineFramer()
            var reader = ReplyReader()
            var decoded: Reply?
            let events = framer.feed(Array(encoded.utf8))
            #expect(events.count == 3, "\(encoded)")
            for case .line(let line) in events {
                decoded = try reader.read(try ReplyLine.parse(line).get())
            }
            #expect(decoded == .rows(tag: "rt", fields: [], rows: [row]), "\(encoded)")
        }
    }

    @Test func requestsRoundTripAnyString() throws {
        var rng = SplitMix64(seed: 99)
        for _ in 0..<3000 {
            let value = Self.randomString(&rng)
            let request = Request(tag: "q", verb: "NOTE", args: [Field("lead", "1"), Field("text", value)])
            let encoded = request.encode()
            // Encoding never produces a raw control byte or a second line.
            #expect(!encoded.utf8.dropLast().contains { $0 < 0x20 || $0 == 0x7F })
            #expect(try RequestParser.parse(Array(encoded.utf8.dropLast())).get() == request)
        }
    }

    @Test func errorMessagesRoundTrip() throws {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<1000 {
            let message = Self.randomString(&rng)
            let encoded = Reply.error(tag: nil, code: "INTERNAL", message: message).encode()
            #expect(encoded.utf8.filter { $0 == 0x0A }.count == 1)
            guard case .error(_, let code, let parsed) = try ReplyLine.parse(String(encoded.dropLast())).get() else {
                Issue.record("not an error: \(encoded)")
                continue
            }
            #expect(code == "INTERNAL")
            // Control characters became spaces and leading spaces were dropped.
            let spaced = message.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }
            let expected = String(String.UnicodeScalarView(spaced.drop { $0 == " " }))
            #expect(parsed == expected)
        }
    }
}
