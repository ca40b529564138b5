import Foundation

/// A lead from the platform after validation: a customer who checked a price and dropped
/// off. Phone is `+91XXXXXXXXXX`, text is trimmed, price is in minor units (paise).
public struct LeadIntake: Sendable, Hashable {
    public let phone: String
    public let name: String
    public let city: String
    public let pincode: String
    public let category: String
    public let brand: String
    public let model: String
    public let variant: String
    public let priceMinor: Int64
    /// Where the lead came from (campaign source), for the by-source reports.
    public let source: String
    public let team: TeamID
    public let campaign: String?
    public let channel: String?
    public let language: String?
    public let conditions: [String]
    /// The catalogue's verdict that the device is high-end.
    public let isHighEnd: Bool
    /// When the customer dropped off, if the platform said so (nil: at intake, i.e. now).
    /// Never later than the intake's `now` + `maxClockSkew` (`checkCreatedAt`).
    public let createdAt: Date?

    /// The fields as they arrive, unchecked.
    public struct Draft: Sendable, Hashable {
        public var phone: String?
        public var name: String?
        public var city: String?
        public var pincode: String?
        public var category: String?
        public var brand: String?
        public var model: String?
        public var variant: String?
        /// Non-negative whole number of minor units, as text (e.g. `1850000` for ₹18,500).
        public var price: String?
        public var source: String?
        public var team: String?
        public var campaign: String?
        public var channel: String?
        public var language: String?
        public var conditions: [String]
        public var isHighEnd: Bool
        /// The drop-off time (`created_at`), already parsed; nil = now.
        public var createdAt: Date?

        public init(
            phone: String? = nil, name: String? = nil, city: String? = nil, pincode: String? = nil,
            category: String? = nil, brand: String? = nil, model: String? = nil, variant: String? = nil,
            price: String? = nil, source: String? = nil, team: String? = nil,
            campaign: String? = nil, channel: String? = nil, language: String? = nil,
            conditions: [String] = [], isHighEnd: Bool = false, createdAt: Date? = nil
        ) {
            self.createdAt = createdAt
            self.phone = phone
            self.name = name
            self.city = city
            self.pincode = pincode
            self.category = category
            self.brand = brand
            self.model = model
            self.variant = variant
            self.price = price
            self.source = source
            self.team = team
            self.campaign = campaign
            self.channel = channel
            self.language = language
            self.conditions = conditions
            self.isHighEnd = isHighEnd
        }
    }

    /// Longest accepted text field (name, city, device fields, source…), in characters.
    public static let maxFieldLength = 200

    /// `text.count > maxFieldLength`, counting characters only when the UTF-8 length
    /// (never less than the character count) leaves a doubt.
    @inline(__always)
    static func longerThanMax(_ text: String) -> Bool {
        text.utf8.count > maxFieldLength && text.count > maxFieldLength
    }

    /// How far after `now` a lead's `created_at` may lie: the platform's clock and ours may
    /// disagree by a little, never by more than this (5 minutes). A later drop-off time
    /// would push the lead's SLA deadline (15 minutes for a High End) into the future.
    public static let maxClockSkew: TimeInterval = 300

    /// The `created_at` rule, the one place it lives (LEAD ADD, `leadline import` and any
    /// other intake use it): nil when `createdAt` is absent or at most `maxClockSkew` after
    /// `now`, else the problem to report.
    public static func checkCreatedAt(_ createdAt: Date?, now: Date) -> IntakeProblem? {
        guard let createdAt, createdAt.timeIntervalSince(now) > maxClockSkew else { return nil }
        return IntakeProblem(field: "created_at", reason: "in the future (more than \(Int(maxClockSkew / 60)) minutes after now)")
    }

    /// Checks every field and returns the intake, or every problem found (not just the first),
    /// in field order: phone, name, city, pincode, category, brand, model, variant, price,
    /// source, team, created_at (against `now`, `checkCreatedAt`), then the optional fields.
    public static func validate(_ draft: Draft, now: Date) -> Result<LeadIntake, IntakeRejection> {
        var problems: [IntakeProblem] = []

        var phone = ""
        switch draft.phone.map(TextTrim.trimmingBlanks) {
        case nil, "":
            problems.append(IntakeProblem(field: "phone", reason: "required"))
        case let raw?:
            switch checkPhone(raw) {
            case .valid(let normalized): phone = normalized
            case .invalid(let reason): problems.append(IntakeProblem(field: "phone", reason: reason))
            }
        }

        func text(_ value: String?, _ field: String) -> String {
            let trimmed = TextTrim.trimmingBlanks(value ?? "")
            if trimmed.isEmpty {
                problems.append(IntakeProblem(field: field, reason: "required"))
            } else if longerThanMax(trimmed) {
                problems.append(IntakeProblem(field: field, reason: "longer than \(maxFieldLength) characters"))
            }
            return trimmed
        }
        func optionalText(_ value: String?, _ field: String) -> String? {
            let trimmed = TextTrim.trimmingBlanks(value ?? "")
            if trimmed.isEmpty { return nil }
            if longerThanMax(trimmed) {
                problems.append(IntakeProblem(field: field, reason: "longer than \(maxFieldLength) characters"))
            }
            return trimmed
        }

        let name = text(draft.name, "name")
        let city = text(draft.city, "city")

        let rawPincode = text(draft.pincode, "pincode")
        let pincode = Pincode.normalize(rawPincode) ?? ""
        if !rawPincode.isEmpty, pincode.isEmpty {
            problems.append(IntakeProblem(field: "pincode", reason: "must be 6 digits, not starting with 0"))
        }

        let category = text(draft.category, "category")
        let brand = text(draft.brand, "brand")
        let model = text(draft.model, "model")
        let variant = text(draft.variant, "variant")

        let rawPrice = text(draft.price, "price")
        var priceMinor: Int64 = 0
        if !rawPrice.isEmpty {
            // Every byte an ASCII digit is the same as every character one.
            if rawPrice.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let value = Int64(rawPrice) {
                priceMinor = value
            } else {
                problems.append(IntakeProblem(field: "price", reason: "must be a whole, non-negative number of minor units"))
            }
        }

        let source = text(draft.source, "source")
        let team = text(draft.team, "team")
        if let problem = checkCreatedAt(draft.createdAt, now: now) { problems.append(problem) }
        let campaign = optionalText(draft.campaign, "campaign")
        let channel = optionalText(draft.channel, "channel")
        let language = optionalText(draft.language, "language")
        let conditions = draft.conditions
            .map(TextTrim.trimmingBlanks)
            .filter { !$0.isEmpty }

        guard problems.isEmpty else { return .failure(IntakeRejection(problems: problems)) }
        return .success(LeadIntake(
            phone: phone, name: name, city: city, pincode: pincode,
            category: category, brand: brand, model: model, variant: variant,
            priceMinor: priceMinor, source: source, team: team,
            campaign: campaign, channel: channel, language: language,
            conditions: conditions, isHighEnd: draft.isHighEnd, createdAt: draft.createdAt
        ))
    }

    /// An Indian mobile number as `+91XXXXXXXXXX`.
    ///
    /// Accepts 10 digits starting 6–9, optionally prefixed by `+91`, `91` or `0`, with spaces
    /// and dashes anywhere. Nothing else: no other country codes, no letters, no brackets.
    /// - Throws: BAD_ARG saying what is wrong.
    public static func normalizePhone(_ raw: String) throws(Refusal) -> String {
        switch checkPhone(raw) {
        case .valid(let normalized): return normalized
        case .invalid(let reason): throw Refusal(.badArg, IntakeProblem(field: "phone", reason: reason).description)
        }
    }

    /// What `checkPhone` found: the normalised number, or what is wrong with it.
    private enum PhoneCheck {
        case valid(String)
        /// Only the reason, without the field name (`IntakeProblem` adds `phone: ` once).
        case invalid(String)
    }

    /// `normalizePhone`'s check.
    private static func checkPhone(_ raw: String) -> PhoneCheck {
        let trimmed = TextTrim.trimmingBlanks(raw)
        if trimmed.utf8.allSatisfy({ $0 < 0x80 }) { return checkASCIIPhone(trimmed) }
        var text = trimmed.filter { $0 != " " && $0 != "-" }
        var hadPlus = false
        if text.hasPrefix("+") {
            hadPlus = true
            text.removeFirst()
        }
        guard !text.isEmpty, text.allSatisfy(\.isASCIIDigit) else {
            return .invalid("only digits, spaces, dashes and a leading + are allowed")
        }
        let digits: Substring
        if hadPlus {
            guard text.hasPrefix("91"), text.count == 12 else {
                return .invalid("only Indian numbers (+91 and 10 digits) are accepted")
            }
            digits = text.dropFirst(2)
        } else if text.count == 12, text.hasPrefix("91") {
            digits = text.dropFirst(2)
        } else if text.count == 11, text.hasPrefix("0") {
            digits = text.dropFirst(1)
        } else if text.count == 10 {
            digits = Substring(text)
        } else {
            return .invalid("expected a 10-digit mobile number, got \(text.count) digits")
        }
        guard let first = digits.first, "6789".contains(first) else {
            return .invalid("an Indian mobile number starts with 6, 7, 8 or 9")
        }
        return .valid("+91" + digits)
    }

    /// `checkPhone` for ASCII text, byte by byte: every byte is a character, except CR LF,
    /// which is one character, but neither a digit nor a space or dash either way, so the
    /// verdicts and counts are the same.
    private static func checkASCIIPhone(_ trimmed: String) -> PhoneCheck {
        let bytes = trimmed.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "-") }
        let hadPlus = bytes.first == UInt8(ascii: "+")
        let text = bytes[(hadPlus ? 1 : 0)...]
        guard !text.isEmpty, text.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return .invalid("only digits, spaces, dashes and a leading + are allowed")
        }
        let startsWith91 = text.count >= 2 && text[text.startIndex] == UInt8(ascii: "9") && text[text.startIndex + 1] == UInt8(ascii: "1")
        let digits: ArraySlice<UInt8>
        if hadPlus {
            guard startsWith91, text.count == 12 else {
                return .invalid("only Indian numbers (+91 and 10 digits) are accepted")
            }
            digits = text.dropFirst(2)
        } else if text.count == 12, startsWith91 {
            digits = text.dropFirst(2)
        } else if text.count == 11, text.first == UInt8(ascii: "0") {
            digits = text.dropFirst(1)
        } else if text.count == 10 {
            digits = text
        } else {
            return .invalid("expected a 10-digit mobile number, got \(text.count) digits")
        }
        guard let first = digits.first, first >= UInt8(ascii: "6") && first <= UInt8(ascii: "9") else {
            return .invalid("an Indian mobile number starts with 6, 7, 8 or 9")
        }
        return .valid("+91" + String(decoding: digits, as: UTF8.self))
    }

    /// A phone number safe for logs: `+91******3210`. Input that is not a valid number keeps
    /// only its last 2 characters (`********10`), so nothing identifying leaks either way.
    public static func maskPhone(_ phone: String) -> String {
        if let normalized = try? normalizePhone(phone) {
            return "+91******" + normalized.suffix(4)
        }
        let kept = phone.count > 4 ? String(phone.suffix(2)) : ""
        return String(repeating: "*", count: max(phone.count - kept.count, 0)) + kept
    }
}

/// One thing wrong with an incoming lead: the field and what is wrong with it.
public struct IntakeProblem: Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}

/// An incoming lead that was turned away, with every problem found.
public struct IntakeRejection: Error, Sendable, Hashable {
    public let problems: [IntakeProblem]

    /// The fields at fault, in order.
    public var fields: [String] { problems.map(\.field) }

    /// A single BAD_ARG refusal listing every problem, for the wire.
    public var refusal: Refusal {
        Refusal(.badArg, problems.map(\.description).joined(separator: "; "))
    }
}
