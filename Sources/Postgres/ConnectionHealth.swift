import CLibPQ
import Foundation

extension PostgresConnection {
    /// True when no transaction is open (safe to hand to the next user).
    var isIdleInTransaction: Bool {
        guard let conn else { return false }
        return PQtransactionStatus(conn) != PQTRANS_IDLE
    }

    /// A cheap liveness probe for a pooled idle connection: if the server closed it
    /// (restart, terminate), the socket is readable and libpq notices the break.
    func probeAlive() -> Bool {
        guard let conn, PQstatus(conn) == CONNECTION_OK else { return false }
        var pfd = pollfd(fd: PQsocket(conn), events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, 0)
        if ready == 0 { return true }
        if PQconsumeInput(conn) != 1 { return false }
        while let n = PQnotifies(conn) { PQfreemem(n) }
        return PQstatus(conn) == CONNECTION_OK
    }
}

extension PostgresConnection {
    /// `error` as a caller should see it once this connection is no longer usable: any
    /// failure (the "aborted" statement of a broken pipeline, a refusal built on a failed
    /// statement) is then a `.connection` error, because the database, not the request,
    /// failed. On a healthy connection, and for cancellation, `error` is returned as is.
    public func classify(_ error: any Error) -> any Error {
        if isHealthy || error is CancellationError { return error }
        if let e = error as? PostgresError, e.kind == .connection { return e }
        return PostgresError(kind: .connection, message: "the database connection was lost: \(error)")
    }
}
