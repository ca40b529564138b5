import Foundation

/// What the agent filled in on "Convert to Order". Every field is optional because the wire
/// may omit any of them; `validate` says which one is missing or wrong.
public struct ConversionRequest: Sendable, Hashable {
    /// The customer said "Yes, please place the order". Only an explicit true counts.
    public var consent: Bool?
    /// The customer accepted the estimated, inspection-based price. Only an explicit true counts.
    public var priceConfirmed: Bool?
    public var category: String?
    public var brand: String?
    public var model: String?
    public var variant: String?
    /// The condition answers (e.g. `screen:no_scratches`); at least one, none blank.
    public var conditions: [String]?
    public var pincode: String?
    public var address: String?
    public var landmark: String?
    /// The pickup slot's start.
    public var slot: Date?
    public var paymentMethod: PaymentMethod?
    /// A payment method the wire named that is not UPI or bank (e.g. `cash`): refused with
    /// PAYMENT_REQUIRED, like a missing one.
    public var unknownPaymentMethod: String?
    /// A UPI id (`name@bank`) or a bank account number, matching `paymentMethod`.
    public var paymentRef: String?
    /// The city confirmed on the call (SOP 003 §4A "correct city & pincode"); nil or blank:
    /// the lead's city. The catalogue says whether the pincode lies in it.
    public var city: String?
    /// The accessories the customer mentioned (SOP 003 §4B, "if applicable"): nil = not
    /// applicable, `[]` = none.
    public var accessories: [String]?
    /// The end of the pickup slot: the slot is the window [`slot`, `slotEnd`). nil = `slot`
    /// plus `defaultSlotLength`.
    public var slotEnd: Date?

    public init(
        consent: Bool? = nil,
        priceConfirmed: Bool? = nil,
        category: String? = nil,
        brand: String? = nil,
        model: String? = nil,
        variant: String? = nil,
        conditions: [String]? = nil,
        pincode: String? = nil,
        address: String? = nil,
        landmark: String? = nil,
        slot: Date? = nil,
        paymentMethod: PaymentMethod? = nil,
        paymentRef: String? = nil
    ) {
        self.consent = consent
        self.priceConfirmed = priceConfirmed
        self.category = category
        self.brand = brand
        self.model = model
        self.variant = variant
        self.conditions = conditions
        self.pincode = pincode
        self.address = address
        self.landmark = landmark
        self.slot = slot
        self.paymentMethod = paymentMethod
        self.paymentRef = paymentRef
    }

    /// Fewest characters a pickup address may have after trimming.
    public static let minimumAddressLength = 10
    /// A pickup window's length when only its start is given.
    public static let defaultSlotLength: TimeInterval = 2 * 3600
    /// The longest pickup window (a vendor plans a visit, not a day).
    public static let maxSlotLength: TimeInterval = 12 * 3600
    /// Most accessories one order lists.
    public static let maxAccessories = 20

    /// The SOP's consent rule for a wire answer: only an explicit yes (`1`, `yes`, `true`,
    /// any case) is consent; anything else that was said (`no`, `maybe`, …) is not (false);
    /// nothing said is nil. Both are CONSENT_REQUIRED (and the same for `price_confirmed`).
    public static func explicitYes(_ answer: String?) -> Bool? {
        guard let answer else { return nil }
        switch TextTrim.trimmingBlanks(answer).lowercased() {
        case "1", "yes", "true": return true
        default: return false
        }
    }

    /// The order the pre-checks run in; the first failure is the refusal. What the customer
    /// must say comes first, then what the agent types, then the catalogue's verdicts:
    ///
    /// 1. consent — CONSENT_REQUIRED
    /// 2. price_confirmed — PRICE_NOT_CONFIRMED
    /// 3. category, brand, model, variant — DEVICE_REQUIRED (naming the field)
    /// 4. conditions — CONDITIONS_REQUIRED
    /// 5. pincode — PINCODE_REQUIRED (missing, or not 6 digits starting 1–9)
    /// 6. address — ADDRESS_REQUIRED (blank or shorter than 10 characters)
    /// 7. landmark — LANDMARK_REQUIRED
    /// 8. slot — SLOT_REQUIRED, SLOT_IN_PAST (not after now), SLOT_TOO_FAR (beyond `slotHorizon`)
    /// 9. slot_end — SLOT_WINDOW_INVALID (not after the start, or longer than `maxSlotLength`)
    /// 10. accessories — BAD_ARG (more than `maxAccessories`, or one longer than 200 characters)
    /// 11. payment, payment_ref — PAYMENT_REQUIRED (missing, not upi or bank, or a reference
    ///    that does not fit the method)
    /// 12. city — PINCODE_CITY_MISMATCH (the catalogue places the pincode in another city)
    /// 13. serviceable — NOT_SERVICEABLE
    /// 14. device supported — DEVICE_NOT_SUPPORTED
    public static let checkOrder: [String] = [
        "consent", "price_confirmed", "category", "brand", "model", "variant", "conditions",
        "pincode", "address", "landmark", "slot", "slot_end", "accessories", "payment", "payment_ref",
        "city", "serviceable", "device_supported",
    ]

    /// Runs every pre-check in `checkOrder` and returns the cleaned order fields.
    /// - Parameters:
    ///   - serviceable: the pincode is served for this device type (the caller looks it up).
    ///   - deviceSupported: the catalogue supports this device.
    ///   - cityMatches: the catalogue places the pincode in the city (nil: the catalogue
    ///     does not know the pincode, so NOT_SERVICEABLE decides).
    ///   - pincodeCity: the pincode's city on record, for the refusal's message.
    @discardableResult
    public func validate(now: Date, policy: TeamPolicy, serviceable: Bool, deviceSupported: Bool,
                         cityMatches: Bool? = nil, pincodeCity: String? = nil) throws(Refusal) -> ConversionDraft {
        guard consent == true else {
            throw Refusal(.consentRequired, "consent: the customer must clearly say \"Yes, please place the order\"")
        }
        guard priceConfirmed == true else {
            throw Refusal(.priceNotConfirmed, "price_confirmed: the customer must accept the estimated, inspection-based price")
        }
        let category = try required(category, "category", .deviceRequired)
        let brand = try required(brand, "brand", .deviceRequired)
        let model = try required(model, "model", .deviceRequired)
        let variant = try required(variant, "variant", .deviceRequired)

        let answers = (conditions ?? []).map { $0.trimmingCharacters(in: Note.blankCharacters) }
        guard !answers.isEmpty, !answers.contains(where: \.isEmpty) else {
            throw Refusal(.conditionsRequired, "conditions: the device's condition answers are required")
        }

        guard let rawPincode = pincode, !rawPincode.trimmingCharacters(in: Note.blankCharacters).isEmpty else {
            throw Refusal(.pincodeRequired, "pincode: required for pickup")
        }
        guard let pincode = Pincode.normalize(rawPincode) else {
            throw Refusal(.pincodeRequired, "pincode: \(rawPincode) is not a 6-digit pincode starting 1–9")
        }

        let address = (address ?? "").trimmingCharacters(in: Note.blankCharacters)
        guard address.count >= Self.minimumAddressLength else {
            throw Refusal(.addressRequired, "address: the full pickup address is required (at least \(Self.minimumAddressLength) characters)")
        }
        let landmark = try required(landmark, "landmark", .landmarkRequired)

        guard let slot else {
            throw Refusal(.slotRequired, "slot: a pickup slot is required")
        }
        guard slot > now else {
            throw Refusal(.slotInPast, "slot: \(DispositionPlanner.stamp(slot, policy)) is not in the future")
        }
        guard slot <= now.addingTimeInterval(policy.slotHorizon) else {
            throw Refusal(.slotTooFar, "slot: \(DispositionPlanner.stamp(slot, policy)) is more than \(Int(policy.slotHorizon / 86_400)) days ahead; do not create the order, schedule a callback")
        }

        let slotEnd = slotEnd ?? slot.addingTimeInterval(Self.defaultSlotLength)
        guard slotEnd > slot, slotEnd.timeIntervalSince(slot) <= Self.maxSlotLength else {
            throw Refusal(.slotWindowInvalid, "slot_end: the pickup window must end after it starts and last at most \(Int(Self.maxSlotLength / 3600)) hours")
        }

        var accessories: [String]?
        if let given = self.accessories {
            let items = given.map(TextTrim.trimmingBlanks).filter { !$0.isEmpty }
            guard items.count <= Self.maxAccessories else {
                throw Refusal(.badArg, "accessories: \(items.count) items, at most \(Self.maxAccessories)")
            }
            guard !items.contains(where: LeadIntake.longerThanMax) else {
                throw Refusal(.badArg, "accessories: an item is longer than \(LeadIntake.maxFieldLength) characters")
            }
            accessories = items
        }

        guard let paymentMethod else {
            if let unknown = unknownPaymentMethod {
                throw Refusal(.paymentRequired, "payment: \(unknown) is not accepted; the customer is paid by upi or bank")
            }
            throw Refusal(.paymentRequired, "payment: upi or bank is required")
        }
        let reference = try required(paymentRef, "payment_ref", .paymentRequired)
        guard let paymentRef = PaymentReference.normalize(reference, for: paymentMethod) else {
            let expected = paymentMethod == .upi ? "a UPI id like name@bank" : "a bank account number (9–18 digits)"
            throw Refusal(.paymentRequired, "payment_ref: expected \(expected)")
        }

        if cityMatches == false {
            let city = TextTrim.trimmingBlanks(self.city ?? "")
            let named = city.isEmpty ? "the lead's city" : city
            throw Refusal(.pincodeCityMismatch, "city: pincode \(pincode) is in \(pincodeCity ?? "another city"), not \(named)")
        }
        guard serviceable else {
            throw Refusal(.notServiceable, "pincode: \(pincode) is not served for \(category)")
        }
        guard deviceSupported else {
            throw Refusal(.deviceNotSupported, "device: \(brand) \(model) \(variant) is not supported")
        }

        return ConversionDraft(
            category: category, brand: brand, model: model, variant: variant,
            conditions: answers, pincode: pincode, address: address, landmark: landmark,
            slot: slot, paymentMethod: paymentMethod, paymentRef: paymentRef,
            slotEnd: slotEnd, accessories: accessories
        )
    }

    private func required(_ value: String?, _ field: String, _ code: ErrorCode) throws(Refusal) -> String {
        let trimmed = (value ?? "").trimmingCharacters(in: Note.blankCharacters)
        guard !trimmed.isEmpty else { throw Refusal(code, "\(field): required") }
        return trimmed
    }
}

/// A conversion that passed every pre-check: the cleaned fields the order is made from.
/// The order starts in `OrderStatus.pendingVendorAssignment`.
public struct ConversionDraft: Sendable, Hashable {
    public let category: String
    public let brand: String
    public let model: String
    public let variant: String
    public let conditions: [String]
    public let pincode: String
    public let address: String
    public let landmark: String
    public let slot: Date
    public let paymentMethod: PaymentMethod
    public let paymentRef: String
    /// The end of the pickup window.
    public let slotEnd: Date
    /// The accessories mentioned; nil = not applicable.
    public let accessories: [String]?
}

/// Indian postal pincodes: six digits, the first 1–9.
public enum Pincode {
    /// The pincode with spaces removed, or nil when it is not 6 ASCII digits starting 1–9.
    public static func normalize(_ text: String) -> String? {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII, byte by byte (CR LF is one character, but not a digit either way).
            let digits = text.utf8.filter { $0 != UInt8(ascii: " ") }
            guard digits.count == 6, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  digits[0] != UInt8(ascii: "0") else { return nil }
            return String(decoding: digits, as: UTF8.self)
        }
        let digits = text.filter { $0 != " " }
        guard digits.count == 6, digits.allSatisfy(\.isASCIIDigit), digits.first != "0" else { return nil }
        return digits
    }
}

/// Where the customer is paid: a UPI id or a bank account number.
public enum PaymentReference {
    /// The reference cleaned for `method`, or nil when it does not fit:
    /// - UPI: `handle@provider` — handle 2–256 of letters, digits, `.`, `_`, `-`; provider
    ///   2–64 letters or digits starting with a letter; stored lower-cased.
    /// - bank: an account number of 9–18 digits (spaces and dashes ignored).
    public static func normalize(_ text: String, for method: PaymentMethod) -> String? {
        let trimmed = text.trimmingCharacters(in: Note.blankCharacters)
        switch method {
        case .upi:
            let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            let handle = parts[0], provider = parts[1]
            let handleOK = (2...256).contains(handle.count)
                && handle.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_".contains($0)) }
            let providerOK = (2...64).contains(provider.count)
                && provider.first?.isLetter == true
                && provider.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
            return handleOK && providerOK ? trimmed.lowercased() : nil
        case .bank:
            let digits = trimmed.filter { $0 != " " && $0 != "-" }
            guard (9...18).contains(digits.count), digits.allSatisfy(\.isASCIIDigit) else { return nil }
            return digits
        }
    }
}
