import Foundation

/// A Swift value that can be sent to PostgreSQL as a text-format parameter.
///
/// Every value in a statement is a parameter (`$1`, `$2`, …) with an explicit cast in
/// the SQL (`$1::bigint`); nothing is ever spliced into SQL text. `nil` is SQL NULL.
public protocol PostgresBindable: Sendable {
    /// The parameter in PostgreSQL's text format, or nil for NULL.
    var postgresText: String? { get }
}

extension String: PostgresBindable { public var postgresText: String? { self } }
extension Substring: PostgresBindable { public var postgresText: String? { String(self) } }
extension Int: PostgresBindable { public var postgresText: String? { String(self) } }
extension Int64: PostgresBindable { public var postgresText: String? { String(self) } }
extension Int32: PostgresBindable { public var postgresText: String? { String(self) } }
extension Double: PostgresBindable { public var postgresText: String? { String(self) } }
extension Bool: PostgresBindable { public var postgresText: String? { self ? "true" : "false" } }
extension Date: PostgresBindable {
    /// UTC, microsecond precision, ISO 8601: cast with `::timestamptz`.
    public var postgresText: String? { PostgresTime.format(self) }
}
extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresText: String? { self.flatMap { $0.postgresText } }
}
extension Array: PostgresBindable where Element: PostgresBindable {
    /// A PostgreSQL array literal (`{"a","b",NULL}`): cast with `::text[]`, `::bigint[]`, ….
    public var postgresText: String? {
        var out = "{"
        for (i, element) in self.enumerated() {
            if i > 0 { out += "," }
            guard let text = element.postgresText else { out += "NULL"; continue }
            out += "\""
            for ch in text.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        return out + "}"
    }
}

/// The one place that turns dates into PostgreSQL text and back.
///
/// Sessions run with `TimeZone=UTC` and `DateStyle=ISO`, so timestamptz values come back
/// as `2026-11-22 13:30:00.123456+00`.
public enum PostgresTime {
    public static func format(_ date: Date) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        appendFormatted(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `format` as it was first written (`gmtime_r` and `String(format:)`): the reference
    /// for the byte-level formatter, and its path for years outside 0000–9999.
    static func slowFormat(_ date: Date) -> String {
        var seconds = date.timeIntervalSince1970
        var micros = Int64((seconds * 1_000_000).rounded())
        seconds = Double(micros.floorDiv(1_000_000))
        micros = micros.floorMod(1_000_000)
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }

    /// `format`'s text as UTF-8 bytes, appended to `out` (the COPY encoder's hot path).
    public static func appendFormatted(_ date: Date, to out: inout [UInt8]) {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros.floorDiv(1_000_000)
        let fraction = micros.floorMod(1_000_000)
        let days = seconds.floorDiv(86_400)
        let daySeconds = seconds.floorMod(86_400)
        let (year, month, day) = civil(fromDays: days)
        guard (0...9999).contains(year) else {
            out.append(contentsOf: slowFormat(date).utf8)
            return
        }
        func put(_ value: Int64, _ digits: Int) {
            var divisor: Int64 = 1
            for _ in 1..<digits { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(truncatingIfNeeded: 48 + v / divisor))
                v %= divisor
                divisor /= 10
            }
        }
        put(year, 4); out.append(UInt8(ascii: "-"))
        put(month, 2); out.append(UInt8(ascii: "-"))
        put(day, 2); out.append(UInt8(ascii: "T"))
        put(daySeconds / 3600, 2); out.append(UInt8(ascii: ":"))
        put(daySeconds / 60 % 60, 2); out.append(UInt8(ascii: ":"))
        put(daySeconds % 60, 2); out.append(UInt8(ascii: "."))
        put(fraction, 6); out.append(UInt8(ascii: "Z"))
    }

    /// Proleptic Gregorian year, month (1–12) and day (1–31) of a day number (0 = 1970-01-01).
    static func civil(fromDays z0: Int64) -> (year: Int64, month: Int64, day: Int64) {
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
    static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]` (also `T` as separator, `Z`).
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(utf8: $0) }
    }

    static func parse(utf8 u: UnsafeBufferPointer<UInt8>) -> Date? {
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
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                guard let oh = num(i + 1, 2) else { return nil }
                var om = 0
                var j = i + 3
                if j < u.count, u[j] == UInt8(ascii: ":") { j += 1 }
                if let m = num(j, 2) { om = m }
                offset = (oh * 3600 + om * 60) * (sign == UInt8(ascii: "-") ? -1 : 1)
            } else {
                return nil
            }
        }
        let epoch = epochSeconds(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
    }

    /// `timegm` of these fields, normalised as `timegm` does (month 0 or 13 and up carry into
    /// the year; day, hour, minute and second beyond their range carry linearly).
    static func epochSeconds(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        let m0 = Int64(month - 1)
        let carry = m0 >= 0 ? m0 / 12 : -((-m0 + 11) / 12)
        let days = days(fromCivil: Int64(year) + carry, m0 - carry * 12 + 1, 1) + Int64(day - 1)
        return Int(days * 86_400) + hour * 3600 + minute * 60 + second
    }
}

extension Int64 {
    fileprivate func floorDiv(_ d: Int64) -> Int64 { let q = self / d; return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q }
    fileprivate func floorMod(_ d: Int64) -> Int64 { self - floorDiv(d) * d }
}
