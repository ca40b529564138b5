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
    /// A UPI id (`name@bank`) or a bank account number, matching `paymentMethod`.
    public var paymentRef: String?

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
    /// 9. payment, payment_ref — PAYMENT_REQUIRED (missing, or a reference that does
    ///    not fit the method)
    /// 10. serviceable — NOT_SERVICEABLE
    /// 11. device supported — DEVICE_NOT_SUPPORTED
    public static let checkOrder: [String] = [
        "consent", "price_confirmed", "category", "brand", "model", "variant", "conditions",
        "pincode", "address", "landmark", "slot", "payment", "payment_ref",
        "serviceable", "device_supported",
    ]

    /// Runs every pre-check in `checkOrder` and returns the cleaned order fields.
    /// - Parameters:
    ///   - serviceable: the pincode is served for this device type (the caller looks it up).
    ///   - deviceSupported: the catalogue supports this device.
    @discardableResult
    public func validate(now: Date, policy: TeamPolicy, serviceable: Bool, deviceSupported: Bool) throws(Refusal) -> ConversionDraft {
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

        guard let paymentMethod else {
            throw Refusal(.paymentRequired, "payment: upi or bank is required")
        }
        let reference = try required(paymentRef, "payment_ref", .paymentRequired)
        guard let paymentRef = PaymentReference.normalize(reference, for: paymentMethod) else {
            let expected = paymentMethod == .upi ? "a UPI id like name@bank" : "a bank account number (9–18 digits)"
            throw Refusal(.paymentRequired, "payment_ref: expected \(expected)")
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
            slot: slot, paymentMethod: paymentMethod, paymentRef: paymentRef
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
