import Foundation
import LeadCore

/// One `key=value` pair of a request or a reply, in wire order.
///
/// Requests and replies keep their pairs as an ordered list (not a dictionary)
/// so that encoding is deterministic and a reply reads the way it was written.
public struct Field: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }

    /// An integer field (ids, counts, money in minor units).
    public init(_ key: String, _ value: Int) {
        self.init(key, String(value))
    }

    /// A boolean field, sent as `1` or `0`.
    public init(_ key: String, _ value: Bool) {
        self.init(key, value ? "1" : "0")
    }

    /// A time field, sent in UTC with whole seconds (`2026-11-22T13:30:00Z`, `FloorTime.format`).
    public init(_ key: String, _ value: Date) {
        self.init(key, FloorTime.format(value))
    }
}

extension Array where Element == Field {
    /// The value of the first field named `key`, if any.
    public func value(_ key: String) -> String? {
        first { $0.key == key }?.value
    }
}

/// Small, shared rules of the wire syntax: tags, keys, value quoting.
///
/// These live in one place so the request parser, the reply encoder and any
/// client that builds requests agree byte for byte.
public enum Wire {
    /// The greeting the server sends on connect.
    public static let greeting = "HELLO leadline proto=1"
    /// The protocol version announced in the greeting.
    public static let protocolVersion = 1
    /// The longest tag, not counting `#`.
    public static let maxTagLength = 32

    /// True if `tag` (without `#`) is 1–32 characters of `[A-Za-z0-9_.:-]`.
    public static func isValidTag(_ tag: String) -> Bool {
        isValidTag(Array(tag.utf8)[...])
    }

    static func isValidTag(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard (1...maxTagLength).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            ASCII.isLetter(byte) || ASCII.isDigit(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: ":") || byte == ASCII.minus
        }
    }

    /// True if `key` matches `[a-z][a-z0-9_]*`.
    public static func isValidKey(_ key: String) -> Bool {
        isValidKey(Array(key.utf8)[...])
    }

    static func isValidKey(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, ASCII.isLower(first) else { return false }
        return bytes.allSatisfy { ASCII.isLower($0) || ASCII.isDigit($0) || $0 == UInt8(ascii: "_") }
    }

    /// Encodes a value for the wire: bare if it is non-empty and holds no
    /// space, `"`, `\`, `=` or control character; otherwise double-quoted with
    /// `\"`, `\\`, `\n`, `\t`, `\r` and `\xHH` (other control bytes) escapes.
    public static func encodeValue(_ value: String) -> String {
        let utf8 = value.utf8
        if !utf8.isEmpty && !utf8.contains(where: needsQuoting) {
            return value
        }
        var out: [UInt8] = [ASCII.quote]
        out.reserveCapacity(utf8.count + 2)
        for byte in utf8 {
            switch byte {
            case ASCII.quote: out += [ASCII.backslash, ASCII.quote]
            case ASCII.backslash: out += [ASCII.backslash, ASCII.backslash]
            case ASCII.lf: out += [ASCII.backslash, UInt8(ascii: "n")]
            case ASCII.tab: out += [ASCII.backslash, UInt8(ascii: "t")]
            case ASCII.cr: out += [ASCII.backslash, UInt8(ascii: "r")]
            case _ where ASCII.isForbiddenControl(byte):
                out += [ASCII.backslash, UInt8(ascii: "x"), hexDigit(byte >> 4), hexDigit(byte & 0x0F)]
            default:
                out.append(byte)
            }
        }
        out.append(ASCII.quote)
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes fields as ` key=value key=value` (each preceded by one space).
    static func encodeFields(_ fields: [Field]) -> String {
        var out = ""
        for field in fields {
            assert(isValidKey(field.key), "invalid wire key \(field.key)")
            out += " " + field.key + "=" + encodeValue(field.value)
        }
        return out
    }

    private static func needsQuoting(_ byte: UInt8) -> Bool {
        byte == ASCII.space || byte == ASCII.quote || byte == ASCII.backslash
            || byte == ASCII.equals || byte < 0x20 || byte == ASCII.del
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10
    }
}
