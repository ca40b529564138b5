import CLibPQ

/// A failure from PostgreSQL or from libpq, typed by what the caller should do next.
///
/// The SQLSTATE decides the kind: serialization failures and deadlocks may simply be
/// retried, a unique violation is a conflict with data that already exists, and a lost
/// or refused connection means "reconnect" (the pool drops the connection).
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What the caller can do about the failure.
    public enum Kind: Sendable, Equatable {
        /// 40001 serialization_failure, 40P01 deadlock_detected: run the transaction again.
        case retryable
        /// 23505 unique_violation.
        case uniqueViolation
        /// Any other class 23 integrity violation (check, foreign key, not null, exclusion).
        case integrityViolation
        /// The connection is gone, could not be made, or did not answer in time: 08xxx,
        /// 57P01–57P03 (server shutting down, crashed, or not yet accepting), 53300, 57014
        /// (statement cancelled: `statement_timeout`), a client-side deadline, or libpq
        /// reporting the connection lost. Callers answer "unavailable, retry".
        case connection
        /// A statement-level error the caller must not retry (syntax, raise exception, …).
        case statement
    }

    public let kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public let sqlState: String?
    public let message: String
    public let detail: String?
    public let constraint: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
    }

    public var description: String {
        var s = "PostgresError(\(kind)"
        if let sqlState { s += ", \(sqlState)" }
        s += "): \(message)"
        if let constraint { s += " [constraint \(constraint)]" }
        return s
    }

    public var isRetryable: Bool { kind == .retryable }
    public var isConnectionError: Bool { kind == .connection }

    /// Maps a SQLSTATE to a kind.
    public static func kind(forSQLState state: String?) -> Kind {
        guard let state else { return .statement }
        switch state {
        case "40001", "40P01": return .retryable
        case "23505": return .uniqueViolation
        case "57P01", "57P02", "57P03", "53300", "57014": return .connection
        default:
            if state.hasPrefix("08") { return .connection }
            if state.hasPrefix("23") { return .integrityViolation }
            return .statement
        }
    }

    /// Builds an error from a failed result; `connectionBad` says libpq reported the connection dead.
    static func from(result: OpaquePointer?, connection: OpaquePointer?) -> PostgresError {
        let connectionBad = connection.map { PQstatus($0) == CONNECTION_BAD } ?? true
        guard let result else {
            let msg = connection.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? "no result"
            return PostgresError(kind: .connection, message: msg.trimmingTrailingNewlines)
        }
        func field(_ code: Int32) -> String? {
            guard let p = PQresultErrorField(result, code) else { return nil }
            return String(cString: p)
        }
        let state = field(Int32(UInt8(ascii: "C")))  // PG_DIAG_SQLSTATE
        let primary = field(Int32(UInt8(ascii: "M")))  // PG_DIAG_MESSAGE_PRIMARY
        let fallback = PQresultErrorMessage(result).map { String(cString: $0) } ?? "unknown error"
        var kind = PostgresError.kind(forSQLState: state)
        // libpq's own error results carry no SQLSTATE: "server closed the connection
        // unexpectedly", "could not send data to server", … — the connection is lost even
        // when libpq has not yet marked it bad.
        if connectionBad || (state == nil && lostConnectionPhrases.contains { fallback.contains($0) }) { kind = .connection }
        return PostgresError(
            kind: kind, sqlState: state,
            message: (primary ?? fallback).trimmingTrailingNewlines,
            detail: field(Int32(UInt8(ascii: "D"))),
            constraint: field(Int32(UInt8(ascii: "n"))))
    }
}

/// How libpq words a lost connection in the error results it makes itself.
private let lostConnectionPhrases = [
    "server closed the connection", "terminating connection", "could not send data", "could not receive data",
    "no connection to the server", "connection not open", "lost synchronization", "SSL SYSCALL error", "SSL connection has been closed",
]

extension String {
    var trimmingTrailingNewlines: String {
        var s = self
        while s.last == "\n" || s.last == " " { s.removeLast() }
        return s
    }
}
