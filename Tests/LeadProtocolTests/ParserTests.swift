import Testing
import LeadProtocol

@Suite("RequestParser")
struct ParserTests {
    @Test func parsesVerbAndArgumentsInOrder() throws {
        let request = try parseOK("DISPOSE lead=42 lease=7 code=callback")
        #expect(request.tag == nil)
        #expect(request.verb == "DISPOSE")
        #expect(request.args == [Field("lead", "42"), Field("lease", "7"), Field("code", "callback")])
        #expect(request["lease"] == "7")
        #expect(request["nope"] == nil)
    }

    @Test func verbIsCaseInsensitive() throws {
        #expect(try parseOK("claim wait=5").verb == "CLAIM")
        #expect(try parseOK("Ping").verb == "PING")
        #expect(try parseOK("lead Show lead=1").verb == "LEAD SHOW")
    }

    @Test func twoWordVerbs() throws {
        let add = try parseOK("LEAD ADD phone=9876543210 name=Ravi")
        #expect(add.verb == "LEAD ADD")
        #expect(add.args.count == 2)
        #expect(try parseOK("agent set agent=asha senior=1").verb == "AGENT SET")
        // A verb of two words with no arguments.
        #expect(try parseOK("LEAD SHOW").verb == "LEAD SHOW")
    }

    @Test func threeVerbWordsIsBadFormat() {
        let error = parseError("LEAD ADD NOW phone=1")
        #expect(error?.code == .badFormat)
    }

    @Test func wordAfterAPairIsBadFormat() {
        let error = parseError("#t1 CLAIM wait=5 now")
        #expect(error?.code == .badFormat)
        #expect(error?.tag == "t1")
        #expect(error?.message.contains("now") == true)
    }

    @Test func verbWordsAreLettersOnly() {
        #expect(parseError("CL4IM")?.code == .badFormat)
        #expect(parseError("\"PING\"")?.code == .badFormat)
    }

    @Test func missingVerb() {
        #expect(parseError("#t2")?.code == .badFormat)
        #expect(parseError("#t2")?.tag == "t2")
        #expect(parseError("lead=5")?.code == .badFormat)
    }

    @Test func tags() throws {
        let request = try parseOK("#a-1.b:c_D PING")
        #expect(request.tag == "a-1.b:c_D")
        #expect(try parseOK("#" + String(repeating: "x", count: 32) + " PING").tag?.count == 32)
        // Invalid tags: empty, too long, bad character. The tag is not echoed.
        for line in ["# PING", "#" + String(repeating: "x", count: 33) + " PING", "#a/b PING", "#é PING"] {
            let error = parseError(line)
            #expect(error?.code == .badFormat, "\(line)")
            #expect(error?.tag == nil, "\(line)")
        }
        // A tag is only recognised first.
        #expect(parseError("PING #t")?.code == .badFormat)
    }

    @Test func extraSpacesAndTabsSeparateTokens() throws {
        let request = try parseOK("  #t \t CLAIM \t wait=5   view=high_end  ")
        #expect(request.tag == "t")
        #expect(request.args == [Field("wait", "5"), Field("view", "high_end")])
    }

    @Test func quotedValuesAndEscapes() throws {
        let request = try parseOK(#"NOTE lead=1 text="busy, call at 7 PM" other="say \"hi\" \\ bye""#)
        #expect(request["text"] == "busy, call at 7 PM")
        #expect(request["other"] == #"say "hi" \ bye"#)
        let escaped = try parseOK(#"NOTE lead=1 text="line1\nline2\tx\ry\x01z\x7F""#)
        #expect(escaped["text"] == "line1\nline2\tx\ry\u{01}z\u{7F}")
        // Raw tabs and UTF-8 are kept inside quotes.
        #expect(try parseOK("NOTE text=\"a\tb ₹500 नमस्ते\"")["text"] == "a\tb ₹500 नमस्ते")
    }

    @Test func emptyValues() throws {
        let request = try parseOK(#"RELEASE lead=1 lease=2 note="""#)
        #expect(request["note"] == "")
        #expect(request.has("note"))
        #expect(try parseOK("RELEASE note= lead=1")["note"] == "")
    }

    @Test func bareValuesMayHoldEqualsAndUTF8() throws {
        let request = try parseOK("AUTH agent=asha token=abc==")
        #expect(request["token"] == "abc==")
        #expect(try parseOK("LEAD ADD city=बेंगलुरु")["city"] == "बेंगलुरु")
    }

    @Test func quotingErrors() {
        let cases = [
            #"NOTE text="unterminated"#,
            #"NOTE text="ends in backslash\"#,
            #"NOTE text="bad \q escape""#,
            #"NOTE text="\x8f""#,
            #"NOTE text="\x4""#,
            #"NOTE text="a"b"#,
            #"NOTE text=a"b"#,
            #"NOTE text=a\b"#,
        ]
        for line in cases {
            #expect(parseError("#q " + line)?.code == .badFormat, "\(line)")
            #expect(parseError("#q " + line)?.tag == "q", "\(line)")
        }
    }

    @Test func keysMustBeLowerSnake() {
        for line in ["PING Lead=1", "PING 1a=1", "PING =1", "PING a-b=1", "PING _a=1"] {
            #expect(parseError(line)?.code == .badFormat, "\(line)")
        }
        #expect(parseError("PING a_1=1") == nil)
    }

    @Test func repeatedKeyIsBadArg() {
        let error = parseError("#r CLAIM wait=1 wait=2")
        #expect(error?.code == .badArg)
        #expect(error?.tag == "r")
        #expect(error?.message == "wait: repeated")
    }

    @Test func controlBytesAreBadFormat() {
        for byte: UInt8 in [0x00, 0x01, 0x0D, 0x1B, 0x7F] {
            let line = bytes("#c NOTE text=a") + [byte] + bytes("b")
            let error = parseError(line)
            #expect(error?.code == .badFormat, "byte \(byte)")
            #expect(error?.tag == "c", "byte \(byte)")
        }
        // A raw tab is a separator, not an error.
        #expect(parseError(bytes("PING\tx=1")) == nil)
    }

    @Test func invalidUTF8IsBadFormat() {
        let samples: [[UInt8]] = [
            [0xFF],
            [0xC3],                   // truncated 2-byte sequence
            [0xC0, 0xAF],             // overlong "/"
            [0xED, 0xA0, 0x80],       // UTF-16 surrogate
            [0xF4, 0x90, 0x80, 0x80], // beyond U+10FFFF
        ]
        for sample in samples {
            let error = parseError(bytes("#u NOTE text=") + sample)
            #expect(error?.code == .badFormat)
            #expect(error?.tag == "u")
        }
    }

    @Test func requestEncodeParsesBack() throws {
        let request = Request(tag: "x1", verb: "LEAD ADD", args: [
            Field("name", "Ravi \"R\" Kumar"), Field("note", ""), Field("city", "Pune"), Field("text", "a\nb\\c=d"),
        ])
        let line = request.encode()
        #expect(line.hasSuffix("\n"))
        #expect(line == #"#x1 LEAD ADD name="Ravi \"R\" Kumar" note="" city=Pune text="a\nb\\c=d""# + "\n")
        #expect(try parseOK(String(line.dropLast())) == request)
    }
}
