import Foundation

/// The four tabs of the admin panel. Three of them are also the claim tiers, in claim order;
/// All Leads is the whole open list and is never a tier.
///
/// Membership (a lead can sit in several views at once, e.g. High End and Not Called):
/// - `all`        — every open lead;
/// - `high_end`   — open and the catalogue marks the device high-end;
/// - `not_called` — open and never attempted (no call, no message, no note);
/// - `callback`   — open and its next step is a callback the customer asked for.
public enum View: String, Sendable, CaseIterable {
    case allLeads = "all"
    case highEnd = "high_end"
    case notCalled = "not_called"
    case callback = "callback"

    /// The claim tier this view stands for; nil for All Leads.
    public var tier: ClaimTier? {
        switch self {
        case .allLeads: nil
        case .highEnd: .highEnd
        case .notCalled: .notCalled
        case .callback: .callback
        }
    }

    /// Whether `lead` shows in this view.
    public func includes(_ lead: LeadSnapshot) -> Bool {
        guard lead.status == .open else { return false }
        switch self {
        case .allLeads: return true
        case .highEnd: return lead.isHighEnd
        case .notCalled: return lead.neverAttempted
        case .callback: return lead.nextStep == .callback
        }
    }
}

/// Who gets what next: 1 High End → 2 Not Called → 3 everything else that is due.
///
/// The rule for a ready lead: tier 1 if the device is high-end (whatever its call state),
/// else tier 2 if it was never attempted, else tier 3 (a due callback, a due retry after
/// Not Reachable, a due follow-up). Within a tier: oldest SLA deadline first, then lead id.
/// The raw value is the tier number the SQL stores and sorts by.
public enum ClaimTier: Int, Sendable, CaseIterable, Comparable {
    case highEnd = 1
    case notCalled = 2
    case callback = 3

    /// The tier of a ready lead.
    public static func of(isHighEnd: Bool, neverAttempted: Bool) -> ClaimTier {
        if isHighEnd { return .highEnd }
        if neverAttempted { return .notCalled }
        return .callback
    }

    /// The admin-panel view this tier is named after.
    public var view: View {
        switch self {
        case .highEnd: .highEnd
        case .notCalled: .notCalled
        case .callback: .callback
        }
    }

    public static func < (lhs: ClaimTier, rhs: ClaimTier) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Which of the SOPs' two priority lists a team's CLAIMs follow. SOP 000's training card
/// says "High Ends → Not Called → Callbacks"; SOP 001's calls Not Called "highest
/// priority". Teams may reasonably differ (a floor of seniors with a High-End backlog, or a
/// floor whose same-day SLA is slipping), so it is a team setting (`TEAM SET claim_order=`)
/// with SOP 000's order as the default (docs/RULES.md §14).
public enum ClaimOrder: String, Sendable, CaseIterable {
    /// High Ends → Not Called → due callbacks (the tiers in their natural order).
    case highEndFirst = "high_end_first"
    /// Not Called → High Ends → due callbacks: a CLAIM without `view=` first looks for a
    /// Not Called lead (personal queue, then pool), then takes the usual order.
    case notCalledFirst = "not_called_first"

    /// The views a CLAIM without `view=` tries in turn (nil: every view in tier order).
    public var passes: [View?] {
        switch self {
        case .highEndFirst: [nil]
        case .notCalledFirst: [.notCalled, nil]
        }
    }
}

/// Whether a lead is still being worked. A closed lead keeps its `LeadOutcome`.
public enum LeadStatus: String, Sendable, CaseIterable {
    case open
    case closed
}

/// Why a lead was closed: converted, one of the closing dispositions, or unreachable after
/// the cadence gave up. Reports rank these.
public enum LeadOutcome: String, Sendable, CaseIterable {
    case converted
    case alreadyPlacedOrder = "already_placed_order"
    case notInterested = "not_interested"
    case soldElsewhere = "sold_elsewhere"
    case wrongNumber = "wrong_number"
    case notServiceable = "not_serviceable"
    case deviceNotSupported = "device_not_supported"
    case unreachable = "closed_unreachable"
}

/// The kind of a lead's next step, without its time: what the SQL stores in one column.
public enum NextStepKind: String, Sendable, CaseIterable {
    case closed
    case callback
    case retry
    case followUp = "follow_up"
}

/// Where a lead goes after a disposition.
///
/// - `closed`: off the floor with an outcome;
/// - `callback`: the customer asked for a call at `at`; reserved for `owner` (the agent who
///   scheduled it) until `at` + grace, then open to the team;
/// - `retry`: Not Reachable, try again at `at` per the cadence;
/// - `followUp`: the customer will act (place the order, wait for a quote); call again at `at`.
public enum NextStep: Sendable, Hashable {
    case closed(LeadOutcome)
    case callback(at: Date, owner: AgentID)
    case retry(at: Date)
    case followUp(at: Date)

    public var kind: NextStepKind {
        switch self {
        case .closed: .closed
        case .callback: .callback
        case .retry: .retry
        case .followUp: .followUp
        }
    }

    /// When the lead becomes claimable again; nil once closed.
    public var scheduledAt: Date? {
        switch self {
        case .closed: nil
        case .callback(let at, _), .retry(let at), .followUp(let at): at
        }
    }
}

/// Why a customer did not convert, so reports can rank the reasons. Required with
/// `not_interested` and `sold_elsewhere`, refused with any other disposition.
public enum NonConversionReason: String, Sendable, CaseIterable {
    case priceTooLow = "price_too_low"
    case competitorQuote = "competitor_quote"
    case pickupTrust = "pickup_trust"
    case paymentDelay = "payment_delay"
    case busyLater = "busy_later"
    case noPickupArea = "no_pickup_area"
    case other
}

/// The team an escalation goes to: customer experience, operations (pickup) or pricing.
public enum EscalationTarget: String, Sendable, CaseIterable {
    case cx
    case ops
    case pricing
}

/// An agent's standing on the floor. Senior agents (and team leads and admins) take High Ends.
public enum AgentRole: String, Sendable, CaseIterable {
    case agent
    case senior
    case teamLead = "team_lead"
    case admin

    /// Senior for High-End purposes: everyone but a plain agent.
    public var isSenior: Bool { self != .agent }
}

/// Whether an agent gets new work. Only `active` agents are handed leads; `paused` keeps
/// what it holds, `draining` finishes what it holds, `disabled` cannot log in.
public enum AgentStatus: String, Sendable, CaseIterable {
    case active
    case paused
    case draining
    case disabled
}

/// How the customer is paid at pickup.
public enum PaymentMethod: String, Sendable, CaseIterable {
    case upi
    case bank
}

/// An order's life after conversion. Sales' part ends at `pending_vendor_assignment`;
/// the later states belong to Ops and are here so the words are shared.
public enum OrderStatus: String, Sendable, CaseIterable {
    case pendingVendorAssignment = "pending_vendor_assignment"
    case vendorAssigned = "vendor_assigned"
    case pickupScheduled = "pickup_scheduled"
    case pickedUp = "picked_up"
    case completed
    case cancelled
}

/// Every kind of entry in a lead's history. The history is append-only; a lead's current
/// state can always be explained from it.
public enum LeadEventKind: String, Sendable, CaseIterable {
    case created
    /// A returning customer checked a price again.
    case recheck
    case claimed
    case touched
    case released
    /// A claim's lease ran out (the agent went away); the lead went back to the queue.
    case expired
    case disposition
    case note
    case assigned
    case moved
    case converted
    case escalated
    case callbackMissed = "callback_missed"
    case slaBreached = "sla_breached"
    case orderCancelled = "order_cancelled"
    case revoked
    case signal
    case starred
    case unstarred
    case closedUnreachable = "closed_unreachable"
    /// An escalation of the lead was resolved (who, when, the resolution note).
    case escalationResolved = "escalation_resolved"
}
