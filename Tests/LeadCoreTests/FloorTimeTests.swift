import Foundation
import LeadCore
import Testing

/// The one date codec: the wire's strict grammar (docs/PROTOCOL.md "Times"), the reply
/// shape, the database shapes, and the lenient reader of PostgreSQL's output, each held to
/// an independent oracle (the C library, Foundation) where one exists.
@Suite struct FloorTimeTests {
    // MARK: Request times (strict)

    @Test func requestTimesWithZAndOffsets() {
        let expected = Date(timeIntervalSince1970: 1_795_354_200) // 2026-11-22T13:30:00Z
        #expect(FloorTime.parse("2026-11-22T13:30:00Z") == expected)
        #expect(FloorTime.parse("2026-11-22T19:00:00+05:30") == expected)
        #expect(FloorTime.parse("2026-11-22T08:30:00-05:00") == expected)
        #expect(FloorTime.parse("2026-11-23T03:15:00+13:45") == expected)
        #expect(FloorTime.parse("2026-11-22T13:30:00+00:00") == expected)
        #expect(FloorTime.parse("2026-11-22T13:30:00-00:00") == expected)
        // Across midnight and a year boundary.
        #expect(FloorTime.parse("2027-01-01T04:00:00+05:30") == FloorTime.parse("2026-12-31T22:30:00Z"))
    }

    @Test func requestTimesWithFractionalSeconds() throws {
        let base = Date(timeIntervalSince1970: 1_795_354_200)
        #expect(FloorTime.parse("2026-11-22T13:30:00.250Z") == base.addingTimeInterval(0.25))
        #expect(FloorTime.parse("2026-11-22T13:30:00.5+05:30") == FloorTime.parse("2026-11-22T08:00:00.5Z"))
        let nine = try #require(FloorTime.parse("2026-11-22T13:30:00.123456789Z"))
        #expect(abs(nine.timeIntervalSince(base) - 0.123456789) < 1e-6)
        #expect(FloorTime.parse("2026-11-22T13:30:00.000000000Z") == base)
    }

    @Test func requestTimesRejectBadInput() {
        let bad = [
            "2026-11-22T19:00:00", "2026-11-22 19:00:00Z", "2026-11-22t19:00:00z", "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T23:60:00Z",
            "2026-11-22T23:59:60Z", "2026-11-22T19:00:00+0530", "2026-11-22T19:00:00+05", "2026-11-22T19:00:00.Z",
            "2026-11-22T19:00:00.1234567890Z", "2026-11-22T19:00:00+24:00", "2026-11-22T19:00:00Z ", "26-11-22T19:00:00Z",
            "2026-11-22T19:00Z", "0000-01-01T00:00:00Z", "", "yesterday", "2026-11-22T19:00:00+05:60",
            "2026-11-22T19:00:00+05:30:00", "2026-11-22T19:00:00ZZ", "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z",
            "+2026-11-22T19:00:00Z", "2026/11/22T19:00:00Z", "2026-11-22T19:00:0aZ", "２０２６-11-22T19:00:00Z",
        ]
        for text in bad {
            #expect(FloorTime.parse(text) == nil, "\(text)")
        }
        #expect(FloorTime.parse("2024-02-29T00:00:00Z") != nil)
        #expect(FloorTime.parse("2000-02-29T00:00:00Z") != nil)
        #expect(FloorTime.parse("1900-02-29T00:00:00Z") == nil)
        #expect(FloorTime.parse("0001-01-01T00:00:00Z") == Date(timeIntervalSince1970: -62_135_596_800))
    }

    @Test func requestTimesMatchFoundationInManyTimeZones() {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        var rng = SplitMix64(seed: 11)
        for name in ["UTC", "Asia/Kolkata", "America/Los_Angeles", "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns"] {
            iso.timeZone = TimeZone(identifier: name)
            for _ in 0..<500 {
                let date = Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_000_000_000, using: &rng)))
                let text = iso.string(from: date)  // 2026-11-22T10:15:00+05:30, or …Z in UTC
                #expect(FloorTime.parse(text) == date, "\(text)")
                #expect(FloorTime.parseLenient(text) == date, "\(text)")
            }
        }
    }

    // MARK: Reply times

    @Test func replyTimesAreUTCWholeSeconds() {
        #expect(FloorTime.format(Date(timeIntervalSince1970: 1_795_354_200)) == "2026-11-22T13:30:00Z")
        #expect(FloorTime.format(Date(timeIntervalSince1970: 1_795_354_200.999)) == "2026-11-22T13:30:00Z")
        #expect(FloorTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(FloorTime.format(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59Z")
        #expect(FloorTime.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59Z")
        #expect(FloorTime.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        // Clamped to the fixed shape.
        #expect(FloorTime.format(Date(timeIntervalSince1970: -1e12)) == "0001-01-01T00:00:00Z")
        #expect(FloorTime.format(Date(timeIntervalSince1970: 1e12)) == "9999-12-31T23:59:59Z")
        #expect(FloorTime.format(Date(timeIntervalSince1970: .nan)) == "1970-01-01T00:00:00Z")
        #expect(FloorTime.format(epochSeconds: 1_795_354_200) == "2026-11-22T13:30:00Z")
        #expect(FloorTime.formatDay(epochDays: 20_779) == "2026-11-22")
        #expect(FloorTime.formatDay(epochDays: -1) == "1969-12-31")
    }

    @Test func replyTimesAgreeWithTheCLibraryAndParseBack() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<5_000 {
            let seconds = Int64.random(in: -2_000_000_000...8_000_000_000, using: &rng)
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let text = FloorTime.format(date)
            #expect(text == Self.cFormat(seconds) + "Z", "\(seconds)")
            #expect(FloorTime.format(epochSeconds: seconds) == text)
            #expect(FloorTime.parse(text) == date, "\(text)")
            // The same instant written with an offset parses to the same date.
            let shifted = FloorTime.format(date.addingTimeInterval(19_800)).replacingOccurrences(of: "Z", with: "+05:30")
            #expect(FloorTime.parse(shifted) == date, "\(shifted)")
        }
    }

    // MARK: Database times

    /// Dates across 0000–9999 and beyond: random ones, and the edges (epoch, leap days,
    /// centuries, sub-microsecond rounding across a second, years outside four digits).
    static func sampleDates() -> [Date] {
        var rng = SplitMix64(seed: 3)
        let low = -62_167_219_200.0   // 0000-01-01T00:00:00Z
        let high = 253_402_300_799.0  // 9999-12-31T23:59:59Z
        var dates = (0..<20_000).map { _ in Date(timeIntervalSince1970: Double.random(in: low...high, using: &rng)) }
        dates += (0..<5_000).map { _ in
            Date(timeIntervalSince1970: Double(Int64.random(in: -3_000_000_000...4_000_000_000, using: &rng)) + Double(Int.random(in: 0..<1_000_000, using: &rng)) / 1_000_000)
        }
        for edge in [0.0, -0.000_000_4, -0.000_000_6, 0.999_999_6, -1, 59.999_999_5, 86_399.999_999_7, 951_782_400, 951_868_799.999_999,
                     1_709_164_800, 4_107_456_000, -2_208_988_800, -2_203_891_200, -12_219_292_800, low, low + 0.5, high, high + 0.999_999,
                     high + 0.999_999_6, low - 1, low - 0.000_000_4, high + 1, 1e11, -1e11, 1_795_000_000.123456,
                     -62_198_755_200, -65_000_000_000, -100_000_000_000, 400_000_000_000] {
            dates.append(Date(timeIntervalSince1970: edge))
        }
        return dates
    }

    @Test func databaseTimesMatchTheCLibraryFormatter() {
        for date in Self.sampleDates() {
            let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
            let seconds = micros >= 0 ? micros / 1_000_000 : -((-micros + 999_999) / 1_000_000)
            let expected = Self.cFormat(seconds) + String(format: ".%06lldZ", micros - seconds * 1_000_000)
            #expect(FloorTime.formatPrecise(date) == expected, "\(date.timeIntervalSince1970)")
            var bytes: [UInt8] = Array("x".utf8)
            FloorTime.appendPrecise(date, to: &bytes)
            #expect(bytes == Array(("x" + expected).utf8))
        }
    }

    @Test func databaseTimesRoundTripThroughTheLenientReader() {
        for date in Self.sampleDates().prefix(5_000) where date.timeIntervalSince1970 >= -62_135_596_800 {
            let text = FloorTime.formatPrecise(date)
            let back = FloorTime.parseLenient(text)!
            // Microsecond rounding, plus a few units in the last place of a Double this large.
            #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) <= 0.000_000_5 + 4 * date.timeIntervalSince1970.magnitude.ulp,
                    "\(text)")
        }
    }

    // MARK: PostgreSQL's output (lenient)

    @Test func lenientReaderTakesPostgresShapes() {
        let z = FloorTime.parseLenient("2026-11-22T04:45:00Z")!
        #expect(z == Date(timeIntervalSince1970: 1_795_322_700))
        #expect(FloorTime.parseLenient("2026-11-22 04:45:00+00") == z)
        #expect(FloorTime.parseLenient("2026-11-22 04:45:00") == z, "no offset is UTC")
        #expect(FloorTime.parseLenient("2026-11-22 10:15:00+05:30") == z)
        #expect(FloorTime.parseLenient("2026-11-22 10:15:00+0530") == z)
        #expect(FloorTime.parseLenient("2026-11-22 10:15:00+05") == z.addingTimeInterval(1800))
        #expect(FloorTime.parseLenient("2026-11-22T10:15:00-0230") == FloorTime.parseLenient("2026-11-22T12:45:00Z"))
        #expect(FloorTime.parseLenient("2026-11-22T10:15:00.25+05:30") == z.addingTimeInterval(0.25))
        #expect(FloorTime.parseLenient("2026-11-22 04:45:00.123456+00") == z.addingTimeInterval(0.123456))
        #expect(FloorTime.parseLenient("yesterday") == nil)
        #expect(FloorTime.parseLenient("2026-11-22T10:15:00X") == nil)
        #expect(FloorTime.parseLenient("2026-11-22T10:15") == nil)
        #expect(FloorTime.parseLenient("2026-11-22T10:15:00+x") == nil)
        #expect(FloorTime.parseLenient("") == nil)
    }

    /// The lenient reader carries out-of-range fields (month 13, day 32, hour 25…) as C's
    /// `timegm` does, which it replaced.
    @Test func lenientCalendarCarriesAsTimegmDoes() {
        var rng = SplitMix64(seed: 5)
        func check(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) {
            var parts = tm()
            parts.tm_year = Int32(y - 1900)
            parts.tm_mon = Int32(mo - 1)
            parts.tm_mday = Int32(d)
            parts.tm_hour = Int32(h)
            parts.tm_min = Int32(mi)
            parts.tm_sec = Int32(s)
            let expected = Int(timegm(&parts))
            #expect(FloorTime.epochSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s) == expected, "\(y)-\(mo)-\(d) \(h):\(mi):\(s)")
        }
        for _ in 0..<20_000 {
            check(Int.random(in: 0...9999, using: &rng), Int.random(in: 0...99, using: &rng), Int.random(in: 0...99, using: &rng),
                  Int.random(in: 0...99, using: &rng), Int.random(in: 0...99, using: &rng), Int.random(in: 0...99, using: &rng))
            check(Int.random(in: 1900...2100, using: &rng), Int.random(in: 1...12, using: &rng), Int.random(in: 1...31, using: &rng),
                  Int.random(in: 0...23, using: &rng), Int.random(in: 0...59, using: &rng), Int.random(in: 0...60, using: &rng))
        }
        for (y, mo, d) in [(2024, 2, 29), (2023, 2, 29), (2000, 2, 29), (1900, 2, 29), (1970, 1, 1), (0, 1, 1), (0, 0, 0), (9999, 12, 31), (9999, 99, 99), (2026, 0, 15), (2026, 13, 1)] {
            check(y, mo, d, 0, 0, 0)
        }
        #expect(FloorTime.parseLenient("2026-13-01 00:00:00+00") == FloorTime.parse("2027-01-01T00:00:00Z"))
    }

    // MARK: Oracle

    /// `YYYY-MM-DDTHH:MM:SS` of whole seconds by `gmtime_r` and `%04d` (the formatter the
    /// codec replaced).
    static func cFormat(_ seconds: Int64) -> String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}

/// A seeded generator, so a failure reproduces.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
