import Foundation
import Testing
import LeadCore

@Suite("Claim eligibility and order (the SQL's oracle)")
struct ClaimRulesTests {
    let now = ist(2025, 3, 10, 12)

    func lead(_ id: LeadID = 1, team: TeamID = "blr", highEnd: Bool = false, neverAttempted: Bool = true,
              deadline: Date? = nil, city: String = "Bengaluru", category: String = "phone") -> LeadSnapshot {
        LeadSnapshot(id: id, team: team, isHighEnd: highEnd, neverAttempted: neverAttempted,
                     city: city, deviceCategory: category, slaDeadline: deadline ?? ist(2025, 3, 11))
    }

    func agent(_ id: AgentID = "asha", team: TeamID = "blr", role: AgentRole = .agent,
               status: AgentStatus = .active) -> AgentSnapshot {
        AgentSnapshot(id: id, team: team, role: role, status: status, capacity: 2, holding: 0)
    }

    func eligible(_ lead: LeadSnapshot, _ agent: AgentSnapshot, team: TeamPolicy = .standard, at time: Date? = nil) -> Bool {
        ClaimRules.eligible(lead: lead, agent: agent, team: team, now: time ?? now)
    }

    @Test func aReadyPoolLeadGoesToAnActiveAgent() {
        #expect(eligible(lead(), agent()))
    }

    @Test(arguments: [AgentStatus.paused, .draining, .disabled])
    func onlyActiveAgentsGetLeads(status: AgentStatus) {
        #expect(!eligible(lead(), agent(status: status)))
    }

    @Test func agentsAtCapacityGetNothing() {
        var full = agent()
        full.holding = 2
        #expect(!eligible(lead(), full))
        full.holding = 1
        #expect(eligible(lead(), full))
    }

    @Test func closedHeldAndNotYetReadyLeadsAreNotHandedOut() {
        var closed = lead()
        closed.status = .closed
        #expect(!eligible(closed, agent()))

        var held = lead()
        held.holder = "ravi"
        held.leaseExpiresAt = now + minute
        #expect(!eligible(held, agent()))
        held.leaseExpiresAt = now
        #expect(eligible(held, agent()), "a lease that has run out holds nothing")

        var later = lead(neverAttempted: false)
        later.nextStep = .retry
        later.readyAt = now + 1
        #expect(!eligible(later, agent()))
        later.readyAt = now
        #expect(eligible(later, agent()))
    }

    @Test func highEndsGoToSeniorsUnlessTheTeamAllowsJuniors() {
        let premium = lead(highEnd: true)
        #expect(!eligible(premium, agent(role: .agent)))
        for role in [AgentRole.senior, .teamLead, .admin] {
            #expect(eligible(premium, agent(role: role)), "\(role)")
        }
        var lenient = TeamPolicy.standard
        lenient.allowJuniorHighEnd = true
        #expect(eligible(premium, agent(role: .agent), team: lenient))
    }

    @Test func poolIsTheTeamsAndAssignmentIsPersonal() {
        #expect(!eligible(lead(team: "mum"), agent()))
        var assigned = lead(team: "mum")
        assigned.assignedTo = "asha"
        #expect(eligible(assigned, agent()), "assigned to the agent, from another team's pool")
        assigned.assignedTo = "ravi"
        #expect(!eligible(assigned, agent()))
        assigned.team = "blr"
        #expect(!eligible(assigned, agent()), "assigned to a teammate, not in the pool")
    }

    @Test func skillsMustCoverTheLead() {
        var skilled = agent()
        skilled.cities = ["bengaluru", "Mysuru"]
        skilled.deviceCategories = ["phone"]
        #expect(eligible(lead(city: "Bengaluru"), skilled), "case-insensitive")
        #expect(!eligible(lead(city: "Chennai"), skilled))
        #expect(!eligible(lead(category: "laptop"), skilled))

        skilled.languages = ["kn", "en"]
        var kannada = lead()
        kannada.language = "KN"
        #expect(eligible(kannada, skilled))
        kannada.language = "ta"
        #expect(!eligible(kannada, skilled))
        kannada.language = nil
        #expect(eligible(kannada, skilled), "an unknown language is anyone's")

        #expect(eligible(lead(city: "Anywhere", category: "tablet"), agent()), "empty lists cover all")
        #expect(ClaimRules.covers(agent: skilled, lead: lead(city: "Chennai")) == false)
    }

    @Test func aCallbackIsReservedForItsOwnerUntilTimePlusGrace() {
        let at = ist(2025, 3, 10, 12)
        var callback = lead(neverAttempted: false)
        callback.nextStep = .callback
        callback.readyAt = at
        callback.callbackOwner = "asha"

        #expect(!eligible(callback, agent("asha"), at: at - 1), "never early, not even to its owner")
        #expect(!eligible(callback, agent("ravi"), at: at - 1))
        #expect(eligible(callback, agent("asha"), at: at))
        #expect(!eligible(callback, agent("ravi"), at: at))
        #expect(!eligible(callback, agent("ravi"), at: at + 5 * minute - 1))
        #expect(eligible(callback, agent("ravi"), at: at + 5 * minute))
        #expect(ClaimRules.reservedFor(lead: callback, team: .standard, now: at + minute) == "asha")
        #expect(ClaimRules.reservedFor(lead: callback, team: .standard, now: at + 5 * minute) == nil)

        var retry = callback
        retry.nextStep = .retry
        #expect(eligible(retry, agent("ravi"), at: at), "only callbacks are reserved")
    }

    @Test func orderIsTierThenDeadlineThenId() {
        let a = lead(10, highEnd: true, neverAttempted: false, deadline: ist(2025, 3, 10, 12, 30))
        let b = lead(11, highEnd: true, neverAttempted: true, deadline: ist(2025, 3, 10, 12, 30))
        let c = lead(5, highEnd: true, deadline: ist(2025, 3, 10, 13))
        let d = lead(3, deadline: ist(2025, 3, 10, 23))
        let e = lead(2, neverAttempted: false, deadline: ist(2025, 3, 9, 8))
        let f = lead(1, neverAttempted: false, deadline: ist(2025, 3, 10, 9))
        #expect(a.tier == .highEnd && d.tier == .notCalled && e.tier == .callback)
        let shuffled = [f, d, c, e, b, a]
        #expect(shuffled.sorted(by: ClaimRules.order).map(\.id) == [10, 11, 5, 3, 2, 1])
    }

    @Test func nextPicksTheFirstEligibleLeadInOrder() {
        let premium = lead(1, highEnd: true)
        let fresh = lead(2, deadline: ist(2025, 3, 10, 23))
        let older = lead(3, deadline: ist(2025, 3, 10, 22))
        let junior = agent()
        #expect(ClaimRules.next(for: junior, among: [premium, fresh, older], team: .standard, now: now)?.id == 3)
        #expect(ClaimRules.next(for: agent(role: .senior), among: [premium, fresh, older], team: .standard, now: now)?.id == 1)
        #expect(ClaimRules.next(for: junior, among: [premium], team: .standard, now: now) == nil)
    }

    @Test func viewsAreTheAdminPanelTabs() {
        var callback = lead(highEnd: true, neverAttempted: false)
        callback.nextStep = .callback
        let fresh = lead()
        #expect(View.allLeads.includes(callback) && View.allLeads.includes(fresh))
        #expect(View.highEnd.includes(callback) && !View.highEnd.includes(fresh))
        #expect(View.notCalled.includes(fresh) && !View.notCalled.includes(callback))
        #expect(View.callback.includes(callback) && !View.callback.includes(fresh))
        var closed = fresh
        closed.status = .closed
        #expect(View.allCases.allSatisfy { !$0.includes(closed) })
    }
}
