import Foundation

/// The agent's note on a call. SOP: "every call MUST have a note — if it's not written, it
/// didn't happen". `validate` is the hard rule at DISPOSE time; `isMeaningful` is the softer
/// BI measure behind "% of calls with meaningful notes".
public enum Note {
    /// Longest note accepted, in Unicode scalars (PostgreSQL's `char_length`).
    public static let maxLength = 2000

    /// Characters that do not count as writing: Unicode white space and line breaks, plus
    /// the invisible zero-width characters (U+200B–U+200D, U+2060, U+FEFF).
    public static let blankCharacters: CharacterSet = {
        var set = CharacterSet.whitespacesAndNewlines
        set.insert(charactersIn: "\u{200B}\u{200C}\u{200D}\u{2060}\u{FEFF}")
        return set
    }()

    /// Returns the note with blank characters trimmed from both ends.
    /// - Throws: NOTE_REQUIRED when the note is missing or blank; BAD_ARG when it is longer
    ///   than `maxLength` after trimming.
    @discardableResult
    public static func validate(_ text: String?) throws(Refusal) -> String {
        let trimmed = (text ?? "").trimmingCharacters(in: blankCharacters)
        guard !trimmed.isEmpty else {
            throw Refusal(.noteRequired, "note: every call needs a note saying what happened")
        }
        let length = trimmed.unicodeScalars.count
        guard length <= maxLength else {
            throw Refusal(.badArg, "note: \(length) characters, at most \(maxLength) allowed")
        }
        return trimmed
    }

    /// Fewest letters and digits a meaningful note has.
    public static let minimumMeaningfulLength = 10

    /// Notes that only restate a disposition, written as letters and digits in lower case
    /// ("Not reachable." → `notreachable`). They say nothing the disposition did not.
    public static let dispositionWords: Set<String> = {
        var words = Set<String>()
        for disposition in Disposition.allCases {
            words.insert(lettersAndDigits(disposition.rawValue))
            words.insert(lettersAndDigits(disposition.label))
        }
        words.formUnion([
            "notreachable", "switchedoff", "switchoff", "notconnected", "noanswer", "notanswered",
            "noresponse", "ringingnoresponse", "rnr", "busy", "callbacklater", "calllater",
            "followup", "connected", "invalid", "notpicked", "notpicking", "didnotpick",
        ])
        return words
    }()

    /// A note a manager would accept as telling the story of the call:
    /// 1. at least `minimumMeaningfulLength` (10) letters or digits, and
    /// 2. those letters and digits, lower-cased, are not one of `dispositionWords`, and
    /// 3. they are not a single character repeated ("aaaaaaaaaa", "..........1111111111").
    ///
    /// SQL mirror: with `x = lower(regexp_replace(note, '[^[:alnum:]]', '', 'g'))`,
    /// `length(x) >= 10 AND x <> ALL(<dispositionWords>) AND x !~ '^(.)\1*$'`.
    public static func isMeaningful(_ text: String) -> Bool {
        let core = lettersAndDigits(text)
        guard core.unicodeScalars.count >= minimumMeaningfulLength else { return false }
        guard !dispositionWords.contains(core) else { return false }
        let first = core.unicodeScalars.first
        return !core.unicodeScalars.allSatisfy { $0 == first }
    }

    private static func lettersAndDigits(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars where CharacterSet.alphanumerics.contains(scalar) {
            kept.append(scalar)
        }
        return String(kept)
    }
}
