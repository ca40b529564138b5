import Foundation

/// A lead's id as the database numbers it (bigint). It is also the last tie-break in claim order.
public typealias LeadID = Int64

/// An agent's login handle. The same string names the agent in claims, callbacks and events.
public typealias AgentID = String

/// A team's id. A team owns a pool of leads and the settings in `TeamPolicy`.
public typealias TeamID = String

/// A calendar day on the team's wall clock (e.g. 2025-03-10 in Asia/Kolkata).
///
/// Exists because the SOP counts in the team's days, never in UTC days: "3 attempts a day",
/// "attempted within the same day", "closed after 3 days". `description` is `yyyy-MM-dd`,
/// the form PostgreSQL's `date` type reads.
public struct LocalDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// The local day that `date` falls on in `timeZone`.
    public init(_ date: Date, in timeZone: TimeZone) {
        let parts = Calendar.wallClock(timeZone).dateComponents([.year, .month, .day], from: date)
        self.init(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
    }

    /// The instant `time` happens on this day in `timeZone`. DST-safe: it asks the calendar,
    /// it never adds hours to midnight. A time that does not exist (a spring-forward gap)
    /// resolves to the calendar's next valid instant.
    public func at(_ time: LocalTime, in timeZone: TimeZone) -> Date {
        let parts = DateComponents(year: year, month: month, day: day, hour: time.hour, minute: time.minute)
        let calendar = Calendar.wallClock(timeZone)
        if let date = calendar.date(from: parts) { return date }
        return start(in: timeZone).addingTimeInterval(TimeInterval(time.minutesSinceMidnight * 60))
    }

    /// The first instant of this day in `timeZone` (local midnight, or the first valid
    /// instant when a zone skips midnight).
    public func start(in timeZone: TimeZone) -> Date {
        let calendar = Calendar.wallClock(timeZone)
        let noon = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12))
            ?? Date(timeIntervalSince1970: 0)
        return calendar.startOfDay(for: noon)
    }

    /// The day `days` later (or earlier, if negative).
    public func adding(days: Int) -> LocalDay {
        let utc = Calendar.wallClock(.utcZone)
        let moved = utc.date(byAdding: .day, value: days, to: utcNoon) ?? utcNoon
        return LocalDay(moved, in: .utcZone)
    }

    /// Whole days from this day to `other` (positive when `other` is later).
    public func days(until other: LocalDay) -> Int {
        Calendar.wallClock(.utcZone).dateComponents([.day], from: utcNoon, to: other.utcNoon).day ?? 0
    }

    public var description: String {
        String(format: "%04d-%02d-%02d", year, month, day)
    }

    public static func < (lhs: LocalDay, rhs: LocalDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    private var utcNoon: Date {
        Calendar.wallClock(.utcZone).date(from: DateComponents(year: year, month: month, day: day, hour: 12))
            ?? Date(timeIntervalSince1970: 0)
    }
}

/// A wall-clock time of day (hours and minutes) in the team's zone, such as the edges of the
/// calling window. `description` is `HH:mm`.
public struct LocalTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let hour: Int
    public let minute: Int

    /// `hour` 0…23 and `minute` 0…59; anything else is clamped into range.
    public init(hour: Int, minute: Int = 0) {
        self.hour = min(max(hour, 0), 23)
        self.minute = min(max(minute, 0), 59)
    }

    /// Reads `HH:mm` (e.g. `09:00`, `21:30`); nil when it is not a valid time of day.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ (1...2).contains($0.count) && $0.allSatisfy(\.isASCIIDigit) }),
              let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        self.init(hour: hour, minute: minute)
    }

    public var minutesSinceMidnight: Int { hour * 60 + minute }

    public var description: String { String(format: "%02d:%02d", hour, minute) }

    public static func < (lhs: LocalTime, rhs: LocalTime) -> Bool {
        lhs.minutesSinceMidnight < rhs.minutesSinceMidnight
    }
}

extension TimeZone {
    /// India Standard Time, the SOP's default team zone.
    public static let kolkata: TimeZone = TimeZone(identifier: "Asia/Kolkata") ?? TimeZone(secondsFromGMT: 19_800)!

    static let utcZone: TimeZone = TimeZone(secondsFromGMT: 0)!
}

extension Calendar {
    /// A Gregorian calendar reading the wall clock of `timeZone`.
    static func wallClock(_ timeZone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }
}

extension Character {
    /// 0–9 only: Devanagari or full-width digits are not accepted in phone numbers or pincodes.
    var isASCIIDigit: Bool { isASCII && isNumber }
}
