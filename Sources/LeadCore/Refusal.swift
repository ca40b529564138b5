/// Every error code the service sends on the wire. The raw value is the wire code, so it
/// never changes once shipped.
public enum ErrorCode: String, Sendable, CaseIterable {
    // Framing and session
    case badFormat = "BAD_FORMAT"
    case badArg = "BAD_ARG"
    case unknownVerb = "UNKNOWN_VERB"
    case lineTooLong = "LINE_TOO_LONG"
    case noAuth = "NOAUTH"
    case authFailed = "AUTH_FAILED"
    case denied = "DENIED"
    case busy = "BUSY"
    case tooManyConnections = "TOO_MANY_CONNECTIONS"
    case shuttingDown = "SHUTTING_DOWN"
    case unavailable = "UNAVAILABLE"
    case `internal` = "INTERNAL"

    // Leads, leases and agents
    case notFound = "NOT_FOUND"
    case leaseLost = "LEASE_LOST"
    case leaseHeld = "LEASE_HELD"
    case atCapacity = "AT_CAPACITY"
    case empty = "EMPTY"
    case conflict = "CONFLICT"
    case agentNotActive = "AGENT_NOT_ACTIVE"
    case notSkilled = "NOT_SKILLED"
    case idemRequired = "IDEM_REQUIRED"
    /// LEAD ADD (and a bulk import row): the customer's phone and device have an open lead
    /// in another team, which one team may never update (docs/RULES.md §12).
    case leadInOtherTeam = "LEAD_IN_OTHER_TEAM"

    // Dispositions and the call cadence
    case noteRequired = "NOTE_REQUIRED"
    case callbackTimeRequired = "CALLBACK_TIME_REQUIRED"
    case callbackInPast = "CALLBACK_IN_PAST"
    case callbackTooFar = "CALLBACK_TOO_FAR"
    case reasonRequired = "REASON_REQUIRED"
    case attemptLimit = "ATTEMPT_LIMIT"
    case outsideCallWindow = "OUTSIDE_CALL_WINDOW"

    // Conversion pre-checks
    case consentRequired = "CONSENT_REQUIRED"
    case priceNotConfirmed = "PRICE_NOT_CONFIRMED"
    case deviceRequired = "DEVICE_REQUIRED"
    case conditionsRequired = "CONDITIONS_REQUIRED"
    case pincodeRequired = "PINCODE_REQUIRED"
    case addressRequired = "ADDRESS_REQUIRED"
    case landmarkRequired = "LANDMARK_REQUIRED"
    case slotRequired = "SLOT_REQUIRED"
    case paymentRequired = "PAYMENT_REQUIRED"
    case notServiceable = "NOT_SERVICEABLE"
    case deviceNotSupported = "DEVICE_NOT_SUPPORTED"
    case slotInPast = "SLOT_IN_PAST"
    case slotTooFar = "SLOT_TOO_FAR"
    case slotWindowInvalid = "SLOT_WINDOW_INVALID"
    case pincodeCityMismatch = "PINCODE_CITY_MISMATCH"
    case alreadyConverted = "ALREADY_CONVERTED"
}

/// A rule said no: the wire code plus a message a person can act on ("callback time
/// 2025-03-10 08:00 is in the past"). Every rule in LeadCore throws this and nothing else.
public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: ErrorCode
    public let message: String

    public init(_ code: ErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `CODE message`, the shape of an error line on the wire.
    public var description: String { "\(code.rawValue) \(message)" }
}
