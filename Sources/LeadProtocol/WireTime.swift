import Foundation
import LeadCore

extension Wire {
    /// A request time (docs/PROTOCOL.md "Times in requests"): `FloorTime.parse`, the one
    /// date codec. `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`, offset required;
    /// nil for anything else.
    public static func parseTime(_ text: String) -> Date? { FloorTime.parse(text) }

    /// A reply time in UTC with whole seconds (`2026-11-22T13:30:00Z`): `FloorTime.format`.
    public static func formatTime(_ date: Date) -> String { FloorTime.format(date) }
}
