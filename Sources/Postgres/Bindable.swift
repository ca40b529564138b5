import Foundation
import LeadCore

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

/// How dates cross into PostgreSQL and back: the shapes of `FloorTime` (LeadCore), the
/// service's one date codec, that PostgreSQL reads and writes.
///
/// Sessions run with `TimeZone=UTC` and `DateStyle=ISO`, so timestamptz values come back
/// as `2026-11-22 13:30:00.123456+00`; parameters go as `2026-11-22T13:30:00.123456Z`.
public enum PostgresTime {
    /// A parameter: UTC with microseconds (`FloorTime.formatPrecise`).
    public static func format(_ date: Date) -> String { FloorTime.formatPrecise(date) }

    /// `format`'s text as UTF-8 bytes, appended to `out` (the COPY encoders' hot path).
    public static func appendFormatted(_ date: Date, to out: inout [UInt8]) { FloorTime.appendPrecise(date, to: &out) }

    /// A `timestamptz` value as PostgreSQL writes it (`FloorTime.parseLenient`).
    public static func parse(_ text: String) -> Date? { FloorTime.parseLenient(text) }
}
