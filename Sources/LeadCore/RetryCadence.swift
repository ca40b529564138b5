import Foundation

/// The call-attempt counters kept on each lead. The cadence reads them to refuse or schedule
/// the next attempt; BI reads them for "leads with ≥ 3 attempts" and "time to first attempt".
///
/// Every disposition is one call attempt and advances the counters (`recordingAttempt`).
public struct LeadCallState: Sendable, Hashable {
    /// Call attempts over the lead's life.
    public var attempts: Int
    /// Call attempts on `attemptsDay`; stale (treat as 0) on any other day.
    public var attemptsToday: Int
    /// The team-local day `attemptsToday` counts.
    public var attemptsDay: LocalDay?
    public var firstAttemptAt: Date?
    public var lastAttemptAt: Date?
    /// The last time the customer was actually spoken to.
    public var lastConnectedAt: Date?
    /// The first unanswered attempt since the customer was last spoken to (or since the
    /// first attempt, for a lead never reached); nil when the last attempt connected.
    /// The unreachable clock counts days from here, so a callback booked for next week
    /// does not close the lead the first time it goes unanswered.
    public var unansweredSince: Date?

    public init(
        attempts: Int = 0,
        attemptsToday: Int = 0,
        attemptsDay: LocalDay? = nil,
        firstAttemptAt: Date? = nil,
        lastAttemptAt: Date? = nil,
        lastConnectedAt: Date? = nil,
        unansweredSince: Date? = nil
    ) {
        self.attempts = attempts
        self.attemptsToday = attemptsToday
        self.attemptsDay = attemptsDay
        self.firstAttemptAt = firstAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastConnectedAt = lastConnectedAt
        self.unansweredSince = unansweredSince
    }

    /// A lead nobody has called yet.
    public static let notCalled = LeadCallState()

    /// Attempts made on `day` (0 if the counters refer to another day).
    public func attempts(on day: LocalDay) -> Int {
        attemptsDay == day ? attemptsToday : 0
    }

    /// The counters after one more call at `now`.
    public func recordingAttempt(at now: Date, connected: Bool, policy: TeamPolicy) -> LeadCallState {
        let today = policy.localDay(of: now)
        var next = self
        next.attempts += 1
        next.attemptsToday = attempts(on: today) + 1
        next.attemptsDay = today
        next.firstAttemptAt = firstAttemptAt ?? now
        next.lastAttemptAt = now
        if connected {
            next.lastConnectedAt = now
            next.unansweredSince = nil
        } else {
            next.unansweredSince = unansweredSince ?? now
        }
        return next
    }
}

/// The Not Connected cadence (SOP: "Not Reachable / Switched Off — try 3 times a day, log
/// attempts; after some days close as unreachable"), on the team's wall clock:
///
/// 1. A Not Reachable attempt is allowed only inside the calling window (09:00–21:00 local)
///    and only while fewer than `maxAttemptsPerDay` (3) attempts were made that local day;
///    otherwise it is refused (`check`).
/// 2. The next attempt is `now + attemptSpacing` (2 h); if the day's attempts are used up it
///    is the next local day's window opening; a time before a window opening moves up to it,
///    a time at or after a window's close moves to the next day's opening (`nextAttempt`).
/// 3. If that next attempt would fall `unreachableAfterDays` (3) or more local days after the
///    first unanswered attempt (`LeadCallState.unansweredSince`), the lead closes as
///    unreachable instead (`givesUp`). With the defaults: up to 3 attempts on each of 3
///    local days, then closed.
///
/// All day arithmetic goes through `Calendar` in the team's zone, so DST shifts move nothing.
public enum RetryCadence {
    /// Refuses a Not Reachable attempt the cadence does not allow.
    /// - Parameter state: the counters *before* this attempt.
    /// - Throws: OUTSIDE_CALL_WINDOW outside the calling window; ATTEMPT_LIMIT when the
    ///   lead already had `maxAttemptsPerDay` attempts on this local day.
    public static func check(attemptAt: Date, state: LeadCallState, policy: TeamPolicy) throws(Refusal) {
        let zone = policy.timeZone
        guard policy.callingWindow.contains(attemptAt, in: zone) else {
            throw Refusal(.outsideCallWindow,
                          "calls are allowed \(policy.callingWindow) \(zone.identifier); it is \(localClock(attemptAt, zone)) there")
        }
        let today = policy.localDay(of: attemptAt)
        let made = state.attempts(on: today)
        guard made < policy.maxAttemptsPerDay else {
            throw Refusal(.attemptLimit,
                          "\(made) attempts already on \(today) (\(zone.identifier)); at most \(policy.maxAttemptsPerDay) a day, next from \(policy.callingWindow.start) tomorrow")
        }
    }

    /// When the next attempt is due after an unanswered call at `now`.
    /// - Parameter state: the counters *after* recording the call at `now`.
    public static func nextAttempt(after now: Date, state: LeadCallState, policy: TeamPolicy) -> Date {
        let zone = policy.timeZone
        let window = policy.callingWindow
        let today = policy.localDay(of: now)
        var candidate = now.addingTimeInterval(policy.attemptSpacing)
        if state.attempts(on: today) >= policy.maxAttemptsPerDay {
            candidate = max(candidate, window.opening(on: today.adding(days: 1), in: zone))
        }
        let day = policy.localDay(of: candidate)
        if candidate < window.opening(on: day, in: zone) {
            return window.opening(on: day, in: zone)
        }
        if candidate >= window.closing(on: day, in: zone) {
            return window.opening(on: day.adding(days: 1), in: zone)
        }
        return candidate
    }

    /// Whether the cadence gives up: an attempt at `nextAttemptAt` would be on the
    /// `unreachableAfterDays`-th local day (or later) after the first unanswered attempt.
    /// - Parameter state: the counters *after* recording the unanswered call.
    public static func givesUp(nextAttemptAt: Date, state: LeadCallState, policy: TeamPolicy) -> Bool {
        guard let since = state.unansweredSince else { return false }
        let firstDay = policy.localDay(of: since)
        return firstDay.days(until: policy.localDay(of: nextAttemptAt)) >= policy.unreachableAfterDays
    }

    static func localClock(_ date: Date, _ zone: TimeZone) -> String {
        let parts = Calendar.wallClock(zone).dateComponents([.hour, .minute], from: date)
        return LocalTime(hour: parts.hour ?? 0, minute: parts.minute ?? 0).description
    }
}
