import Foundation
import Testing
import LeadCore

@Suite("SLA clock")
struct SLAClockTests {
    @Test func highEndIsFifteenMinutes() {
        let created = ist(2025, 3, 10, 10)
        let deadline = SLAClock.firstAttemptDeadline(createdAt: created, isHighEnd: true, policy: policy)
        #expect(deadline == ist(2025, 3, 10, 10, 15))
        #expect(!SLAClock.breached(deadline: deadline, now: ist(2025, 3, 10, 10, 15)))
        #expect(SLAClock.breached(deadline: deadline, now: ist(2025, 3, 10, 10, 15, 1)))
    }

    @Test func otherLeadsAreDueByTheEndOfTheTeamsDay() {
        let endOfTenth = ist(2025, 3, 11, 0, 0)
        #expect(SLAClock.firstAttemptDeadline(createdAt: ist(2025, 3, 10, 0, 10), isHighEnd: false, policy: policy) == endOfTenth)
        #expect(SLAClock.firstAttemptDeadline(createdAt: ist(2025, 3, 10, 23, 50), isHighEnd: false, policy: policy) == endOfTenth)
        // 02:00 IST on the 10th is the 9th in UTC; the deadline still follows the team's day.
        #expect(SLAClock.firstAttemptDeadline(createdAt: utc("2025-03-09T20:30:00Z"), isHighEnd: false, policy: policy) == endOfTenth)
        #expect(!SLAClock.breached(deadline: endOfTenth, now: ist(2025, 3, 10, 23, 59, 59)))
        #expect(SLAClock.breached(deadline: endOfTenth, now: ist(2025, 3, 11, 0, 0, 1)))
    }

    @Test func callbacksAreDueAtTheirTimePlusGrace() {
        let at = ist(2025, 3, 10, 19)
        #expect(SLAClock.callbackDeadline(at: at, policy: policy) == ist(2025, 3, 10, 19, 5))
        var strict = TeamPolicy.standard
        strict.callbackGrace = 0
        #expect(SLAClock.callbackDeadline(at: at, policy: strict) == at)
    }

    @Test func openLeadsNeedAFollowUpWithinADay() {
        let last = ist(2025, 3, 10, 15)
        #expect(SLAClock.followUpDeadline(lastActionAt: last, scheduledAt: nil, policy: policy) == ist(2025, 3, 11, 15))
        #expect(SLAClock.followUpDeadline(lastActionAt: last, scheduledAt: ist(2025, 3, 12, 10), policy: policy) == ist(2025, 3, 12, 10, 5))
    }

    @Test func deadlineAfterADisposition() {
        let at = ist(2025, 3, 10, 19)
        #expect(SLAClock.deadline(for: .callback(at: at, owner: "asha"), policy: policy) == ist(2025, 3, 10, 19, 5))
        #expect(SLAClock.deadline(for: .retry(at: at), policy: policy) == ist(2025, 3, 10, 19, 5))
        #expect(SLAClock.deadline(for: .followUp(at: at), policy: policy) == ist(2025, 3, 10, 19, 5))
        #expect(SLAClock.deadline(for: .closed(.converted), policy: policy) == nil)
    }
}
