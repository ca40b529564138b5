import Foundation

/// The hours a customer may be called, on the team's wall clock. The start is inside the
/// window, the end is not: with the SOP default 09:00–21:00, a call at 09:00:00 is allowed
/// and a call at 21:00:00 is not. The window never crosses midnight.
public struct CallingWindow: Sendable, Hashable, CustomStringConvertible {
    public let start: LocalTime
    public let end: LocalTime

    /// `end` must be later than `start`; if it is not, the window is one minute long.
    public init(start: LocalTime, end: LocalTime) {
        self.start = start
        self.end = end > start ? end : LocalTime(hour: start.hour, minute: start.minute + 1)
    }

    /// 09:00–21:00.
    public static let standard = CallingWindow(start: LocalTime(hour: 9), end: LocalTime(hour: 21))

    /// The window's first instant on `day`.
    public func opening(on day: LocalDay, in timeZone: TimeZone) -> Date {
        day.at(start, in: timeZone)
    }

    /// The first instant after the window on `day`.
    public func closing(on day: LocalDay, in timeZone: TimeZone) -> Date {
        day.at(end, in: timeZone)
    }

    /// Whether `date` falls inside the window of its own local day.
    public func contains(_ date: Date, in timeZone: TimeZone) -> Bool {
        let day = LocalDay(date, in: timeZone)
        return opening(on: day, in: timeZone) <= date && date < closing(on: day, in: timeZone)
    }

    public var description: String { "\(start)–\(end)" }
}

/// A team's settings for every rule in LeadCore, with the SOP's defaults. The database keeps
/// one row per team; LeadCore only reads it. Durations are absolute seconds (a 14-day
/// horizon is 14 × 24 h), while days and windows are counted on the team's wall clock.
public struct TeamPolicy: Sendable, Hashable {
    /// The team's wall clock: local days, the calling window, "end of day".
    public var timeZone: TimeZone
    /// Whether non-senior agents may be handed High-End leads.
    public var allowJuniorHighEnd: Bool
    /// How long a claim lasts without a disposition or release before it expires.
    public var leaseDuration: TimeInterval
    /// How long a due callback stays reserved for its owner, and the SLA slack on any
    /// scheduled call.
    public var callbackGrace: TimeInterval
    /// How far ahead a callback or follow-up may be scheduled.
    public var callbackHorizon: TimeInterval
    /// When a Will Place Order / Waiting for Quote follow-up comes due if no time is given.
    public var followUpDefault: TimeInterval
    /// Call attempts per lead per local day.
    public var maxAttemptsPerDay: Int
    /// Gap between a Not Reachable attempt and the next one.
    public var attemptSpacing: TimeInterval
    /// When customers may be called.
    public var callingWindow: CallingWindow
    /// Local days of unanswered attempts after which a lead closes as unreachable.
    public var unreachableAfterDays: Int
    /// First-attempt SLA for a High-End lead.
    public var highEndSLA: TimeInterval
    /// How far ahead a pickup slot may be booked ("future date far ahead" is a do-not-create).
    public var slotHorizon: TimeInterval

    public init(
        timeZone: TimeZone = .kolkata,
        allowJuniorHighEnd: Bool = false,
        leaseDuration: TimeInterval = 10 * 60,
        callbackGrace: TimeInterval = 5 * 60,
        callbackHorizon: TimeInterval = 14 * 24 * 3600,
        followUpDefault: TimeInterval = 24 * 3600,
        maxAttemptsPerDay: Int = 3,
        attemptSpacing: TimeInterval = 2 * 3600,
        callingWindow: CallingWindow = .standard,
        unreachableAfterDays: Int = 3,
        highEndSLA: TimeInterval = 15 * 60,
        slotHorizon: TimeInterval = 14 * 24 * 3600
    ) {
        self.timeZone = timeZone
        self.allowJuniorHighEnd = allowJuniorHighEnd
        self.leaseDuration = leaseDuration
        self.callbackGrace = callbackGrace
        self.callbackHorizon = callbackHorizon
        self.followUpDefault = followUpDefault
        self.maxAttemptsPerDay = maxAttemptsPerDay
        self.attemptSpacing = attemptSpacing
        self.callingWindow = callingWindow
        self.unreachableAfterDays = unreachableAfterDays
        self.highEndSLA = highEndSLA
        self.slotHorizon = slotHorizon
    }

    /// The SOP defaults: Asia/Kolkata, 10-minute leases, 5-minute grace, 14-day horizon,
    /// 24-hour follow-ups, 3 attempts a day 2 hours apart between 09:00 and 21:00,
    /// unreachable after 3 days, High Ends within 15 minutes.
    public static let standard = TeamPolicy()

    /// The local day `date` falls on for this team.
    public func localDay(of date: Date) -> LocalDay {
        LocalDay(date, in: timeZone)
    }

    /// When a claim made at `claimedAt` expires.
    public func leaseExpiry(claimedAt: Date) -> Date {
        claimedAt.addingTimeInterval(leaseDuration)
    }
}
