import Foundation
import Testing
import LeadProtocol

@Suite("Typed accessors")
struct AccessorTests {
    private func request(_ args: String) throws -> Request {
        try parseOK("#acc CLAIM " + args)
    }

    /// Runs `body` and returns the BAD_ARG error it throws (nil if none).
    private func badArg<T>(_ body: () throws(ProtocolError) -> T) -> ProtocolError? {
        do throws(ProtocolError) {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    @Test func strings() throws {
        let r = try request(#"a=x b="" c="has\x00nul""#)
        #expect(try r.string("a") == "x")
        #expect(try r.string("b") == "")
        #expect(try r.optionalString("z") == nil)
        #expect(badArg { () throws(ProtocolError) in try r.string("z") }?.message == "z: required")
        #expect(badArg { () throws(ProtocolError) in try r.string("z") }?.tag == "acc")
        #expect(badArg { () throws(ProtocolError) in try r.string("c") }?.code == .badArg)
    }

    @Test func integers() throws {
        let r = try request("a=42 b=-3 c=+3 d=4x e= f=99999999999999999999999 g=007 h=300 i=301")
        #expect(try r.int("a") == 42)
        #expect(try r.int("b", range: -10...10) == -3)
        #expect(try r.int("g") == 7)
        #expect(try r.optionalInt("zz") == nil)
        #expect(try r.optionalInt("h", range: 0...300) == 300)
        for key in ["b", "c", "d", "e", "f"] {
            let error = badArg { () throws(ProtocolError) in try r.int(key) }
            #expect(error?.code == .badArg, "\(key)")
            #expect(error?.message.hasPrefix("\(key): ") == true, "\(key)")
        }
        let error = badArg { () throws(ProtocolError) in try r.int("i", range: 0...300) }
        #expect(error?.message == "i: expected an integer from 0 to 300")
    }

    @Test func booleans() throws {
        let r = try request("a=1 b=yes c=TRUE d=0 e=No f=false g=2 h=")
        for key in ["a", "b", "c"] { #expect(try r.bool(key) == true) }
        for key in ["d", "e", "f"] { #expect(try r.bool(key) == false) }
        #expect(badArg { () throws(ProtocolError) in try r.bool("g") }?.code == .badArg)
        #expect(badArg { () throws(ProtocolError) in try r.bool("h") }?.code == .badArg)
        #expect(try r.optionalBool("zz") == nil)
    }

    @Test func lists() throws {
        let r = try request(#"a=pune,mumbai b=" pune , delhi " c="" d=a,,b e=one f=a,"#)
        #expect(try r.list("a") == ["pune", "mumbai"])
        #expect(try r.list("b") == ["pune", "delhi"])
        #expect(try r.list("c") == [])
        #expect(try r.list("e") == ["one"])
        #expect(badArg { () throws(ProtocolError) in try r.list("d") }?.code == .badArg)
        #expect(badArg { () throws(ProtocolError) in try r.list("f") }?.code == .badArg)
        #expect(try r.optionalList("zz") == nil)
    }

    /// Stand-ins for LeadCore's vocabulary enums.
    enum View: String, CaseIterable { case highEnd = "high_end", notCalled = "not_called", callback }
    struct Code: RawRepresentable, Equatable { var rawValue: String; init?(rawValue: String) {
        guard rawValue == "callback" else { return nil }
        self.rawValue = rawValue
    } }

    @Test func enums() throws {
        let r = try request("view=high_end bad=High_End code=callback")
        #expect(try r.enumValue("view", as: View.self) == .highEnd)
        let code: Code = try r.enumValue("code")
        #expect(code.rawValue == "callback")
        #expect(try r.optionalEnumValue("zz", as: View.self) == nil)
        let error = badArg { () throws(ProtocolError) in try r.enumValue("bad", as: View.self) }
        #expect(error?.message == "bad: expected one of high_end, not_called, callback")
        let plain = badArg { () throws(ProtocolError) in try r.enumValue("view", as: Code.self) }
        #expect(plain?.message == "view: unknown value")
    }

    @Test func timesWithOffsets() throws {
        let r = try request("a=2026-11-22T19:00:00+05:30 b=2026-11-22T13:30:00Z c=2026-11-22T13:30:00.250Z d=2026-11-22T08:30:00-05:00")
        let expected = Date(timeIntervalSince1970: 1_795_354_200) // 2026-11-22T13:30:00Z
        #expect(try r.time("a") == expected)
        #expect(try r.time("b") == expected)
        #expect(try r.time("c") == expected.addingTimeInterval(0.25))
        #expect(try r.time("d") == expected)
        #expect(try r.optionalTime("zz") == nil)
    }

    /// The accessors use the one date codec (`FloorTime`, tested in LeadCoreTests); these
    /// check the wire's side: what a bad time answers, and how a reply writes one.
    @Test func rejectsTimesWithoutOffsetOrOutOfRange() {
        let bad = [
            "2026-11-22T19:00:00", "2026-11-22 19:00:00Z", "2026-11-22t19:00:00z", "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T19:00:00+0530", "2026-11-22T19:00:00.1234567890Z",
            "2026-11-22T19:00:00Z ", "0000-01-01T00:00:00Z", "",
        ]
        for text in bad {
            let r = Request(tag: "t", verb: "CLAIM", args: [Field("at", text)])
            let error = badArg { () throws(ProtocolError) in try r.time("at") }
            #expect(error?.message == "at: expected an ISO 8601 time with an offset, like 2026-11-22T19:00:00+05:30 or 2026-11-22T13:30:00Z",
                    "\(text)")
        }
        let leap = Request(tag: "t", verb: "CLAIM", args: [Field("at", "2024-02-29T00:00:00Z")])
        #expect(badArg { () throws(ProtocolError) in try leap.time("at") } == nil)
    }

    @Test func formatsTimesInUTC() {
        #expect(Field("due", Date(timeIntervalSince1970: 1_795_354_200)).value == "2026-11-22T13:30:00Z")
        #expect(Field("due", Date(timeIntervalSince1970: 1_795_354_200.999)).value == "2026-11-22T13:30:00Z")
        #expect(Field("due", Date(timeIntervalSince1970: 0)).value == "1970-01-01T00:00:00Z")
        #expect(Field("due", Date(timeIntervalSince1970: -1)).value == "1969-12-31T23:59:59Z")
    }

    @Test func replyTimesParseBackAsRequestTimes() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let seconds = Int.random(in: -2_000_000_000...8_000_000_000, using: &rng)
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let r = Request(tag: "t", verb: "CLAIM", args: [Field("at", date)])
            #expect(try r.time("at") == date)
        }
    }
}
