import Foundation

/// One row of the catalogue as an admin or an import file gives it: a device (with its High
/// End and supported flags) or a serviceable pincode. It exists so the admin verbs and
/// `leadline catalogue import` check entries by one rule: text fields trimmed, not blank, at
/// most `LeadIntake.maxFieldLength` characters; a pincode six digits starting 1–9. How an
/// entry *matches* the catalogue (letter case and white space ignored) is SQL's
/// `catalogue_text()` (migration 0008), not this type's.
public enum CatalogueEntry {
    /// A device as checked: trimmed fields in the spelling given.
    public struct Device: Sendable, Hashable {
        public let category: String
        public let brand: String
        public let model: String
        public let variant: String

        public init(category: String, brand: String, model: String, variant: String) {
            self.category = category
            self.brand = brand
            self.model = model
            self.variant = variant
        }
    }

    /// A serviceable pincode as checked.
    public struct Pincode: Sendable, Hashable {
        public let pincode: String
        public let category: String
        public let city: String

        public init(pincode: String, category: String, city: String) {
            self.pincode = pincode
            self.category = category
            self.city = city
        }
    }

    /// Checks a device's four fields, in that order.
    /// - Throws: BAD_ARG naming the first field that is blank or too long.
    public static func device(category: String?, brand: String?, model: String?, variant: String?) throws(Refusal) -> Device {
        Device(category: try text(category, "category"), brand: try text(brand, "brand"),
               model: try text(model, "model"), variant: try text(variant, "variant"))
    }

    /// Checks a serviceable pincode: the pincode (six digits starting 1–9, spaces ignored),
    /// the device category, the city.
    /// - Throws: BAD_ARG naming the first bad field.
    public static func pincode(_ pincode: String?, category: String?, city: String?) throws(Refusal) -> Pincode {
        let raw = TextTrim.trimmingBlanks(pincode ?? "")
        guard !raw.isEmpty else { throw Refusal(.badArg, "pincode: required") }
        guard let clean = LeadCore.Pincode.normalize(raw) else {
            throw Refusal(.badArg, "pincode: must be 6 digits, not starting with 0")
        }
        return Pincode(pincode: clean, category: try text(category, "category"), city: try text(city, "city"))
    }

    /// A pincode key for retiring: the pincode and the category.
    public static func pincodeKey(_ pincode: String?, category: String?) throws(Refusal) -> (pincode: String, category: String) {
        let entry = try Self.pincode(pincode, category: category, city: "-")
        return (entry.pincode, entry.category)
    }

    /// A boolean cell of an import file: `1`, `yes`, `true`, `0`, `no`, `false` (any case,
    /// trimmed); empty = not given (nil). Anything else is BAD_ARG naming the column.
    public static func flag(_ text: String?, _ field: String) throws(Refusal) -> Bool? {
        let raw = TextTrim.trimmingBlanks(text ?? "").lowercased()
        switch raw {
        case "": return nil
        case "1", "yes", "true": return true
        case "0", "no", "false": return false
        default: throw Refusal(.badArg, "\(field): expected 1, 0, yes, no, true or false")
        }
    }

    static func text(_ value: String?, _ field: String) throws(Refusal) -> String {
        let trimmed = TextTrim.trimmingBlanks(value ?? "")
        guard !trimmed.isEmpty else { throw Refusal(.badArg, "\(field): required") }
        guard !LeadIntake.longerThanMax(trimmed) else {
            throw Refusal(.badArg, "\(field): longer than \(LeadIntake.maxFieldLength) characters")
        }
        return trimmed
    }
}

extension LocalDay {
    /// A calendar day written `YYYY-MM-DD` (as LEADS `from=`/`to=` take it); nil when the
    /// text is not that or names no real day (`2026-02-30`).
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1...12).contains(month), day >= 1 else { return nil }
        let candidate = LocalDay(year: year, month: month, day: day)
        // A day past the month's end rolls over in the calendar: refuse it.
        guard LocalDay(candidate.start(in: .utcZone), in: .utcZone) == candidate else { return nil }
        self = candidate
    }
}
