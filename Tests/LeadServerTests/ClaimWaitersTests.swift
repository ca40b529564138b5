@testable import LeadServer
import LeadStore
import Testing

/// The waiter registry alone (no sockets, no database): one waiter per ready lead, and
/// no hint is lost when every waiter is busy or when the chosen waiter leaves.
@Suite struct ClaimWaitersTests {
    private func next(_ r: ClaimWaiters.Registration) async -> WakeReason? {
        var it = r.wakes.makeAsyncIterator()
        return await it.next()
    }

    private func readyLead(_ r: WakeReason?) -> Int64? {
        if case .ready(let lead, _) = r { return lead.leadID }
        return nil
    }

    @Test func aHintGoesToOneIdleWaiterOfTheTeam() async {
        let w = ClaimWaiters(metrics: ServerMetrics())
        let a = w.register(agent: 1, team: 10)
        let b = w.register(agent: 2, team: 10)
        let other = w.register(agent: 3, team: 20)
        w.markIdle(a.id); w.markIdle(b.id); w.markIdle(other.id)
        #expect(w.notify(ReadyLead(leadID: 7, teamID: 10, agentID: nil)))
        #expect(readyLead(await next(a)) == 7)
        // a is no longer idle: the next lead of team 10 goes to b; team 20's waiter never hears of it.
        #expect(w.notify(ReadyLead(leadID: 8, teamID: 10, agentID: nil)))
        #expect(readyLead(await next(b)) == 8)
        #expect(!w.notify(ReadyLead(leadID: 9, teamID: 10, agentID: 99)), "a personal lead of an agent not waiting wakes nobody")
        w.unregister(other.id)
    }

    @Test func aHintForBusyWaitersIsParkedUntilOneGoesIdle() async {
        let w = ClaimWaiters(metrics: ServerMetrics())
        let a = w.register(agent: 1, team: 10) // registered busy: first attempt running
        #expect(!w.notify(ReadyLead(leadID: 7, teamID: 10, agentID: nil)))
        w.markIdle(a.id)
        #expect(readyLead(await next(a)) == 7)
    }

    @Test func aHintHandedToALeavingWaiterGoesToTheNext() async {
        let w = ClaimWaiters(metrics: ServerMetrics())
        let a = w.register(agent: 1, team: 10)
        let b = w.register(agent: 2, team: 10)
        w.markIdle(a.id)
        #expect(w.notify(ReadyLead(leadID: 7, teamID: 10, agentID: nil)))
        // a hits its deadline before acting on the hint; b is busy, then goes idle.
        w.unregister(a.id)
        w.markIdle(b.id)
        #expect(readyLead(await next(b)) == 7)
    }

    @Test func aWaiterThatClaimedTheHintedLeadDoesNotHandItOn() async {
        let w = ClaimWaiters(metrics: ServerMetrics())
        let a = w.register(agent: 1, team: 10)
        let b = w.register(agent: 2, team: 10)
        w.markIdle(a.id)
        #expect(w.notify(ReadyLead(leadID: 7, teamID: 10, agentID: nil)))
        w.unregister(a.id, claimed: 7)
        w.markIdle(b.id)
        w.shutdown()
        if case .shutdown = await next(b) {} else { Issue.record("b was handed a lead that a already claimed") }
    }
}
