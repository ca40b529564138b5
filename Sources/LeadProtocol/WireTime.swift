import Foundation

extension Wire {
    /// Parses a request time: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.
    ///
    /// The offset is required (a time without one is ambiguous on a floor that
    /// spans time zones). `T` and `Z` are upper case; the fraction has 1–9
    /// digits; seconds run 00–59. Returns nil for anything else.
    public static func parseTime(_ text: String) -> Date? {
        let b = Array(text.utf8)
        // The fixed part: 2026-11-22T19:00:00 (19 bytes), then fraction and offset.
        guard b.count >= 20,
              let year = number(b, 0, 4), b[4] == ASCII.minus,
              let month = number(b, 5, 2), b[7] == ASCII.minus,
              let day = number(b, 8, 2), b[10] == UInt8(ascii: "T"),
              let hour = number(b, 11, 2), b[13] == UInt8(ascii: ":"),
              let minute = number(b, 14, 2), b[16] == UInt8(ascii: ":"),
              let second = number(b, 17, 2)
        else { return nil }
        guard year >= 1, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour <= 23, minute <= 59, second <= 59
        else { return nil }

        var index = 19
        var fraction = 0.0
        if b[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < b.count, ASCII.isDigit(b[index]) { index += 1 }
            let digits = index - start
            guard (1...9).contains(digits), let value = number(b, start, digits) else { return nil }
            fraction = Double(value) / pow(10, Double(digits))
        }

        guard index < b.count else { return nil }
        var offsetSeconds = 0
        if b[index] == UInt8(ascii: "Z") {
            index += 1
        } else if b[index] == UInt8(ascii: "+") || b[index] == ASCII.minus {
            let sign = b[index] == ASCII.minus ? -1 : 1
            guard index + 6 == b.count,
                  let offsetHours = number(b, index + 1, 2), b[index + 3] == UInt8(ascii: ":"),
                  let offsetMinutes = number(b, index + 4, 2),
                  offsetHours <= 23, offsetMinutes <= 59
            else { return nil }
            offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            index += 6
        } else {
            return nil
        }
        guard index == b.count else { return nil }

        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// Formats a reply time in UTC with whole seconds: `2026-11-22T13:30:00Z`.
    /// Fractions of a second are dropped (rounded down).
    public static func formatTime(_ date: Date) -> String {
        // Clamped to years 0001...9999 so the result always has the fixed shape.
        let interval = date.timeIntervalSince1970
        let seconds = interval.isNaN ? 0 : interval.rounded(.down)
        let total = Int(min(max(seconds, -62_135_596_800), 253_402_300_799))
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondsOfDay = total - days * 86_400
        let (year, month, day) = civilFromDays(days)
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T"
            + pad(secondsOfDay / 3600, 2) + ":" + pad(secondsOfDay / 60 % 60, 2) + ":" + pad(secondsOfDay % 60, 2) + "Z"
    }

    /// `count` ASCII digits at `start` as a number, or nil.
    private static func number(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<start + count] {
            guard ASCII.isDigit(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian, day 0 = 1970-01-01).

    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
