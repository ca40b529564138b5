import Foundation
import LeadCore
import Testing

/// The SOP defaults: Asia/Kolkata, 09:00–21:00, 3 attempts 2 h apart, unreachable after 3 days.
let policy = TeamPolicy.standard

/// A fixed instant on the Asia/Kolkata wall clock. Tests never read the real clock.
func ist(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
    wallClock(.kolkata, year, month, day, hour, minute, second)
}

/// A fixed instant on any zone's wall clock.
func wallClock(_ zone: TimeZone, _ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = zone
    return calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
}

/// An instant written in UTC, ISO 8601 (`2025-03-10T03:30:00Z`), independent of the helpers above.
func utc(_ text: String) -> Date {
    ISO8601DateFormatter().date(from: text)!
}

let minute: TimeInterval = 60
let hour: TimeInterval = 3600
let day: TimeInterval = 86_400

/// The refusal `body` throws, or nil when it succeeds. Any other error fails the test.
func refusal<T>(_ body: () throws -> T) -> Refusal? {
    do {
        _ = try body()
        return nil
    } catch let refused as Refusal {
        return refused
    } catch {
        Issue.record("expected a Refusal, got \(error)")
        return Refusal(.internal, "not a Refusal: \(error)")
    }
}
