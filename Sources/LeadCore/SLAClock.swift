import Foundation

/// When a lead's next action is due, per the SOP's SLA table, and whether that time passed:
///
/// | situation                   | deadline                                   |
/// |-----------------------------|--------------------------------------------|
/// | new High-End lead           | created + `highEndSLA` (15 min)            |
/// | new lead, not High End      | end of the team's local day of creation    |
/// | callback at T               | T + `callbackGrace` (5 min)                |
/// | any scheduled step at T     | T + `callbackGrace` (retry, follow-up)     |
/// | open lead, nothing scheduled| last action + 24 h (`followUpDefault`)     |
///
/// "End of day" is the next local midnight. A deadline is met by an attempt at or before it.
public enum SLAClock {
    /// First-attempt deadline for a lead created at `createdAt`.
    public static func firstAttemptDeadline(createdAt: Date, isHighEnd: Bool, policy: TeamPolicy) -> Date {
        if isHighEnd { return createdAt.addingTimeInterval(policy.highEndSLA) }
        return policy.localDay(of: createdAt).adding(days: 1).start(in: policy.timeZone)
    }

    /// Deadline for a callback the customer asked for at `at`.
    public static func callbackDeadline(at: Date, policy: TeamPolicy) -> Date {
        at.addingTimeInterval(policy.callbackGrace)
    }

    /// Deadline for the next touch of an open lead after an action at `lastActionAt`:
    /// the scheduled time + grace when one is set, else within `followUpDefault` (24 h).
    public static func followUpDeadline(lastActionAt: Date, scheduledAt: Date?, policy: TeamPolicy) -> Date {
        if let scheduledAt { return scheduledAt.addingTimeInterval(policy.callbackGrace) }
        return lastActionAt.addingTimeInterval(policy.followUpDefault)
    }

    /// Deadline after a disposition that leads to `next`; nil once the lead is closed.
    public static func deadline(for next: NextStep, policy: TeamPolicy) -> Date? {
        next.scheduledAt.map { $0.addingTimeInterval(policy.callbackGrace) }
    }

    /// True once `now` is past `deadline` (an attempt exactly at the deadline is on time).
    public static func breached(deadline: Date, now: Date) -> Bool {
        now > deadline
    }
}
