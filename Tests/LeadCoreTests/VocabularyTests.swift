import Foundation
import Testing
import LeadCore

@Suite("Vocabulary: wire names and the disposition table")
struct VocabularyTests {
    @Test func wireNamesAreStable() {
        #expect(View.allCases.map(\.rawValue) == ["all", "high_end", "not_called", "callback"])
        #expect(Disposition.allCases.map(\.rawValue) == [
            "create_order", "will_place_order", "callback", "waiting_for_quote", "already_placed_order",
            "not_interested", "sold_elsewhere", "not_reachable", "wrong_number", "not_serviceable",
            "device_not_supported",
        ])
        #expect(NonConversionReason.allCases.map(\.rawValue) == [
            "price_too_low", "competitor_quote", "pickup_trust", "payment_delay", "busy_later", "no_pickup_area", "other",
        ])
        #expect(EscalationTarget.allCases.map(\.rawValue) == ["cx", "ops", "pricing"])
        #expect(AgentRole.allCases.map(\.rawValue) == ["agent", "senior", "team_lead", "admin"])
        #expect(AgentStatus.allCases.map(\.rawValue) == ["active", "paused", "draining", "disabled"])
        #expect(PaymentMethod.allCases.map(\.rawValue) == ["upi", "bank"])
        #expect(OrderStatus(rawValue: "pending_vendor_assignment") == .pendingVendorAssignment)
        #expect(OrderStatus(rawValue: "cancelled") == .cancelled)
        #expect(NextStepKind.allCases.map(\.rawValue) == ["closed", "callback", "retry", "follow_up"])
        #expect(LeadOutcome.unreachable.rawValue == "closed_unreachable")
        #expect(Set(LeadEventKind.allCases.map(\.rawValue)) == [
            "created", "recheck", "claimed", "touched", "released", "expired", "disposition", "note", "assigned",
            "moved", "converted", "escalated", "callback_missed", "sla_breached", "order_cancelled", "revoked",
            "signal", "starred", "unstarred", "closed_unreachable", "escalation_resolved",
        ])
    }

    /// The two SOP priority lists a team may follow (docs/RULES.md §14): the wire words and
    /// the views a CLAIM without `view=` tries in turn.
    @Test func claimOrders() {
        #expect(ClaimOrder.allCases.map(\.rawValue) == ["high_end_first", "not_called_first"])
        #expect(ClaimOrder.highEndFirst.passes == [nil])
        #expect(ClaimOrder.notCalledFirst.passes == [.notCalled, nil])
    }

    @Test func everyServiceErrorCodeExistsWithItsWireName() {
        let wire = [
            "BAD_FORMAT", "BAD_ARG", "UNKNOWN_VERB", "LINE_TOO_LONG", "NOAUTH", "AUTH_FAILED", "DENIED", "BUSY",
            "TOO_MANY_CONNECTIONS", "SHUTTING_DOWN", "UNAVAILABLE", "INTERNAL", "NOT_FOUND", "LEASE_LOST",
            "LEASE_HELD", "AT_CAPACITY", "EMPTY", "CONFLICT", "AGENT_NOT_ACTIVE", "NOTE_REQUIRED",
            "CALLBACK_TIME_REQUIRED", "CALLBACK_IN_PAST", "CALLBACK_TOO_FAR", "REASON_REQUIRED", "ATTEMPT_LIMIT",
            "OUTSIDE_CALL_WINDOW", "IDEM_REQUIRED", "CONSENT_REQUIRED", "PRICE_NOT_CONFIRMED", "DEVICE_REQUIRED",
            "CONDITIONS_REQUIRED", "PINCODE_REQUIRED", "ADDRESS_REQUIRED", "LANDMARK_REQUIRED", "SLOT_REQUIRED",
            "PAYMENT_REQUIRED", "NOT_SERVICEABLE", "DEVICE_NOT_SUPPORTED", "SLOT_IN_PAST", "SLOT_TOO_FAR",
            "ALREADY_CONVERTED", "NOT_SKILLED", "LEAD_IN_OTHER_TEAM", "SLOT_WINDOW_INVALID", "PINCODE_CITY_MISMATCH",
        ]
        #expect(Set(ErrorCode.allCases.map(\.rawValue)) == Set(wire))
        #expect(ErrorCode.allCases.count == wire.count)
        #expect(ErrorCode.noAuth.rawValue == "NOAUTH")
        #expect(Refusal(.empty, "nothing to claim").description == "EMPTY nothing to claim")
    }

    @Test func dispositionGroupsAndConnected() {
        let connected: Set<Disposition> = [.createOrder, .willPlaceOrder, .callback, .waitingForQuote,
                                           .alreadyPlacedOrder, .notInterested, .soldElsewhere]
        for disposition in Disposition.allCases {
            #expect(disposition.isConnected == connected.contains(disposition), "\(disposition)")
        }
        #expect(Disposition.notReachable.group == .notConnected)
        #expect([Disposition.wrongNumber, .notServiceable, .deviceNotSupported].allSatisfy { $0.group == .invalid })
    }

    @Test func dispositionTimingReasonAndNextStep() {
        #expect(Disposition.callback.timing == .required)
        #expect(Disposition.willPlaceOrder.timing == .optional)
        #expect(Disposition.waitingForQuote.timing == .optional)
        #expect(Disposition.allCases.filter { $0.timing == .notAccepted }.count == 8)

        #expect(Disposition.allCases.filter(\.requiresReason) == [.notInterested, .soldElsewhere])
        #expect(Disposition.allCases.filter { !$0.isAgentSettable } == [.createOrder])

        #expect(Disposition.createOrder.closingOutcome == .converted)
        #expect(Disposition.alreadyPlacedOrder.closingOutcome == .alreadyPlacedOrder)
        #expect(Disposition.notInterested.closingOutcome == .notInterested)
        #expect(Disposition.soldElsewhere.closingOutcome == .soldElsewhere)
        #expect(Disposition.wrongNumber.closingOutcome == .wrongNumber)
        #expect(Disposition.notServiceable.closingOutcome == .notServiceable)
        #expect(Disposition.deviceNotSupported.closingOutcome == .deviceNotSupported)
        for open in [Disposition.willPlaceOrder, .callback, .waitingForQuote, .notReachable] {
            #expect(open.closingOutcome == nil)
        }

        #expect(Disposition.callback.nextStepKind == .callback)
        #expect(Disposition.willPlaceOrder.nextStepKind == .followUp)
        #expect(Disposition.waitingForQuote.nextStepKind == .followUp)
        #expect(Disposition.notReachable.nextStepKind == .retry)
        #expect(Disposition.allCases.filter { $0.nextStepKind == .closed }.count == 7)
    }

    @Test func seniorityForHighEnds() {
        #expect(!AgentRole.agent.isSenior)
        #expect(AgentRole.senior.isSenior && AgentRole.teamLead.isSenior && AgentRole.admin.isSenior)
    }

    @Test func tiersFollowTheClaimOrder() {
        #expect(ClaimTier.of(isHighEnd: true, neverAttempted: true) == .highEnd)
        #expect(ClaimTier.of(isHighEnd: true, neverAttempted: false) == .highEnd)
        #expect(ClaimTier.of(isHighEnd: false, neverAttempted: true) == .notCalled)
        #expect(ClaimTier.of(isHighEnd: false, neverAttempted: false) == .callback)
        #expect(ClaimTier.allCases.map(\.rawValue) == [1, 2, 3])
        #expect(View.highEnd.tier == .highEnd && View.notCalled.tier == .notCalled && View.callback.tier == .callback)
        #expect(View.allLeads.tier == nil)
        #expect(ClaimTier.callback.view == .callback)
    }

    @Test func nextStepCarriesItsTime() {
        let at = ist(2025, 3, 10, 18)
        #expect(NextStep.callback(at: at, owner: "asha").scheduledAt == at)
        #expect(NextStep.retry(at: at).kind == .retry)
        #expect(NextStep.followUp(at: at).kind == .followUp)
        #expect(NextStep.closed(.notInterested).scheduledAt == nil)
    }
}

@Suite("Local days and times")
struct LocalDayTests {
    @Test func helpersAgreeWithUTC() {
        #expect(ist(2025, 3, 10, 9) == utc("2025-03-10T03:30:00Z"))
    }

    @Test func localDayIsTheTeamsDayNotUTCs() {
        // 02:00 IST on the 10th is still the 9th in UTC.
        let early = ist(2025, 3, 10, 2)
        #expect(LocalDay(early, in: .kolkata) == LocalDay(year: 2025, month: 3, day: 10))
        #expect(LocalDay(early, in: TimeZone(secondsFromGMT: 0)!) == LocalDay(year: 2025, month: 3, day: 9))
        #expect(LocalDay(year: 2025, month: 3, day: 10).description == "2025-03-10")
        #expect(LocalDay(year: 2025, month: 3, day: 10).start(in: .kolkata) == utc("2025-03-09T18:30:00Z"))
    }

    @Test func dayArithmetic() {
        let newYearsEve = LocalDay(year: 2024, month: 12, day: 31)
        #expect(newYearsEve.adding(days: 1) == LocalDay(year: 2025, month: 1, day: 1))
        #expect(LocalDay(year: 2024, month: 2, day: 28).adding(days: 1) == LocalDay(year: 2024, month: 2, day: 29))
        #expect(newYearsEve.adding(days: -366) == LocalDay(year: 2023, month: 12, day: 31))
        #expect(newYearsEve.days(until: LocalDay(year: 2025, month: 1, day: 3)) == 3)
        #expect(LocalDay(year: 2025, month: 1, day: 3).days(until: newYearsEve) == -3)
        #expect(newYearsEve < LocalDay(year: 2025, month: 1, day: 1))
    }

    @Test func localTimeParsing() {
        #expect(LocalTime("09:00") == LocalTime(hour: 9))
        #expect(LocalTime("21:30")?.minutesSinceMidnight == 21 * 60 + 30)
        #expect(LocalTime("24:00") == nil)
        #expect(LocalTime("9") == nil)
        #expect(LocalTime("ab:cd") == nil)
        #expect(LocalTime(hour: 9, minute: 5).description == "09:05")
    }

    @Test func windowOpeningFollowsDSTInZonesThatHaveIt() {
        let newYork = TimeZone(identifier: "America/New_York")!
        let window = CallingWindow.standard
        // Clocks go forward on 2025-03-09: 09:00 is 14:00Z the day before and 13:00Z that day.
        #expect(window.opening(on: LocalDay(year: 2025, month: 3, day: 8), in: newYork) == utc("2025-03-08T14:00:00Z"))
        #expect(window.opening(on: LocalDay(year: 2025, month: 3, day: 9), in: newYork) == utc("2025-03-09T13:00:00Z"))
        #expect(LocalDay(year: 2025, month: 3, day: 9).start(in: newYork) == utc("2025-03-09T05:00:00Z"))
    }

    @Test func policyDefaultsMatchTheSOP() {
        #expect(policy.timeZone.identifier == "Asia/Kolkata")
        #expect(!policy.allowJuniorHighEnd)
        #expect(policy.leaseDuration == 10 * minute)
        #expect(policy.callbackGrace == 5 * minute)
        #expect(policy.callbackHorizon == 14 * day)
        #expect(policy.followUpDefault == 24 * hour)
        #expect(policy.maxAttemptsPerDay == 3)
        #expect(policy.attemptSpacing == 2 * hour)
        #expect(policy.callingWindow.description == "09:00–21:00")
        #expect(policy.unreachableAfterDays == 3)
        #expect(policy.highEndSLA == 15 * minute)
        #expect(policy.slotHorizon == 14 * day)
        #expect(policy.leaseExpiry(claimedAt: ist(2025, 3, 10, 10)) == ist(2025, 3, 10, 10, 10))
    }
}
