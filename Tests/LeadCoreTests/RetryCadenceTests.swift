import Foundation
import Testing
import LeadCore

@Suite("Not Connected cadence, on the Asia/Kolkata wall clock")
struct RetryCadenceTests {
    let monday = LocalDay(year: 2025, month: 3, day: 10)

    /// Counters for a lead with `count` attempts so far on `day`, the first at 10:00 that day.
    func state(attemptsToday count: Int, on day: LocalDay, unanswered: Bool = true) -> LeadCallState {
        let first = day.at(LocalTime(hour: 10), in: .kolkata)
        return LeadCallState(attempts: count, attemptsToday: count, attemptsDay: day,
                             firstAttemptAt: first, lastAttemptAt: first,
                             unansweredSince: unanswered ? first : nil)
    }

    @Test func windowEdgesStartInclusiveEndExclusive() {
        let fresh = LeadCallState.notCalled
        #expect(refusal { try RetryCadence.check(attemptAt: ist(2025, 3, 10, 9, 0, 0), state: fresh, policy: policy) } == nil)
        #expect(refusal { try RetryCadence.check(attemptAt: ist(2025, 3, 10, 20, 59, 59), state: fresh, policy: policy) } == nil)
        #expect(refusal { try RetryCadence.check(attemptAt: ist(2025, 3, 10, 8, 59, 59), state: fresh, policy: policy) }?.code == .outsideCallWindow)
        #expect(refusal { try RetryCadence.check(attemptAt: ist(2025, 3, 10, 21, 0, 0), state: fresh, policy: policy) }?.code == .outsideCallWindow)
        #expect(refusal { try RetryCadence.check(attemptAt: ist(2025, 3, 10, 23, 30), state: fresh, policy: policy) }?.code == .outsideCallWindow)
    }

    @Test func windowIsLocalNotUTC() {
        // 09:00 UTC is 14:30 in Kolkata: inside. 16:00 UTC is 21:30 in Kolkata: outside.
        #expect(refusal { try RetryCadence.check(attemptAt: utc("2025-03-10T09:00:00Z"), state: .notCalled, policy: policy) } == nil)
        let late = refusal { try RetryCadence.check(attemptAt: utc("2025-03-10T16:00:00Z"), state: .notCalled, policy: policy) }
        #expect(late?.code == .outsideCallWindow)
        #expect(late?.message.contains("21:30") == true)
    }

    @Test func fourthAttemptOnOneLocalDayIsRefused() {
        let afternoon = ist(2025, 3, 10, 16)
        #expect(refusal { try RetryCadence.check(attemptAt: afternoon, state: state(attemptsToday: 2, on: monday), policy: policy) } == nil)
        let fourth = refusal { try RetryCadence.check(attemptAt: afternoon, state: state(attemptsToday: 3, on: monday), policy: policy) }
        #expect(fourth?.code == .attemptLimit)
        #expect(fourth?.message.contains("2025-03-10") == true)
    }

    @Test func yesterdaysAttemptsDoNotCountToday() {
        let tuesdayMorning = ist(2025, 3, 11, 9)
        #expect(refusal { try RetryCadence.check(attemptAt: tuesdayMorning, state: state(attemptsToday: 3, on: monday), policy: policy) } == nil)
    }

    @Test func countersResetAtLocalMidnightNotUTCMidnight() {
        // 23:30 IST on the 10th and 00:30 IST on the 11th are both on the 10th in UTC.
        let beforeMidnight = ist(2025, 3, 10, 23, 30)
        let afterMidnight = ist(2025, 3, 11, 0, 30)
        let one = LeadCallState.notCalled.recordingAttempt(at: beforeMidnight, connected: false, policy: policy)
        let two = one.recordingAttempt(at: afterMidnight, connected: false, policy: policy)
        #expect(one.attemptsDay == monday && one.attemptsToday == 1)
        #expect(two.attemptsDay == LocalDay(year: 2025, month: 3, day: 11))
        #expect(two.attemptsToday == 1)
        #expect(two.attempts == 2)
        #expect(two.firstAttemptAt == beforeMidnight && two.lastAttemptAt == afterMidnight)
        #expect(two.unansweredSince == beforeMidnight)
        #expect(two.attempts(on: monday) == 0)
    }

    @Test func recordingAConnectedCallResetsTheUnansweredClock() {
        let unanswered = state(attemptsToday: 1, on: monday)
        let talked = unanswered.recordingAttempt(at: ist(2025, 3, 10, 12), connected: true, policy: policy)
        #expect(talked.lastConnectedAt == ist(2025, 3, 10, 12))
        #expect(talked.unansweredSince == nil)
        #expect(talked.attemptsToday == 2)
    }

    @Test func nextAttemptIsTwoHoursLaterInsideTheWindow() {
        let after10 = state(attemptsToday: 1, on: monday)
        #expect(RetryCadence.nextAttempt(after: ist(2025, 3, 10, 10), state: after10, policy: policy) == ist(2025, 3, 10, 12))
        #expect(RetryCadence.nextAttempt(after: ist(2025, 3, 10, 18, 59), state: after10, policy: policy) == ist(2025, 3, 10, 20, 59))
    }

    @Test func nextAttemptPastTheWindowMovesToTomorrowsOpening() {
        let after = state(attemptsToday: 1, on: monday)
        // 19:00 + 2 h = 21:00, the first instant outside the window.
        #expect(RetryCadence.nextAttempt(after: ist(2025, 3, 10, 19), state: after, policy: policy) == ist(2025, 3, 11, 9))
        #expect(RetryCadence.nextAttempt(after: ist(2025, 3, 10, 20, 30), state: after, policy: policy) == ist(2025, 3, 11, 9))
    }

    @Test func nextAttemptBeforeTheWindowMovesUpToTheOpening() {
        // An attempt logged at 06:00 (the cadence would refuse it, but the arithmetic holds).
        let early = LeadCallState.notCalled.recordingAttempt(at: ist(2025, 3, 10, 6), connected: false, policy: policy)
        #expect(RetryCadence.nextAttempt(after: ist(2025, 3, 10, 6), state: early, policy: policy) == ist(2025, 3, 10, 9))
    }

    @Test func thirdAttemptOfTheDayMovesToTomorrow() {
        let third = state(attemptsToday: 3, on: monday)
        #expect(RetryCadence.nextAttempt(after: ist(2025, 3, 10, 11), state: third, policy: policy) == ist(2025, 3, 11, 9))
    }

    @Test func givesUpOnTheThirdLocalDayAfterTheFirstUnansweredAttempt() {
        let since = state(attemptsToday: 3, on: monday)
        #expect(!RetryCadence.givesUp(nextAttemptAt: ist(2025, 3, 11, 9), state: since, policy: policy))
        #expect(!RetryCadence.givesUp(nextAttemptAt: ist(2025, 3, 12, 20), state: since, policy: policy))
        #expect(RetryCadence.givesUp(nextAttemptAt: ist(2025, 3, 13, 9), state: since, policy: policy))
        let reached = state(attemptsToday: 3, on: monday, unanswered: false)
        #expect(!RetryCadence.givesUp(nextAttemptAt: ist(2025, 3, 20, 9), state: reached, policy: policy))
    }

    @Test func threeDaysOfNotReachableThenClosedUnreachable() throws {
        // Follow the schedule the cadence itself sets: 3 attempts a day for 3 days.
        var lead = LeadCallState.notCalled
        var now = ist(2025, 3, 10, 10)
        var seen: [Date] = []
        var final: NextStep?
        for _ in 0..<20 {
            seen.append(now)
            let plan = try DispositionPlanner.plan(
                disposition: .notReachable, note: "Switched off, will retry", at: nil, reason: nil,
                lead: lead, agent: "asha", now: now, policy: policy)
            lead = plan.callState
            guard case .retry(let at) = plan.next else {
                final = plan.next
                break
            }
            #expect(plan.slaDeadline == at.addingTimeInterval(5 * minute))
            now = at
        }
        #expect(seen == [
            ist(2025, 3, 10, 10), ist(2025, 3, 10, 12), ist(2025, 3, 10, 14),
            ist(2025, 3, 11, 9), ist(2025, 3, 11, 11), ist(2025, 3, 11, 13),
            ist(2025, 3, 12, 9), ist(2025, 3, 12, 11), ist(2025, 3, 12, 13),
        ])
        #expect(final == .closed(.unreachable))
        #expect(lead.attempts == 9)
        #expect(lead.attemptsToday == 3 && lead.attemptsDay == LocalDay(year: 2025, month: 3, day: 12))
        #expect(lead.lastConnectedAt == nil)
    }

    @Test func unreachableDaysCountFromTheLastConversation() throws {
        // Spoken to on the 10th, callback booked for the 20th; unanswered then: retried, not closed.
        let talked = LeadCallState.notCalled.recordingAttempt(at: ist(2025, 3, 10, 10), connected: true, policy: policy)
        let plan = try DispositionPlanner.plan(
            disposition: .notReachable, note: "No answer at the booked callback time", at: nil, reason: nil,
            lead: talked, agent: "asha", now: ist(2025, 3, 20, 18), policy: policy)
        #expect(plan.next == .retry(at: ist(2025, 3, 20, 20)))
        #expect(plan.callState.unansweredSince == ist(2025, 3, 20, 18))
        #expect(plan.callState.lastConnectedAt == ist(2025, 3, 10, 10))
    }

    @Test func policyChangesTheCadence() throws {
        var twoADay = TeamPolicy.standard
        twoADay.maxAttemptsPerDay = 2
        twoADay.unreachableAfterDays = 1
        let first = try DispositionPlanner.plan(
            disposition: .notReachable, note: "Ringing, no response", at: nil, reason: nil,
            lead: .notCalled, agent: "asha", now: ist(2025, 3, 10, 10), policy: twoADay)
        #expect(first.next == .retry(at: ist(2025, 3, 10, 12)))
        let second = try DispositionPlanner.plan(
            disposition: .notReachable, note: "Ringing, no response", at: nil, reason: nil,
            lead: first.callState, agent: "asha", now: ist(2025, 3, 10, 12), policy: twoADay)
        #expect(second.next == .closed(.unreachable))
        #expect(second.closedUnreachable)
        #expect(second.slaDeadline == nil)
    }

    @Test func dstSafeInAZoneWithDaylightSaving() throws {
        var newYork = TeamPolicy.standard
        newYork.timeZone = TimeZone(identifier: "America/New_York")!
        let evening = wallClock(newYork.timeZone, 2025, 3, 8, 19, 30)
        let plan = try DispositionPlanner.plan(
            disposition: .notReachable, note: "Voicemail, no answer", at: nil, reason: nil,
            lead: .notCalled, agent: "asha", now: evening, policy: newYork)
        // Next opening is 09:00 EDT on the 9th: 13:00Z, only 12.5 hours after 00:30Z.
        #expect(plan.next == .retry(at: utc("2025-03-09T13:00:00Z")))
        #expect(refusal { try RetryCadence.check(attemptAt: utc("2025-03-09T13:00:00Z"), state: plan.callState, policy: newYork) } == nil)
        #expect(refusal { try RetryCadence.check(attemptAt: utc("2025-03-09T12:59:59Z"), state: plan.callState, policy: newYork) }?.code == .outsideCallWindow)
    }
}
