import Foundation

/// The service's one codec for instants as text (ISO 8601 / RFC 3339, always UTC out).
///
/// Times cross three borders as text: the line protocol (requests carry an offset,
/// replies are UTC with whole seconds, docs/PROTOCOL.md "Times"), PostgreSQL (parameters
/// with microseconds, `timestamptz` values read back as `2026-11-22 13:30:00.123456+00`),
/// and files (the CSV import's `created_at`). Each used to have its own formatter or
/// parser; they are all here now, sharing one calendar (proleptic Gregorian, Howard
/// Hinnant's day-number algorithms), byte-level and without `DateFormatter`, because the
/// import and every row read go through them. Pure: no clock, no locale, no time zone
/// database.
///
/// Shapes:
/// - `format` — a reply time: `2026-11-22T13:30:00Z` (rounded down to the second).
/// - `formatPrecise` / `appendPrecise` — a database parameter: `2026-11-22T13:30:00.123456Z`
///   (rounded to the microsecond, PostgreSQL's precision).
/// - `format(epochSeconds:)`, `formatDay(epochDays:)` — the same reply shape, and a
///   `YYYY-MM-DD` day, from whole numbers (the demo history's hot loop).
/// - `parse` — a request time: strict, the grammar docs/PROTOCOL.md gives.
/// - `parseLenient` — PostgreSQL's output and the import's `created_at`.
public enum FloorTime {
    // MARK: Formatting

    /// A reply time in UTC with whole seconds: `2026-11-22T13:30:00Z`. Fractions of a
    /// second are dropped (rounded down); years are clamped to 0001–9999 so the text
    /// always has this fixed shape.
    public static func format(_ date: Date) -> String {
        let interval = date.timeIntervalSince1970
        let seconds = interval.isNaN ? 0 : interval.rounded(.down)
        return format(epochSeconds: Int64(min(max(seconds, -62_135_596_800), 253_402_300_799)))
    }

    /// `format` of whole seconds since 1970-01-01T00:00:00Z (years 0000–9999).
    public static func format(epochSeconds t: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        let days = t.floorDivided(by: 86_400)
        appendDay(days, to: &out)
        out.append(UInt8(ascii: "T"))
        appendClock(t - days * 86_400, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYY-MM-DD` of a day number (0 = 1970-01-01; years 0000–9999).
    public static func formatDay(epochDays days: Int64) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(10)
        appendDay(days, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A database parameter: UTC, microseconds, `2026-11-22T13:30:00.123456Z` (cast with
    /// `::timestamptz`). Rounded to the nearest microsecond.
    public static func formatPrecise(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        appendPrecise(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `formatPrecise`'s text as UTF-8 bytes, appended to `out` (the COPY encoders' hot
    /// path). Years outside 0000–9999 are written as C's `%04d` writes them (`-001`,
    /// `10000`), which PostgreSQL reads.
    public static func appendPrecise(_ date: Date, to out: inout [UInt8]) {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros.floorDivided(by: 1_000_000)
        let fraction = micros - seconds * 1_000_000
        let days = seconds.floorDivided(by: 86_400)
        appendDay(days, to: &out)
        out.append(UInt8(ascii: "T"))
        appendClock(seconds - days * 86_400, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(fraction, 6, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// `YYYY-MM-DD`; a year outside 0000–9999 as `%04d` (sign counted in the width).
    private static func appendDay(_ days: Int64, to out: inout [UInt8]) {
        let (year, month, day) = civil(fromDays: days)
        if year < 0 {
            out.append(UInt8(ascii: "-"))
            appendDigits(-year, 3, to: &out)
        } else {
            appendDigits(year, 4, to: &out)
        }
        out.append(UInt8(ascii: "-"))
        appendDigits(month, 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, 2, to: &out)
    }

    /// `HH:MM:SS` of a second of the day (0..<86400).
    private static func appendClock(_ second: Int64, to out: inout [UInt8]) {
        appendDigits(second / 3600, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(second / 60 % 60, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(second % 60, 2, to: &out)
    }

    /// A non-negative number in at least `width` digits, zero-padded.
    private static func appendDigits(_ value: Int64, _ width: Int, to out: inout [UInt8]) {
        var digits = 1
        var divisor: Int64 = 1
        while digits < width || value / divisor >= 10 {
            divisor *= 10
            digits += 1
        }
        var v = value
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: 48 + v / divisor))
            v %= divisor
            divisor /= 10
        }
    }

    // MARK: Parsing

    /// A request time, strictly: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.
    ///
    /// The offset is required (a time without one is ambiguous on a floor that spans time
    /// zones). `T` and `Z` are upper case; the fraction has 1–9 digits; month, day (leap
    /// years included), hour 00–23, minute and second 00–59 and the offset (at most
    /// 23:59) are range-checked; the year is 0001 or later. Returns nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        // The fixed part: 2026-11-22T19:00:00 (19 bytes), then fraction and offset.
        guard b.count >= 20,
              let year = number(b, 0, 4), b[4] == minus,
              let month = number(b, 5, 2), b[7] == minus,
              let day = number(b, 8, 2), b[10] == UInt8(ascii: "T"),
              let hour = number(b, 11, 2), b[13] == colon,
              let minute = number(b, 14, 2), b[16] == colon,
              let second = number(b, 17, 2)
        else { return nil }
        guard year >= 1, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour <= 23, minute <= 59, second <= 59
        else { return nil }

        var index = 19
        var fraction = 0.0
        if b[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < b.count, isDigit(b[index]) { index += 1 }
            let digits = index - start
            guard (1...9).contains(digits), let value = number(b, start, digits) else { return nil }
            fraction = Double(value) / pow(10, Double(digits))
        }

        guard index < b.count else { return nil }
        var offsetSeconds = 0
        if b[index] == UInt8(ascii: "Z") {
            index += 1
        } else if b[index] == UInt8(ascii: "+") || b[index] == minus {
            let sign = b[index] == minus ? -1 : 1
            guard index + 6 == b.count,
                  let offsetHours = number(b, index + 1, 2), b[index + 3] == colon,
                  let offsetMinutes = number(b, index + 4, 2),
                  offsetHours <= 23, offsetMinutes <= 59
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            index += 6
        } else {
            return nil
        }
        guard index == b.count else { return nil }

        let days = Int(days(fromCivil: Int64(year), Int64(month), Int64(day)))
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// PostgreSQL's `timestamptz` text (sessions run with `TimeZone=UTC`, `DateStyle=ISO`:
    /// `2026-11-22 13:30:00.123456+00`) and the import's `created_at`, leniently:
    /// `YYYY-MM-DD?HH:MM:SS[.digits][Z|±HH|±HHMM|±HH:MM]`.
    ///
    /// The separators are not checked, a missing offset means UTC, anything after the
    /// offset is ignored, and fields out of range carry as C's `timegm` carries them
    /// (month 13 is January of the next year, hour 25 is 01:00 the next day). Nil when a
    /// field is not digits or the offset is neither `Z` nor a sign.
    public static func parseLenient(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parseLenient(utf8: $0) }
    }

    /// `parseLenient` over UTF-8 bytes.
    public static func parseLenient(utf8 u: UnsafeBufferPointer<UInt8>) -> Date? {
        func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= u.count else { return nil }
            var v = 0
            for i in from..<(from + count) {
                let c = u[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard u.count >= 19,
              let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
              let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2)
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                fraction += Double(u[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < u.count {
            let sign = u[i]
            if sign == UInt8(ascii: "Z") {
                i += 1
            } else if sign == UInt8(ascii: "+") || sign == minus {
                guard let oh = num(i + 1, 2) else { return nil }
                var om = 0
                var j = i + 3
                if j < u.count, u[j] == colon { j += 1 }
                if let m = num(j, 2) { om = m }
                offset = (oh * 3600 + om * 60) * (sign == minus ? -1 : 1)
            } else {
                return nil
            }
        }
        let epoch = epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
    }

    // MARK: The calendar

    /// `timegm` of these fields, normalised as `timegm` does (month 0 or 13 and up carry into
    /// the year; day, hour, minute and second beyond their range carry linearly).
    public static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        let m0 = Int64(month - 1)
        let carry = m0 >= 0 ? m0 / 12 : -((-m0 + 11) / 12)
        let days = days(fromCivil: Int64(year) + carry, m0 - carry * 12 + 1, 1) + Int64(day - 1)
        return Int(days * 86_400) + hour * 3600 + minute * 60 + second
    }

    /// Proleptic Gregorian year, month (1–12) and day (1–31) of a day number (0 = 1970-01-01).
    public static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The day number (0 = 1970-01-01) of a proleptic Gregorian date; `month` 1–12.
    public static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static let minus = UInt8(ascii: "-")
    private static let colon = UInt8(ascii: ":")
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// `count` ASCII digits at `start` as a number, or nil.
    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<start + count] {
            guard isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }
}

extension Int64 {
    /// Division rounding towards minus infinity (a day number of a time before 1970).
    fileprivate func floorDivided(by d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
