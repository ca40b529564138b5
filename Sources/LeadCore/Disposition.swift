import Foundation

/// How a call ended. Every call ends with one (SOP: "no blank dispositions"), and with a note.
///
/// | raw value              | group         | time           | reason   | next            |
/// |------------------------|---------------|----------------|----------|-----------------|
/// | `create_order`         | connected     | —              | —        | closed converted (conversion only) |
/// | `will_place_order`     | connected     | optional (24 h)| —        | follow-up       |
/// | `callback`             | connected     | required       | —        | callback        |
/// | `waiting_for_quote`    | connected     | optional (24 h)| —        | follow-up       |
/// | `already_placed_order` | connected     | —              | —        | closed          |
/// | `not_interested`       | connected     | —              | required | closed          |
/// | `sold_elsewhere`       | connected     | —              | required | closed          |
/// | `not_reachable`        | not connected | —              | —        | retry (cadence) |
/// | `wrong_number`         | invalid       | —              | —        | closed          |
/// | `not_serviceable`      | invalid       | —              | —        | closed          |
/// | `device_not_supported` | invalid       | —              | —        | closed          |
public enum Disposition: String, Sendable, CaseIterable {
    case createOrder = "create_order"
    case willPlaceOrder = "will_place_order"
    case callback = "callback"
    case waitingForQuote = "waiting_for_quote"
    case alreadyPlacedOrder = "already_placed_order"
    case notInterested = "not_interested"
    case soldElsewhere = "sold_elsewhere"
    case notReachable = "not_reachable"
    case wrongNumber = "wrong_number"
    case notServiceable = "not_serviceable"
    case deviceNotSupported = "device_not_supported"

    /// The SOP's three headings a disposition sits under.
    public enum Group: String, Sendable, CaseIterable {
        case connected
        case notConnected = "not_connected"
        case invalid
    }

    /// Whether a disposition takes a scheduled time (`at`).
    public enum Timing: Sendable, Hashable {
        /// `at` is refused (BAD_ARG).
        case notAccepted
        /// `at` must be given (CALLBACK_TIME_REQUIRED without it).
        case required
        /// `at` may be given; without it the follow-up is `TeamPolicy.followUpDefault` later.
        case optional
    }

    public var group: Group {
        switch self {
        case .createOrder, .willPlaceOrder, .callback, .waitingForQuote,
             .alreadyPlacedOrder, .notInterested, .soldElsewhere: .connected
        case .notReachable: .notConnected
        case .wrongNumber, .notServiceable, .deviceNotSupported: .invalid
        }
    }

    /// The customer was actually spoken to. This is the "connected leads" of the KPI
    /// (lead→order % = orders ÷ connected), so only the Connected group counts: a wrong
    /// number reached somebody, but not the customer.
    public var isConnected: Bool { group == .connected }

    public var timing: Timing {
        switch self {
        case .callback: .required
        case .willPlaceOrder, .waitingForQuote: .optional
        default: .notAccepted
        }
    }

    /// Needs a `NonConversionReason`; every other disposition refuses one.
    public var requiresReason: Bool { self == .notInterested || self == .soldElsewhere }

    /// An agent may DISPOSE with it. `create_order` is set only by a successful conversion.
    public var isAgentSettable: Bool { self != .createOrder }

    /// The outcome when this disposition closes the lead; nil when the lead stays open.
    public var closingOutcome: LeadOutcome? {
        switch self {
        case .createOrder: .converted
        case .alreadyPlacedOrder: .alreadyPlacedOrder
        case .notInterested: .notInterested
        case .soldElsewhere: .soldElsewhere
        case .wrongNumber: .wrongNumber
        case .notServiceable: .notServiceable
        case .deviceNotSupported: .deviceNotSupported
        case .willPlaceOrder, .callback, .waitingForQuote, .notReachable: nil
        }
    }

    /// Where the lead goes next. `retry` may still become `closed` (unreachable) once the
    /// cadence runs out of days.
    public var nextStepKind: NextStepKind {
        switch self {
        case .callback: .callback
        case .willPlaceOrder, .waitingForQuote: .followUp
        case .notReachable: .retry
        default: .closed
        }
    }

    /// The admin panel's wording.
    public var label: String {
        switch self {
        case .createOrder: "Create Order"
        case .willPlaceOrder: "Customer Will Place Order"
        case .callback: "Callback"
        case .waitingForQuote: "Waiting for Quote"
        case .alreadyPlacedOrder: "Already Placed an Order"
        case .notInterested: "Not Interested"
        case .soldElsewhere: "Already Sold Elsewhere"
        case .notReachable: "Not Reachable / Switched Off"
        case .wrongNumber: "Wrong Number"
        case .notServiceable: "Pincode Not Serviceable"
        case .deviceNotSupported: "Device Not Supported"
        }
    }
}
