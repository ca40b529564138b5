import Foundation

/// Rows copied out of a libpq result, which is cleared at once.
///
/// Values are kept in PostgreSQL's text format; typed accessors convert on read.
public struct QueryResult: Sendable {
    public let columns: [String]
    public let rows: [Row]
    /// Rows affected by INSERT/UPDATE/DELETE (from `PQcmdTuples`), 0 otherwise.
    public let affectedRows: Int

    public init(columns: [String], rows: [Row], affectedRows: Int) {
        self.columns = columns
        self.rows = rows
        self.affectedRows = affectedRows
    }

    public var first: Row? { rows.first }
    public var isEmpty: Bool { rows.isEmpty }
}

/// One row: text values by column, with typed accessors.
public struct Row: Sendable {
    public let index: [String: Int]
    public let values: [String?]

    public init(index: [String: Int], values: [String?]) {
        self.index = index
        self.values = values
    }

    public subscript(_ column: String) -> String? {
        guard let i = index[column] else { return nil }
        return values[i]
    }

    public func string(_ column: String) -> String? { self[column] }
    public func int(_ column: String) -> Int? { self[column].flatMap { Int($0) } }
    public func int64(_ column: String) -> Int64? { self[column].flatMap { Int64($0) } }
    public func double(_ column: String) -> Double? { self[column].flatMap { Double($0) } }
    public func bool(_ column: String) -> Bool? {
        switch self[column] {
        case "t", "true": return true
        case "f", "false": return false
        default: return nil
        }
    }
    public func date(_ column: String) -> Date? { self[column].flatMap { PostgresTime.parse($0) } }
    /// A one-dimensional text array (`{a,"b c",NULL}`); NULL elements are dropped.
    public func stringArray(_ column: String) -> [String]? {
        guard let text = self[column] else { return nil }
        return PostgresArray.parse(text)
    }
}

/// Parses PostgreSQL's text form of a one-dimensional array.
public enum PostgresArray {
    public static func parse(_ text: String) -> [String] {
        var out: [String] = []
        let chars = Array(text.unicodeScalars)
        guard chars.first == "{", chars.last == "}" else { return [] }
        var i = 1
        let end = chars.count - 1
        while i < end {
            var value = ""
            var quoted = false
            if chars[i] == "\"" {
                quoted = true
                i += 1
                while i < end, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < end { i += 1 }
                    value.unicodeScalars.append(chars[i])
                    i += 1
                }
                i += 1
            } else {
                while i < end, chars[i] != "," {
                    value.unicodeScalars.append(chars[i])
                    i += 1
                }
            }
            if quoted || value != "NULL" { out.append(value) }
            if i < end, chars[i] == "," { i += 1 }
        }
        return out
    }
}
