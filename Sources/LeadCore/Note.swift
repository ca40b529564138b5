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

    /// Notes that only restate a disposition: their words written together, lower case
    /// ("Not reachable / switched off." → `notreachableswitchedoff`). They say nothing the
    /// disposition did not (rule 4 of `isMeaningful`). The SQL function lists the same
    /// strings (a test checks the two agree).
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

    /// The rule behind "% of calls with meaningful notes" (SOP 002 KPI 4), in words, not
    /// characters. Its one definition is the SQL function `bi_note_meaningful(text)`
    /// (`sql/views/00_bi_schema.sql`), which the BI refresh applies to every call; this is
    /// its Swift mirror, held equal to it by a property test
    /// (`Tests/LeadStoreTests/NoteRuleTests.swift`). docs/BI.md states it for managers.
    ///
    /// 1. A–Z are lower-cased (only ASCII letters: PostgreSQL's `lower` depends on the
    ///    database's locale, so the rule does not use it).
    /// 2. The note is cut into **words** at every separator: any ASCII character other than
    ///    a–z and 0–9 (white space, punctuation, symbols), and the non-ASCII punctuation
    ///    and spaces U+0080–U+00BF, U+0964–U+0965 (Devanagari danda), U+2000–U+206F
    ///    (dashes, quotes, ellipsis, zero-width characters), U+3000–U+303F and U+FEFF.
    ///    Every other character (any script's letters, marks and digits, emoji) is part of
    ///    a word. Lengths are counted in Unicode code points (PostgreSQL's `char_length`).
    /// 3. A word **counts** when it has at least 2 characters, is not only digits ("7",
    ///    "1234567890"), is not one character repeated ("aaaa"), and is not a placeholder
    ///    (`placeholderWords`: "na", "ok", "test", "xyz", …).
    /// 4. A note is **meaningful** when it has at least `minimumWords` (4) *different*
    ///    counting words, and its words written together are not just a disposition
    ///    (`dispositionWords`: "Not reachable / switched off", "Customer will place order").
    ///
    /// So "Customer busy, callback at 7 PM" (customer, busy, callback, at, pm) is
    /// meaningful; "cust not intrstd" (3 words), "na", "ok ok ok ok", "test", "...",
    /// "RNR" and "Not Reachable / Switched Off" are not.
    public static func isMeaningful(_ text: String) -> Bool {
        let words = noteWords(text)
        guard !words.isEmpty else { return false }
        var distinct = Set<[Unicode.Scalar]>()
        for word in words where counts(word) { distinct.insert(word) }
        guard distinct.count >= minimumWords else { return false }
        var joined = String.UnicodeScalarView()
        for word in words { joined.append(contentsOf: word) }
        return !dispositionWords.contains(String(joined))
    }

    /// Fewest different counting words a meaningful note has.
    public static let minimumWords = 4

    /// Words that say nothing on their own: filler typed to get past "a note is required".
    /// Lower case; a word equal to one of these does not count (rule 3 of `isMeaningful`).
    public static let placeholderWords: Set<String> = [
        "na", "nil", "none", "null", "ok", "okay", "test", "testing", "asdf", "qwerty", "xyz", "abc",
        "xxx", "tbd", "dummy", "blah", "hmm", "lorem", "ipsum",
    ]

    /// Whether `scalar` separates words (rule 2 of `isMeaningful`).
    public static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 {
            return !((0x61...0x7A).contains(v) || (0x41...0x5A).contains(v) || (0x30...0x39).contains(v))
        }
        return (0x80...0xBF).contains(v) || (0x964...0x965).contains(v) || (0x2000...0x206F).contains(v)
            || (0x3000...0x303F).contains(v) || v == 0xFEFF
    }

    /// The note's words (rule 2), A–Z lower-cased, in order, repeats kept.
    static func noteWords(_ text: String) -> [[Unicode.Scalar]] {
        var words: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        for scalar in text.unicodeScalars {
            if isSeparator(scalar) {
                if !current.isEmpty { words.append(current); current = [] }
            } else if (0x41...0x5A).contains(scalar.value) {
                current.append(Unicode.Scalar(scalar.value + 0x20)!)
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// Rule 3: whether a word counts towards `minimumWords`.
    static func counts(_ word: [Unicode.Scalar]) -> Bool {
        guard word.count >= 2 else { return false }
        if word.allSatisfy({ (0x30...0x39).contains($0.value) }) { return false }
        if word.allSatisfy({ $0 == word[0] }) { return false }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: word)
        return !placeholderWords.contains(String(text))
    }

    private static func lettersAndDigits(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars where CharacterSet.alphanumerics.contains(scalar) {
            kept.append(scalar)
        }
        return String(kept)
    }
}
