import Foundation

/// What a team lead learned about a lead from outside the call (seed 004: online users,
/// price re-checks, failed deposits): the `SIGNAL kind=` words.
public enum SignalKind: String, Sendable, CaseIterable, Codable {
    /// The customer is on the platform right now.
    case online
    /// The customer checked the price again.
    case priceRecheck = "price_recheck"
    /// A payment did not go through: the lead goes to its owner or the team's account
    /// manager, with a note saying why.
    case paymentFailed = "payment_failed"

    /// Whether the signal routes the lead to a person (its owner, else the account manager).
    public var routesToOwner: Bool { self == .paymentFailed }

    /// Whether the SOP asks for a note with the signal (the reason a payment failed).
    public var needsNote: Bool { self == .paymentFailed }
}

/// What a team lead's MOVE does with one candidate lead.
public enum MoveVerdict: Sendable, Equatable {
    /// It moves.
    case move
    /// It moves, and the live lease of its holder is revoked first (`force=1`).
    case revokeAndMove
    /// Left where it is: another agent holds it under a live lease (no `force=1`).
    case skipHeld
    /// Left where it is: the receiving agent does not cover it (no `force=1`).
    case skipNotSkilled
}

/// The team lead's rules for routing leads by hand (ASSIGN, MOVE, SIGNAL payment_failed).
/// Pure: the store loads the rows and writes what these decide.
public enum FloorRules {
    /// Why `agent` may not be handed `lead` by a team lead, or nil when it may: High End to
    /// a junior (unless the team allows juniors), or a city, device type or language the
    /// agent does not cover (`ClaimRules.covers`). This is NOT_SKILLED; `force=1` skips it.
    public static func skillGap(agent: AgentSnapshot, lead: LeadSnapshot, team: TeamPolicy) -> String? {
        if lead.isHighEnd && !ClaimRules.mayTakeHighEnd(agent, team: team) {
            return "lead \(lead.id) is High End and \(agent.id) is not senior (the team does not give High Ends to juniors)"
        }
        func missing(_ list: Set<String>, _ value: String?) -> Bool {
            guard !list.isEmpty, let value else { return false }
            return !list.contains { $0.lowercased() == value.lowercased() }
        }
        if missing(agent.cities, lead.city) { return "\(agent.id) does not cover city \(lead.city)" }
        if missing(agent.deviceCategories, lead.deviceCategory) {
            return "\(agent.id) does not cover device type \(lead.deviceCategory)"
        }
        if missing(agent.languages, lead.language) { return "\(agent.id) does not cover language \(lead.language ?? "")" }
        return nil
    }

    /// MOVE's decision for one lead. `heldByOther`: someone other than the receiving
    /// agent holds a live lease on it; `receiver`: the receiving agent (nil = the pool,
    /// which covers everything).
    public static func moveVerdict(lead: LeadSnapshot, heldByOther: Bool, receiver: AgentSnapshot?, team: TeamPolicy,
                                   force: Bool) -> MoveVerdict {
        if !force {
            if heldByOther { return .skipHeld }
            if let receiver, skillGap(agent: receiver, lead: lead, team: team) != nil { return .skipNotSkilled }
            return .move
        }
        return heldByOther ? .revokeAndMove : .move
    }

    /// Who a failed payment goes to (seed 004: "assigned to the relevant account manager
    /// with a note"): the agent who last worked the lead (its last disposition, which is
    /// also who scheduled its callback) while they are on the floor, else the team's
    /// account manager, else nobody (the lead stays in its queue, boosted).
    public static func paymentOwner(lastWorker: AgentID?, accountManager: AgentID?) -> AgentID? {
        lastWorker ?? accountManager
    }
}
