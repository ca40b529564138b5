import Foundation
@testable import LeadCore
import Testing

/// `TextTrim` (the intake's trimming without Foundation) against Foundation itself.
@Suite struct TextTrimTests {
    @Test func everyScalarIsClassifiedAsTheCharacterSetsDo() {
        let whitespaces = CharacterSet.whitespaces
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(TextTrim.isBlank(scalar) == Note.blankCharacters.contains(scalar), "U+\(String(value, radix: 16))")
            #expect(TextTrim.isWhitespace(scalar) == whitespaces.contains(scalar), "U+\(String(value, radix: 16))")
        }
    }

    static let pieces: [String] = [
        " ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}", "\u{1680}", "\u{2003}", "\u{2028}", "\u{2029}",
        "\u{202F}", "\u{205F}", "\u{3000}", "\u{200B}", "\u{200C}", "\u{200D}", "\u{2060}", "\u{FEFF}", "\u{301}", "\u{180E}",
        "a", "Z", "9", "-", "+", ",", ";", "é", "e\u{301}", "👋", "👩‍👩‍👧", "नमस्ते", "\u{0}",
    ]

    static func randomStrings(_ count: Int) -> [String] {
        var rng = SystemRandomNumberGenerator()
        return [""] + (0..<count).map { _ in
            (0..<Int.random(in: 0...8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
        }
    }

    @Test func trimmingMatchesFoundation() {
        for text in Self.randomStrings(20_000) {
            #expect(TextTrim.trimmingBlanks(text) == text.trimmingCharacters(in: Note.blankCharacters), "\(Array(text.unicodeScalars))")
            #expect(TextTrim.trimmingWhitespaces(text) == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
        }
    }

    /// The phone check as it was before its ASCII fast path (Characters throughout).
    static func referencePhone(_ raw: String) -> String {
        var text = raw.trimmingCharacters(in: Note.blankCharacters).filter { $0 != " " && $0 != "-" }
        var hadPlus = false
        if text.hasPrefix("+") {
            hadPlus = true
            text.removeFirst()
        }
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else { return "only digits, spaces, dashes and a leading + are allowed" }
        let digits: Substring
        if hadPlus {
            guard text.hasPrefix("91"), text.count == 12 else { return "only Indian numbers (+91 and 10 digits) are accepted" }
            digits = text.dropFirst(2)
        } else if text.count == 12, text.hasPrefix("91") {
            digits = text.dropFirst(2)
        } else if text.count == 11, text.hasPrefix("0") {
            digits = text.dropFirst(1)
        } else if text.count == 10 {
            digits = Substring(text)
        } else {
            return "expected a 10-digit mobile number, got \(text.count) digits"
        }
        guard let first = digits.first, "6789".contains(first) else { return "an Indian mobile number starts with 6, 7, 8 or 9" }
        return "+91" + digits
    }

    static func phoneVerdict(_ raw: String) -> String {
        do { return try LeadIntake.normalizePhone(raw) } catch { return String(error.message.dropFirst("phone: ".count)) }
    }

    @Test func phoneCheckMatchesTheCharacterVersion() {
        var rng = SystemRandomNumberGenerator()
        let parts = ["9", "8", "6", "1", "0", "5", "91", "+", "+91", " ", "-", "\r\n", "\r", "\t", "x", "\u{A0}", "٣", "9\u{301}", " \u{301}", "-\u{301}", "\u{200B}"]
        var samples = ["+91 98450 12345", "9845012345", "09845012345", "919845012345", "+919845012345", "+1 555 0100", "12345", "", " ", "98450-12345 ", "\u{FEFF}9845012345"]
        for _ in 0..<30_000 {
            samples.append((0..<Int.random(in: 1...14, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined())
            samples.append(String(Int64.random(in: 0...999_999_999_999, using: &rng)))
        }
        for raw in samples {
            #expect(Self.phoneVerdict(raw) == Self.referencePhone(raw), "\(Array(raw.unicodeScalars))")
        }
    }

    @Test func pincodeMatchesTheCharacterVersion() {
        func reference(_ text: String) -> String? {
            let digits = text.filter { $0 != " " }
            guard digits.count == 6, digits.allSatisfy(\.isASCIIDigit), digits.first != "0" else { return nil }
            return digits
        }
        var rng = SystemRandomNumberGenerator()
        let parts = ["5", "6", "0", "1", " ", "\r\n", "x", "٣", "5\u{301}", " \u{301}", "560001", "056001"]
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...8, using: &rng)).map { _ in parts.randomElement(using: &rng)! }.joined()
            #expect(Pincode.normalize(text) == reference(text), "\(Array(text.unicodeScalars))")
        }
    }

    @Test func longFieldsAreCountedInCharacters() {
        let draft = { (name: String) in LeadIntake.Draft(
            phone: "9845012345", name: name, city: "Bengaluru", pincode: "560001", category: "phone", brand: "Apple",
            model: "iPhone 15", variant: "128GB", price: "100", source: "web", team: "blr") }
        // 200 characters of 2 bytes each: longer than 200 bytes, not than 200 characters.
        #expect((try? LeadIntake.validate(draft(String(repeating: "é", count: 200)), now: Date()).get()) != nil)
        #expect((try? LeadIntake.validate(draft(String(repeating: "e\u{301}", count: 200)), now: Date()).get()) != nil)
        #expect((try? LeadIntake.validate(draft(String(repeating: "é", count: 201)), now: Date()).get()) == nil)
        #expect((try? LeadIntake.validate(draft(String(repeating: "a", count: 201)), now: Date()).get()) == nil)
        #expect((try? LeadIntake.validate(draft(String(repeating: "a", count: 200)), now: Date()).get()) != nil)
    }
}
