import Foundation
import LeadCore
@testable import LeadServer
@testable import LeadStore
import Testing

/// A waiting CLAIM's decisions on their own: attempts' outcomes and wake-ups in, the next
/// step out. No database, no sockets, no sleeps.
@Suite("Claim wait state machine")
struct ClaimWaitStateTests {
    let start = Date(timeIntervalSince1970: 1_781_500_000)
    var deadline: Date { start.addingTimeInterval(30) }
    let hint = ReadyLead(leadID: 7, teamID: 1, agentID: nil)

    func lead(_ id: Int64) -> ClaimAttempt {
        .claimed(ClaimedLead(id: id, lease: 1, leaseExpiresAt: start, view: "not_called", fields: LeadFieldValues()))
    }

    func isWait(_ step: ClaimWait.Step, passing lead: Int64? = nil) -> Bool {
        guard case .wait(let passOn) = step else { return false }
        return passOn?.lead.leadID == lead
    }

    func answer(_ step: ClaimWait.Step) -> (ending: String, passOn: Int64?)? {
        guard case .answer(let ending, let passOn) = step else { return nil }
        switch ending {
        case .outcome(.claimed(let lead)): return ("claimed \(lead.id)", passOn?.lead.leadID)
        case .outcome(.empty): return ("empty", passOn?.lead.leadID)
        case .outcome(.refused(let refusal)): return (refusal.code.rawValue, passOn?.lead.leadID)
        case .shuttingDown: return ("shutting down", passOn?.lead.leadID)
        case .loggedOut: return ("logged out", passOn?.lead.leadID)
        }
    }

    @Test func aFirstAttemptThatFindsALeadAnswersAtOnce() {
        var wait = ClaimWait(deadline: deadline)
        let step = wait.firstAttempted(lead(3), shuttingDown: true, inputOpen: false)
        #expect(answer(step)?.ending == "claimed 3", "a lead claimed is the answer, whatever else happened")
    }

    @Test func aServerStoppingDuringTheFirstAttemptAnswersShuttingDown() {
        var wait = ClaimWait(deadline: deadline)
        let step = wait.firstAttempted(.empty, shuttingDown: true, inputOpen: false)
        #expect(answer(step)?.ending == "shutting down", "not EMPTY: the wait ended because the server stops")
        var gone = ClaimWait(deadline: deadline)
        let left = gone.firstAttempted(.empty, shuttingDown: false, inputOpen: false)
        #expect(answer(left)?.ending == "empty")
        var waiting = ClaimWait(deadline: deadline)
        let waits = waiting.firstAttempted(.empty, shuttingDown: false, inputOpen: true)
        #expect(isWait(waits))
    }

    @Test func aHintIsActedOnAndPassedOnWhenItWasNotTheLeadClaimed() {
        var wait = ClaimWait(deadline: deadline)
        _ = wait.firstAttempted(.empty, shuttingDown: false, inputOpen: true)
        let woke = wait.woke(.ready(hint, tried: [1]), at: start.addingTimeInterval(1))
        guard case .attempt(let acting) = woke else { Issue.record("expected an attempt"); return }
        #expect(acting)
        // Someone else took lead 7 first; this waiter found nothing: pass the hint on, wait.
        let nothing = wait.attempted(.empty)
        #expect(isWait(nothing, passing: 7))
        // Woken again, it claims another lead: the hint it acted on goes to the next waiter.
        _ = wait.woke(.ready(hint, tried: [1]), at: start.addingTimeInterval(2))
        let other = wait.attempted(lead(9))
        #expect(answer(other)?.ending == "claimed 9" && answer(other)?.passOn == 7)
        #expect(wait.attempts == 3)
    }

    @Test func claimingTheHintedLeadKeepsTheHint() {
        var wait = ClaimWait(deadline: deadline)
        _ = wait.firstAttempted(.empty, shuttingDown: false, inputOpen: true)
        _ = wait.woke(.ready(hint, tried: [1]), at: start.addingTimeInterval(1))
        let step = wait.attempted(lead(7))
        #expect(answer(step)?.ending == "claimed 7" && answer(step)?.passOn == nil)
        // A poll carries no hint: an empty attempt after it passes nothing on.
        _ = wait.woke(.poll, at: start.addingTimeInterval(3))
        let after = wait.attempted(.empty)
        #expect(isWait(after))
    }

    @Test func aRefusalEndsTheWaitAndPassesTheHintOn() {
        var wait = ClaimWait(deadline: deadline)
        _ = wait.firstAttempted(.empty, shuttingDown: false, inputOpen: true)
        _ = wait.woke(.ready(hint, tried: []), at: start.addingTimeInterval(1))
        let step = wait.attempted(.refused(Refusal(.agentNotActive, "paused")))
        #expect(answer(step)?.ending == ErrorCode.agentNotActive.rawValue && answer(step)?.passOn == 7)
    }

    @Test func everyOtherWakeUpEndsTheWaitWithItsOwnAnswer() {
        let cases: [(WakeReason, String)] = [
            (.connectionClosed, "empty"), (.deadline, "empty"), (.shutdown, "shutting down"), (.loggedOut, "logged out"),
        ]
        for (reason, expected) in cases {
            var wait = ClaimWait(deadline: deadline)
            _ = wait.firstAttempted(.empty, shuttingDown: false, inputOpen: true)
            let step = wait.woke(reason, at: start.addingTimeInterval(1))
            #expect(answer(step)?.ending == expected, "\(reason)")
        }
        // A poll or a hint at or after the deadline answers EMPTY without another attempt.
        var late = ClaimWait(deadline: deadline)
        _ = late.firstAttempted(.empty, shuttingDown: false, inputOpen: true)
        let polled = late.woke(.poll, at: deadline)
        let hinted = late.woke(.ready(hint, tried: []), at: deadline.addingTimeInterval(1))
        #expect(answer(polled)?.ending == "empty" && answer(hinted)?.ending == "empty")
        #expect(late.attempts == 1)
    }
}
