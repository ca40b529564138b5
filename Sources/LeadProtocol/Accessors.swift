import Foundation
import LeadCore

// Typed access to request arguments.
//
// Each accessor comes in two forms: `int("lead")` for a key that must be
// present (a missing key is BAD_ARG "lead: required"), and
// `optionalInt("wait")`, which returns nil when the key was not sent. A value
// that is present but malformed is always BAD_ARG naming the key, with the
// request's tag. No value may contain NUL (PostgreSQL text cannot hold it).

extension Request {
    /// True if `key` was sent (even with an empty value).
    public func has(_ key: String) -> Bool {
        self[key] != nil
    }

    // MARK: Strings

    /// The value as sent; may be empty.
    public func string(_ key: String) throws(ProtocolError) -> String {
        try required(key)
    }

    public func optionalString(_ key: String) throws(ProtocolError) -> String? {
        try present(key)
    }

    // MARK: Integers

    /// A decimal integer (`-` allowed only if the range allows it; no `+`,
    /// no spaces) within `range`. The default range is 0 and up.
    public func int(_ key: String, range: ClosedRange<Int> = 0...Int.max) throws(ProtocolError) -> Int {
        try parseInt(key, try required(key), range: range)
    }

    public func optionalInt(_ key: String, range: ClosedRange<Int> = 0...Int.max) throws(ProtocolError) -> Int? {
        guard let raw = try present(key) else { return nil }
        return try parseInt(key, raw, range: range)
    }

    // MARK: Booleans

    /// `1`, `yes`, `true` or `0`, `no`, `false` (any case).
    public func bool(_ key: String) throws(ProtocolError) -> Bool {
        try parseBool(key, try required(key))
    }

    public func optionalBool(_ key: String) throws(ProtocolError) -> Bool? {
        guard let raw = try present(key) else { return nil }
        return try parseBool(key, raw)
    }

    // MARK: Times

    /// An ISO 8601 time with an offset (`FloorTime.parse`, docs/PROTOCOL.md "Times in requests").
    public func time(_ key: String) throws(ProtocolError) -> Date {
        try parseTime(key, try required(key))
    }

    public func optionalTime(_ key: String) throws(ProtocolError) -> Date? {
        guard let raw = try present(key) else { return nil }
        return try parseTime(key, raw)
    }

    // MARK: Lists

    /// A comma-separated list; spaces around items are dropped, an empty
    /// value is the empty list, and an empty item (`a,,b`) is BAD_ARG.
    public func list(_ key: String) throws(ProtocolError) -> [String] {
        try parseList(key, try required(key))
    }

    public func optionalList(_ key: String) throws(ProtocolError) -> [String]? {
        guard let raw = try present(key) else { return nil }
        return try parseList(key, raw)
    }

    // MARK: Enumerations

    /// One word of the wire vocabulary, matched exactly (lower case).
    public func enumValue<T: RawRepresentable<String>>(_ key: String, as type: T.Type = T.self) throws(ProtocolError) -> T {
        try parseEnum(key, try required(key), allowed: nil)
    }

    public func optionalEnumValue<T: RawRepresentable<String>>(_ key: String, as type: T.Type = T.self) throws(ProtocolError) -> T? {
        guard let raw = try present(key) else { return nil }
        return try parseEnum(key, raw, allowed: nil)
    }

    /// As above; the error message lists the allowed values.
    public func enumValue<T: RawRepresentable<String> & CaseIterable>(_ key: String, as type: T.Type = T.self) throws(ProtocolError) -> T {
        try parseEnum(key, try required(key), allowed: T.allCases.map(\.rawValue))
    }

    public func optionalEnumValue<T: RawRepresentable<String> & CaseIterable>(_ key: String, as type: T.Type = T.self) throws(ProtocolError) -> T? {
        guard let raw = try present(key) else { return nil }
        return try parseEnum(key, raw, allowed: T.allCases.map(\.rawValue))
    }

    // MARK: Helpers

    /// A BAD_ARG error about `key`, carrying this request's tag.
    public func badArg(_ key: String, _ problem: String) -> ProtocolError {
        .badArg(key, problem, tag: tag)
    }

    private func present(_ key: String) throws(ProtocolError) -> String? {
        guard let raw = self[key] else { return nil }
        guard !raw.utf8.contains(0) else { throw badArg(key, "must not contain NUL") }
        return raw
    }

    private func required(_ key: String) throws(ProtocolError) -> String {
        guard let raw = try present(key) else { throw badArg(key, "required") }
        return raw
    }

    private func parseInt(_ key: String, _ raw: String, range: ClosedRange<Int>) throws(ProtocolError) -> Int {
        let problem = "expected an integer from \(range.lowerBound) to \(range.upperBound)"
        let digits = raw.utf8.first == ASCII.minus ? raw.utf8.dropFirst() : raw.utf8.dropFirst(0)
        guard !digits.isEmpty, digits.allSatisfy(ASCII.isDigit), let value = Int(raw), range.contains(value) else {
            throw badArg(key, problem)
        }
        return value
    }

    private func parseBool(_ key: String, _ raw: String) throws(ProtocolError) -> Bool {
        switch raw.lowercased() {
        case "1", "yes", "true": return true
        case "0", "no", "false": return false
        default: throw badArg(key, "expected 1, 0, yes, no, true or false")
        }
    }

    private func parseTime(_ key: String, _ raw: String) throws(ProtocolError) -> Date {
        guard let date = FloorTime.parse(raw) else {
            throw badArg(key, "expected an ISO 8601 time with an offset, like 2026-11-22T19:00:00+05:30 or 2026-11-22T13:30:00Z")
        }
        return date
    }

    private func parseList(_ key: String, _ raw: String) throws(ProtocolError) -> [String] {
        if raw.allSatisfy({ $0 == " " || $0 == "\t" }) { return [] }
        var items: [String] = []
        for part in raw.split(separator: ",", omittingEmptySubsequences: false) {
            let item = part.trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
            guard !item.isEmpty else { throw badArg(key, "empty item in a comma-separated list") }
            items.append(item)
        }
        return items
    }

    private func parseEnum<T: RawRepresentable<String>>(_ key: String, _ raw: String, allowed: [String]?) throws(ProtocolError) -> T {
        guard let value = T(rawValue: raw) else {
            if let allowed {
                throw badArg(key, "expected one of " + allowed.joined(separator: ", "))
            }
            throw badArg(key, "unknown value")
        }
        return value
    }
}
