import Foundation

/// What a disposition does to a lead, worked out before anything is written: the next step,
/// the attempt counters after this call, the SLA deadline that follows, and the cleaned note.
/// The store writes exactly this; nothing about the outcome is decided in SQL.
public struct DispositionPlan: Sendable, Hashable {
    public let disposition: Disposition
    /// The note, trimmed.
    public let note: String
    public let reason: NonConversionReason?
    public let next: NextStep
    /// The counters after this call (every disposition is one attempt).
    public let callState: LeadCallState
    /// The lead's next SLA deadline; nil when it closes.
    public let slaDeadline: Date?

    /// The customer was spoken to (the Connected group).
    public var connected: Bool { disposition.isConnected }

    /// The note passes `Note.isMeaningful` (for BI, never a refusal).
    public var meaningfulNote: Bool { Note.isMeaningful(note) }

    /// True when the cadence gave up and closed the lead as unreachable: the store also
    /// records a `closed_unreachable` event.
    public var closedUnreachable: Bool { next == .closed(.unreachable) }
}

/// Turns an agent's DISPOSE into a `DispositionPlan`, or refuses it.
public enum DispositionPlanner {
    /// Checks, in this order (the first failure is the refusal):
    /// 1. `create_order` is refused (BAD_ARG): only a successful conversion sets it;
    /// 2. the note (NOTE_REQUIRED; BAD_ARG if too long);
    /// 3. the reason: `not_interested`/`sold_elsewhere` need one (REASON_REQUIRED), every other
    ///    disposition refuses one (BAD_ARG);
    /// 4. the time `at`: `callback` needs it (CALLBACK_TIME_REQUIRED); only `callback`,
    ///    `will_place_order` and `waiting_for_quote` accept it (BAD_ARG otherwise); it must be
    ///    strictly after `now` (CALLBACK_IN_PAST) and no more than `callbackHorizon` after it
    ///    (CALLBACK_TOO_FAR);
    /// 5. for `not_reachable`, the cadence (`RetryCadence.check`: OUTSIDE_CALL_WINDOW,
    ///    ATTEMPT_LIMIT). Connected and invalid outcomes are never refused by the cadence:
    ///    the conversation happened and is recorded.
    ///
    /// Then: closing dispositions close; `callback` schedules a callback owned by `agent`;
    /// `will_place_order`/`waiting_for_quote` schedule a follow-up at `at` or
    /// `now + followUpDefault`; `not_reachable` schedules a retry via the cadence, or closes
    /// as unreachable when the cadence gives up.
    ///
    /// - Parameters:
    ///   - lead: the lead's counters before this call.
    ///   - agent: the agent disposing; owns a callback they schedule.
    public static func plan(
        disposition: Disposition,
        note: String?,
        at: Date?,
        reason: NonConversionReason?,
        lead: LeadCallState,
        agent: AgentID,
        now: Date,
        policy: TeamPolicy
    ) throws(Refusal) -> DispositionPlan {
        guard disposition.isAgentSettable else {
            throw Refusal(.badArg, "code: create_order is set by converting the lead (CONVERT), not by DISPOSE")
        }
        let cleanNote = try Note.validate(note)

        if disposition.requiresReason, reason == nil {
            throw Refusal(.reasonRequired, "reason: \(disposition.rawValue) needs a non-conversion reason (\(reasonList))")
        }
        if !disposition.requiresReason, let reason {
            throw Refusal(.badArg, "reason: \(reason.rawValue) given, but only not_interested and sold_elsewhere take a reason")
        }

        switch disposition.timing {
        case .required where at == nil:
            throw Refusal(.callbackTimeRequired, "at: a callback needs the date and time the customer asked for")
        case .notAccepted where at != nil:
            throw Refusal(.badArg, "at: \(disposition.rawValue) does not take a time")
        default:
            break
        }
        if let at {
            try checkScheduled(at, now: now, policy: policy)
        }

        if disposition == .notReachable {
            try RetryCadence.check(attemptAt: now, state: lead, policy: policy)
        }

        let counters = lead.recordingAttempt(at: now, connected: disposition.isConnected, policy: policy)
        let next: NextStep
        if let outcome = disposition.closingOutcome {
            next = .closed(outcome)
        } else {
            switch disposition {
            case .callback:
                next = .callback(at: at ?? now, owner: agent)
            case .willPlaceOrder, .waitingForQuote:
                next = .followUp(at: at ?? now.addingTimeInterval(policy.followUpDefault))
            default:
                let retryAt = RetryCadence.nextAttempt(after: now, state: counters, policy: policy)
                next = RetryCadence.givesUp(nextAttemptAt: retryAt, state: counters, policy: policy)
                    ? .closed(.unreachable)
                    : .retry(at: retryAt)
            }
        }
        return DispositionPlan(
            disposition: disposition,
            note: cleanNote,
            reason: reason,
            next: next,
            callState: counters,
            slaDeadline: SLAClock.deadline(for: next, policy: policy)
        )
    }

    /// A callback or follow-up time must be strictly in the future and within the horizon.
    /// - Throws: CALLBACK_IN_PAST, CALLBACK_TOO_FAR.
    public static func checkScheduled(_ at: Date, now: Date, policy: TeamPolicy) throws(Refusal) {
        guard at > now else {
            throw Refusal(.callbackInPast, "at: \(stamp(at, policy)) is not in the future (now \(stamp(now, policy)))")
        }
        guard at <= now.addingTimeInterval(policy.callbackHorizon) else {
            let days = Int(policy.callbackHorizon / 86_400)
            throw Refusal(.callbackTooFar, "at: \(stamp(at, policy)) is more than \(days) days ahead")
        }
    }

    private static var reasonList: String {
        NonConversionReason.allCases.map(\.rawValue).joined(separator: "|")
    }

    /// `yyyy-MM-dd HH:mm` on the team's clock, for messages.
    static func stamp(_ date: Date, _ policy: TeamPolicy) -> String {
        "\(policy.localDay(of: date)) \(RetryCadence.localClock(date, policy.timeZone))"
    }
}
