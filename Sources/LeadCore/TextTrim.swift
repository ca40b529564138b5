import Foundation

/// Trimming without Foundation on the hot path (CSV import, LEAD ADD): the same result as
/// `trimmingCharacters(in:)` with `Note.blankCharacters` or `CharacterSet.whitespaces`,
/// which trim whole Unicode scalars from both ends. Tests check every scalar against
/// the character sets and many strings against Foundation.
public enum TextTrim {
    /// Whether `s` is in `Note.blankCharacters` (`.whitespacesAndNewlines` plus zero-width
    /// spaces and joiners, word joiner and BOM).
    @inline(__always)
    public static func isBlank(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
        switch v {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200D, 0x2028, 0x2029, 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF: return true
        default: return false
        }
    }

    /// Whether `s` is in `CharacterSet.whitespaces` (space separators and tab; Foundation
    /// also counts the zero-width space U+200B).
    @inline(__always)
    public static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return v == 0x20 || v == 0x09 }
        switch v {
        case 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// `text.trimmingCharacters(in: Note.blankCharacters)`.
    public static func trimmingBlanks(_ text: String) -> String { trimming(text, isBlank) }

    /// `text.trimmingCharacters(in: .whitespaces)`.
    public static func trimmingWhitespaces(_ text: String) -> String { trimming(text, isWhitespace) }

    @inline(__always)
    static func trimming(_ text: String, _ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return text }
        if !drop(first) && !drop(last) { return text }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, drop(scalars[start]) { start = scalars.index(after: start) }
        while start < end {
            let before = scalars.index(before: end)
            guard drop(scalars[before]) else { break }
            end = before
        }
        return String(scalars[start..<end])
    }
}
