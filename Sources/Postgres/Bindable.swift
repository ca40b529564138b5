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

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM]]` (also `T` as separator, `Z`).
    public static func parse(_ text: String) -> Date? {
        let u = Array(text.utf8)
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
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
    }
}

extension Int64 {
    fileprivate func floorDiv(_ d: Int64) -> Int64 { let q = self / d; return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q }
    fileprivate func floorMod(_ d: Int64) -> Int64 { self - floorDiv(d) * d }
}
