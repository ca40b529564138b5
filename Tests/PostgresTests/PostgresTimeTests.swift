import Foundation
@testable import Postgres
import Testing

/// The byte-level `PostgresTime.format` and `parse` (the CSV import's hot path) against
/// the C library and Foundation.
@Suite struct PostgresTimeTests {
    /// Dates across 0000–9999: random ones, and the edges (epoch, leap days, centuries,
    /// the ends of the fast path's range, sub-microsecond rounding across a second).
    static func sampleDates() -> [Date] {
        var rng = SystemRandomNumberGenerator()
        let low = -62_167_219_200.0   // 0000-01-01T00:00:00Z
        let high = 253_402_300_799.0  // 9999-12-31T23:59:59Z
        var dates = (0..<20_000).map { _ in Date(timeIntervalSince1970: Double.random(in: low...high, using: &rng)) }
        dates += (0..<5_000).map { _ in Date(timeIntervalSince1970: Double(Int64.random(in: -3_000_000_000...4_000_000_000, using: &rng)) + Double(Int.random(in: 0..<1_000_000)) / 1_000_000) }
        for edge in [0.0, -0.000_000_4, -0.000_000_6, 0.999_999_6, -1, 59.999_999_5, 86_399.999_999_7, 951_782_400, 951_868_799.999_999,
                     1_709_164_800, 4_107_456_000, -2_208_988_800, -2_203_891_200, -12_219_292_800, low, low + 0.5, high, high + 0.999_999,
                     high + 0.999_999_6, low - 1, low - 0.000_000_4, high + 1, 1e11, -1e11, 1_795_000_000.123456] {
            dates.append(Date(timeIntervalSince1970: edge))
        }
        return dates
    }

    @Test func formatMatchesTheCLibraryFormatter() {
        for date in Self.sampleDates() {
            #expect(PostgresTime.format(date) == PostgresTime.slowFormat(date), "\(date.timeIntervalSince1970)")
        }
    }

    @Test func formatMatchesFoundationsCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        // Foundation's Gregorian calendar is Julian before 1582-10-15; PostgreSQL and
        // `gmtime` are proleptic Gregorian, so compare from 1583 on.
        for date in Self.sampleDates().filter({ $0.timeIntervalSince1970 >= -12_212_553_600 }).prefix(5_000) {
            let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
            let whole = Date(timeIntervalSince1970: Double(micros >= 0 ? micros / 1_000_000 : -((-micros + 999_999) / 1_000_000)))
            let c = calendar.dateComponents([.era, .year, .month, .day, .hour, .minute, .second], from: whole)
            guard c.era == 1 else { continue }  // Foundation counts years before 1 AD by era
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
            #expect(PostgresTime.format(date).hasPrefix(expected), "\(date.timeIntervalSince1970)")
        }
    }

    @Test func parseMatchesFoundationInManyTimeZones() {
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime]
        var rng = SystemRandomNumberGenerator()
        let zones = ["UTC", "Asia/Kolkata", "America/Los_Angeles", "Asia/Kathmandu", "Pacific/Chatham", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
        for name in zones {
            iso.timeZone = TimeZone(identifier: name)
            for _ in 0..<1_000 {
                // From 1970: before standard time, zones had offsets in seconds (LMT), which
                // ISO 8601 text cannot carry.
                let date = Date(timeIntervalSince1970: Double(Int64.random(in: 0...4_000_000_000, using: &rng)))
                let text = iso.string(from: date)  // e.g. 2026-11-22T10:15:00+05:30, or …Z in UTC
                #expect(PostgresTime.parse(text) == date, "\(text)")
                #expect(PostgresTime.parse(text) == iso.date(from: text), "\(text)")
            }
        }
        #expect(PostgresTime.parse("2026-11-22T10:15:00.25+05:30") == PostgresTime.parse("2026-11-22T04:45:00Z")!.addingTimeInterval(0.25))
        #expect(PostgresTime.parse("2026-11-22 04:45:00+00") == PostgresTime.parse("2026-11-22T04:45:00Z"))
        #expect(PostgresTime.parse("2026-11-22T10:15:00-0230") == PostgresTime.parse("2026-11-22T12:45:00Z"))
        #expect(PostgresTime.parse("yesterday") == nil)
        #expect(PostgresTime.parse("2026-11-22T10:15:00X") == nil)
    }

    /// `parse` used `timegm`, which carries out-of-range fields (month 13, day 32, hour 25…):
    /// the arithmetic that replaced it carries them the same way.
    @Test func epochSecondsMatchesTimegmWithItsCarries() {
        var rng = SystemRandomNumberGenerator()
        func check(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) {
            var parts = tm()
            parts.tm_year = Int32(y - 1900)
            parts.tm_mon = Int32(mo - 1)
            parts.tm_mday = Int32(d)
            parts.tm_hour = Int32(h)
            parts.tm_min = Int32(mi)
            parts.tm_sec = Int32(s)
            let expected = Int(timegm(&parts))
            #expect(PostgresTime.epochSeconds(year: y, month: mo, day: d, hour: h, minute: mi, second: s) == expected, "\(y)-\(mo)-\(d) \(h):\(mi):\(s)")
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
    }
}
