import Foundation

/// A lead as the claim rules see it: one row of the queue. The store builds these from its
/// tables; tests build them by hand to use `ClaimRules` as an oracle for the SQL.
public struct LeadSnapshot: Sendable, Hashable {
    public var id: LeadID
    /// The team whose pool the lead sits in.
    public var team: TeamID
    public var status: LeadStatus
    /// The catalogue marks the device high-end (recent iPhones, MacBooks, flagships, iPad Pro…).
    public var isHighEnd: Bool
    /// Nothing done yet: no call, no message, no note ("Not Called").
    public var neverAttempted: Bool
    /// What was scheduled last; nil for a lead with nothing scheduled (new, or only noted).
    public var nextStep: NextStepKind?
    /// When the lead may be handed out (callback, retry or follow-up time); nil = now.
    public var readyAt: Date?
    /// The agent who scheduled the pending callback; meaningful while `nextStep == .callback`.
    public var callbackOwner: AgentID?
    /// The agent holding the claim, and when that lease runs out. A lease past its expiry
    /// no longer holds the lead, even before the expiry sweep has run.
    public var holder: AgentID?
    public var leaseExpiresAt: Date?
    /// The agent a team lead assigned the lead to; nil when it is in the team pool.
    public var assignedTo: AgentID?
    public var city: String
    public var deviceCategory: String
    /// The customer's language, when known; nil is covered by every agent.
    public var language: String?
    public var slaDeadline: Date
    /// A team lead's SIGNAL boost is running: the lead goes ahead of its tier.
    public var boosted: Bool

    public init(
        id: LeadID,
        team: TeamID,
        status: LeadStatus = .open,
        isHighEnd: Bool = false,
        neverAttempted: Bool = true,
        nextStep: NextStepKind? = nil,
        readyAt: Date? = nil,
        callbackOwner: AgentID? = nil,
        holder: AgentID? = nil,
        leaseExpiresAt: Date? = nil,
        assignedTo: AgentID? = nil,
        city: String,
        deviceCategory: String,
        language: String? = nil,
        slaDeadline: Date,
        boosted: Bool = false
    ) {
        self.id = id
        self.team = team
        self.status = status
        self.isHighEnd = isHighEnd
        self.neverAttempted = neverAttempted
        self.nextStep = nextStep
        self.readyAt = readyAt
        self.callbackOwner = callbackOwner
        self.holder = holder
        self.leaseExpiresAt = leaseExpiresAt
        self.assignedTo = assignedTo
        self.city = city
        self.deviceCategory = deviceCategory
        self.language = language
        self.slaDeadline = slaDeadline
        self.boosted = boosted
    }

    /// The lead's claim tier (meaningful once it is ready).
    public var tier: ClaimTier { ClaimTier.of(isHighEnd: isHighEnd, neverAttempted: neverAttempted) }

    /// Someone holds an unexpired claim on it.
    public func isHeld(now: Date) -> Bool {
        guard holder != nil, let leaseExpiresAt else { return false }
        return leaseExpiresAt > now
    }

    /// Its scheduled time has come (or nothing is scheduled).
    public func isReady(now: Date) -> Bool {
        guard let readyAt else { return true }
        return readyAt <= now
    }
}

/// An agent as the claim rules see them. Empty skill lists cover everything.
public struct AgentSnapshot: Sendable, Hashable {
    public var id: AgentID
    public var team: TeamID
    public var role: AgentRole
    public var status: AgentStatus
    /// Leads the agent may hold at once.
    public var capacity: Int
    /// Leads the agent holds now.
    public var holding: Int
    public var cities: Set<String>
    public var deviceCategories: Set<String>
    public var languages: Set<String>

    public init(
        id: AgentID,
        team: TeamID,
        role: AgentRole = .agent,
        status: AgentStatus = .active,
        capacity: Int = 1,
        holding: Int = 0,
        cities: Set<String> = [],
        deviceCategories: Set<String> = [],
        languages: Set<String> = []
    ) {
        self.id = id
        self.team = team
        self.role = role
        self.status = status
        self.capacity = capacity
        self.holding = holding
        self.cities = cities
        self.deviceCategories = deviceCategories
        self.languages = languages
    }
}

/// Who may be handed which lead, and in what order: the claim query, as a pure predicate.
/// The SQL is the implementation; this is the oracle tests compare it with.
///
/// `eligible` is true when ALL hold:
/// 1. the agent is `active` (paused, draining and disabled agents get nothing new);
/// 2. the agent holds fewer leads than their capacity;
/// 3. the lead is open, not held by an unexpired lease, and ready (`readyAt` ≤ now);
/// 4. a High-End lead goes only to a senior agent (senior, team_lead, admin), unless the
///    team allows juniors;
/// 5. the lead is in the agent's team pool (same team, unassigned) or assigned to the agent;
/// 6. the agent covers the lead: city, device category and language (when the lead has one)
///    are in the agent's lists, compared case-insensitively; an empty list covers all;
/// 7. a pending callback is reserved for the agent who scheduled it from its time until
///    time + `callbackGrace`; after that any agent who passes 1–6 may take it.
/// Leads in the agent's personal queue (assigned to it, or its own reserved callback) need
/// only 1–3: a team lead put them there on purpose. `next` serves the personal queue first.
///
/// Order: `tier` (1, 2, 3), then boosted before not boosted (SIGNAL), then earliest
/// `slaDeadline`, then lowest `id`. The order is the same for every eligible agent, and it
/// remembers nothing about who got what before: that is the fairness rule (docs/CLAIMS.md).
public enum ClaimRules {
    public static func eligible(lead: LeadSnapshot, agent: AgentSnapshot, team: TeamPolicy, now: Date) -> Bool {
        guard agent.status == .active else { return false }
        guard agent.holding < agent.capacity else { return false }
        guard lead.status == .open, !lead.isHeld(now: now), lead.isReady(now: now) else { return false }
        // The personal queue (assigned by a team lead, or the agent's own due callback) was
        // filled on purpose: seniority and skills are not checked again.
        if isPersonal(lead: lead, agent: agent, team: team, now: now) { return true }
        guard lead.assignedTo == nil else { return false }
        guard !lead.isHighEnd || mayTakeHighEnd(agent, team: team) else { return false }
        guard inReach(lead: lead, agent: agent) else { return false }
        guard covers(agent: agent, lead: lead) else { return false }
        if let owner = reservedFor(lead: lead, team: team, now: now), owner != agent.id { return false }
        return true
    }

    /// Senior enough for High Ends, or the team lets juniors take them.
    public static func mayTakeHighEnd(_ agent: AgentSnapshot, team: TeamPolicy) -> Bool {
        agent.role.isSenior || team.allowJuniorHighEnd
    }

    /// The lead is in the agent's team pool, or assigned to the agent.
    public static func inReach(lead: LeadSnapshot, agent: AgentSnapshot) -> Bool {
        if let assignee = lead.assignedTo { return assignee == agent.id }
        return lead.team == agent.team
    }

    /// The agent's cities, device categories and languages cover the lead (NOT_SKILLED when
    /// a team lead assigns a lead the agent does not cover).
    public static func covers(agent: AgentSnapshot, lead: LeadSnapshot) -> Bool {
        func allows(_ list: Set<String>, _ value: String?) -> Bool {
            guard !list.isEmpty, let value else { return true }
            let wanted = value.lowercased()
            return list.contains { $0.lowercased() == wanted }
        }
        return allows(agent.cities, lead.city)
            && allows(agent.deviceCategories, lead.deviceCategory)
            && allows(agent.languages, lead.language)
    }

    /// The agent a due callback is reserved for at `now`, or nil when anyone may take it.
    public static func reservedFor(lead: LeadSnapshot, team: TeamPolicy, now: Date) -> AgentID? {
        guard lead.nextStep == .callback, let owner = lead.callbackOwner, let at = lead.readyAt else { return nil }
        return now < at.addingTimeInterval(team.callbackGrace) ? owner : nil
    }

    /// Claim order, for `sorted(by:)`: tier, then boosted first, then SLA deadline, then id.
    public static func order(_ a: LeadSnapshot, _ b: LeadSnapshot) -> Bool {
        if a.tier != b.tier { return a.tier < b.tier }
        if a.boosted != b.boosted { return a.boosted }
        if a.slaDeadline != b.slaDeadline { return a.slaDeadline < b.slaDeadline }
        return a.id < b.id
    }

    /// Whether the lead sits in the agent's personal queue: assigned to it, or its own
    /// callback within the reservation window.
    public static func isPersonal(lead: LeadSnapshot, agent: AgentSnapshot, team: TeamPolicy, now: Date) -> Bool {
        lead.assignedTo == agent.id || reservedFor(lead: lead, team: team, now: now) == agent.id
    }

    /// The lead `agent` would be handed now, or nil (EMPTY): its personal queue first,
    /// then the team pool, each in claim order.
    public static func next(for agent: AgentSnapshot, among leads: [LeadSnapshot], team: TeamPolicy, now: Date) -> LeadSnapshot? {
        let candidates = leads.filter { eligible(lead: $0, agent: agent, team: team, now: now) }
        let personal = candidates.filter { isPersonal(lead: $0, agent: agent, team: team, now: now) }
        return (personal.isEmpty ? candidates : personal).min(by: order)
    }
}
