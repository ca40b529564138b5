import Foundation
import Testing
import LeadCore

@Suite("Disposition planning")
struct DispositionPlannerTests {
    let now = ist(2025, 3, 10, 11)

    func plan(_ disposition: Disposition, note: String? = "Customer spoke, details in note",
              at: Date? = nil, reason: NonConversionReason? = nil,
              lead: LeadCallState = .notCalled, now: Date? = nil) throws(Refusal) -> DispositionPlan {
        try DispositionPlanner.plan(disposition: disposition, note: note, at: at, reason: reason,
                                    lead: lead, agent: "asha", now: now ?? self.now, policy: policy)
    }

    @Test func createOrderIsOnlySetByConversion() {
        let refused = refusal { try plan(.createOrder) }
        #expect(refused?.code == .badArg)
        #expect(refused?.message.contains("CONVERT") == true)
        // Checked before anything else, even a missing note.
        #expect(refusal { try plan(.createOrder, note: nil) }?.code == .badArg)
    }

    @Test(arguments: [nil, "", "   ", "\n\t\r\n", "\u{00A0}\u{2003}\u{3000}", "\u{200B}\u{FEFF}", " \u{2028} "])
    func blankNotesAreRefused(note: String?) {
        #expect(refusal { try plan(.waitingForQuote, note: note) }?.code == .noteRequired)
    }

    @Test func noteIsTrimmedAndCapped() throws {
        #expect(try plan(.waitingForQuote, note: "  Asked for a quote comparison \n").note == "Asked for a quote comparison")
        #expect(refusal { try plan(.waitingForQuote, note: String(repeating: "a", count: 2000)) } == nil)
        #expect(refusal { try plan(.waitingForQuote, note: String(repeating: "a", count: 2001)) }?.code == .badArg)
    }

    @Test func notInterestedAndSoldElsewhereNeedAReason() throws {
        #expect(refusal { try plan(.notInterested) }?.code == .reasonRequired)
        #expect(refusal { try plan(.soldElsewhere) }?.code == .reasonRequired)
        let lost = try plan(.notInterested, reason: .priceTooLow)
        #expect(lost.next == .closed(.notInterested))
        #expect(lost.reason == .priceTooLow)
        #expect(lost.connected)
        #expect(lost.slaDeadline == nil)
        #expect(try plan(.soldElsewhere, reason: .competitorQuote).next == .closed(.soldElsewhere))
    }

    @Test func aReasonOnAnyOtherDispositionIsRefused() {
        for disposition in Disposition.allCases where disposition.isAgentSettable && !disposition.requiresReason {
            let at: Date? = disposition == .callback ? now + hour : nil
            #expect(refusal { try plan(disposition, at: at, reason: .other) }?.code == .badArg, "\(disposition)")
        }
    }

    @Test func callbackNeedsAFutureTimeWithinTheHorizon() throws {
        #expect(refusal { try plan(.callback) }?.code == .callbackTimeRequired)
        #expect(refusal { try plan(.callback, at: now) }?.code == .callbackInPast)
        #expect(refusal { try plan(.callback, at: now - minute) }?.code == .callbackInPast)
        #expect(refusal { try plan(.callback, at: now + 14 * day + 1) }?.code == .callbackTooFar)
        #expect(refusal { try plan(.callback, at: now + 14 * day) } == nil)
        #expect(refusal { try plan(.callback, at: now + 1) } == nil)
    }

    @Test func callbackIsOwnedByTheAgentWhoBookedIt() throws {
        let at = ist(2025, 3, 10, 19)
        let booked = try plan(.callback, note: "Customer busy, callback at 7 PM", at: at)
        #expect(booked.next == .callback(at: at, owner: "asha"))
        #expect(booked.slaDeadline == ist(2025, 3, 10, 19, 5))
        #expect(booked.connected)
        #expect(booked.meaningfulNote)
        #expect(booked.callState.attempts == 1)
        #expect(booked.callState.lastConnectedAt == now)
        #expect(booked.callState.firstAttemptAt == now)
    }

    @Test func followUpsDefaultToTwentyFourHours() throws {
        #expect(try plan(.willPlaceOrder).next == .followUp(at: now + 24 * hour))
        #expect(try plan(.waitingForQuote).next == .followUp(at: now + 24 * hour))
        #expect(try plan(.waitingForQuote).slaDeadline == now + 24 * hour + 5 * minute)
        let chosen = ist(2025, 3, 12, 10)
        #expect(try plan(.willPlaceOrder, at: chosen).next == .followUp(at: chosen))
        #expect(refusal { try plan(.willPlaceOrder, at: now - 1) }?.code == .callbackInPast)
        #expect(refusal { try plan(.waitingForQuote, at: now + 15 * day) }?.code == .callbackTooFar)
    }

    @Test func dispositionsWithoutATimeRefuseOne() {
        for disposition in [Disposition.notReachable, .alreadyPlacedOrder, .wrongNumber, .notServiceable, .deviceNotSupported] {
            #expect(refusal { try plan(disposition, at: now + hour) }?.code == .badArg, "\(disposition)")
        }
        #expect(refusal { try plan(.notInterested, at: now + hour, reason: .busyLater) }?.code == .badArg)
    }

    @Test func closingDispositions() throws {
        #expect(try plan(.alreadyPlacedOrder).next == .closed(.alreadyPlacedOrder))
        let invalid = try plan(.wrongNumber)
        #expect(invalid.next == .closed(.wrongNumber))
        #expect(!invalid.connected)
        #expect(invalid.callState.attempts == 1 && invalid.callState.lastConnectedAt == nil)
        #expect(try plan(.notServiceable).next == .closed(.notServiceable))
        #expect(try plan(.deviceNotSupported).next == .closed(.deviceNotSupported))
    }

    @Test func notReachableIsRefusedOutsideTheWindowAndBeyondTheDailyLimit() throws {
        #expect(refusal { try plan(.notReachable, now: ist(2025, 3, 10, 21, 15)) }?.code == .outsideCallWindow)
        var lead = LeadCallState.notCalled
        for time in [ist(2025, 3, 10, 9, 30), ist(2025, 3, 10, 10), ist(2025, 3, 10, 10, 30)] {
            lead = lead.recordingAttempt(at: time, connected: false, policy: policy)
        }
        let capturedLead = lead
        #expect(refusal { try plan(.notReachable, lead: capturedLead, now: ist(2025, 3, 10, 15)) }?.code == .attemptLimit)
        // The next local day it is allowed again.
        #expect(refusal { try plan(.notReachable, lead: capturedLead, now: ist(2025, 3, 11, 9)) } == nil)
    }

    @Test func aConversationIsNeverRefusedByTheCadence() throws {
        var lead = LeadCallState.notCalled
        for time in [ist(2025, 3, 10, 9, 30), ist(2025, 3, 10, 11, 30), ist(2025, 3, 10, 13, 30)] {
            lead = lead.recordingAttempt(at: time, connected: false, policy: policy)
        }
        let late = try plan(.callback, at: ist(2025, 3, 11, 10), lead: lead, now: ist(2025, 3, 10, 21, 30))
        #expect(late.next == .callback(at: ist(2025, 3, 11, 10), owner: "asha"))
        #expect(late.callState.attemptsToday == 4)
        #expect(late.callState.unansweredSince == nil)
    }

    @Test func firstNotReachableSchedulesARetry() throws {
        let retry = try plan(.notReachable, note: "Switched off - will retry at 1 PM")
        #expect(retry.next == .retry(at: ist(2025, 3, 10, 13)))
        #expect(!retry.connected)
        #expect(retry.callState.attempts == 1 && retry.callState.attemptsToday == 1)
        #expect(retry.callState.unansweredSince == now)
    }
}
