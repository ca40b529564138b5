import CLibPQ
import Foundation

/// One libpq connection, used by one job at a time.
///
/// Every call blocks, so it must run on a thread pool (the `PostgresPool` does that) or
/// on a thread of its own (the `PostgresListener`), never on an event loop or the Swift
/// concurrency pool. Results are copied out and `PQclear`ed at once. Statements run by
/// `query(_:_:prepared:)` with `prepared: true` are prepared once per connection.
public final class PostgresConnection: @unchecked Sendable {
    var conn: OpaquePointer?
    private var preparedNames: [String: String] = [:]
    public let conninfo: String

    /// Connects with `PQconnectdbParams`. `conninfo` may be a URI (`postgresql://…`,
    /// e.g. `DATABASE_URL`) or a keyword string (`host=/tmp dbname=x`). The session
    /// runs in UTC with ISO dates, so timestamps parse the same everywhere.
    public init(conninfo: String, applicationName: String = "leadline", connectTimeoutSeconds: Int = 3) throws(PostgresError) {
        self.conninfo = conninfo
        let keys = ["dbname", "application_name", "connect_timeout", "options", "client_encoding"]
        let values = [conninfo, applicationName, String(max(2, connectTimeoutSeconds)),
                      "-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c client_min_messages=warning", "UTF8"]
        let cKeys = keys.map { strdup($0) }
        let cValues = values.map { strdup($0) }
        defer { cKeys.forEach { free($0) }; cValues.forEach { free($0) } }
        var keyPointers: [UnsafePointer<CChar>?] = cKeys.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = cValues.map { UnsafePointer($0) } + [nil]
        let c = keyPointers.withUnsafeMutableBufferPointer { k in
            valuePointers.withUnsafeMutableBufferPointer { v in
                PQconnectdbParams(k.baseAddress, v.baseAddress, 1)
            }
        }
        guard let c, PQstatus(c) == CONNECTION_OK else {
            let message = c.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? "out of memory"
            if let c { PQfinish(c) }
            throw PostgresError(kind: .connection, message: message.trimmingTrailingNewlines)
        }
        self.conn = c
    }

    deinit { close() }

    /// Closes the connection; later calls fail with a connection error.
    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    /// False once libpq has seen the connection break (or after `close`).
    public var isHealthy: Bool {
        guard let conn else { return false }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// The server's backend process id (for tests that terminate a session).
    public var backendPID: Int32 { conn.map { PQbackendPID($0) } ?? 0 }

    /// Runs one statement with text-format parameters (`$1`, `$2`, … with explicit casts).
    @discardableResult
    public func query(_ sql: String, _ params: [any PostgresBindable] = [], prepared: Bool = false) throws(PostgresError) -> QueryResult {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        let texts = params.map { $0.postgresText }
        let cParams: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0) } ?? nil }
        defer { cParams.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = cParams.map { $0.map { UnsafePointer($0) } }
        let result: OpaquePointer?
        if prepared {
            let name = try preparedName(for: sql, parameterCount: params.count)
            result = pointers.withUnsafeMutableBufferPointer { p in
                PQexecPrepared(conn, name, Int32(p.count), p.baseAddress, nil, nil, 0)
            }
        } else {
            result = pointers.withUnsafeMutableBufferPointer { p in
                PQexecParams(conn, sql, Int32(p.count), nil, p.baseAddress, nil, nil, 0)
            }
        }
        return try Self.consume(result, conn: conn)
    }

    /// Runs SQL without parameters through the simple-query protocol: several statements
    /// may be sent at once (migrations). Never pass user input here.
    public func execute(script sql: String) throws(PostgresError) {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        _ = try Self.consume(PQexec(conn, sql), conn: conn)
    }

    /// Runs `body` inside BEGIN … COMMIT; rolls back if it throws.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try query("BEGIN")
        do {
            let value = try body(self)
            try query("COMMIT")
            return value
        } catch {
            if isHealthy { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    func preparedName(for sql: String, parameterCount: Int) throws(PostgresError) -> String {
        if let name = preparedNames[sql] { return name }
        let name = "ll_\(preparedNames.count + 1)"
        let result = PQprepare(conn, name, sql, Int32(parameterCount), nil)
        _ = try Self.consume(result, conn: conn)
        preparedNames[sql] = name
        return name
    }

    static func consume(_ result: OpaquePointer?, conn: OpaquePointer?) throws(PostgresError) -> QueryResult {
        guard let result else { throw PostgresError.from(result: nil, connection: conn) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            break
        default:
            throw PostgresError.from(result: result, connection: conn)
        }
        let nColumns = Int(PQnfields(result))
        let nRows = Int(PQntuples(result))
        var columns: [String] = []
        columns.reserveCapacity(nColumns)
        var index: [String: Int] = [:]
        for c in 0..<nColumns {
            let name = String(cString: PQfname(result, Int32(c)))
            columns.append(name)
            if index[name] == nil { index[name] = c }
        }
        var rows: [Row] = []
        rows.reserveCapacity(nRows)
        for r in 0..<nRows {
            var values: [String?] = []
            values.reserveCapacity(nColumns)
            for c in 0..<nColumns {
                if PQgetisnull(result, Int32(r), Int32(c)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(r), Int32(c))))
                }
            }
            rows.append(Row(index: index, values: values))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return QueryResult(columns: columns, rows: rows, affectedRows: affected)
    }

    // MARK: COPY FROM STDIN

    /// Streams rows into `COPY … FROM STDIN` (text format, the statement chosen by the
    /// caller); `rows` are already-escaped COPY text lines. Returns the rows copied.
    @discardableResult
    public func copyIn(_ copyStatement: String, lines: some Sequence<String>) throws(PostgresError) -> Int {
        try copyIn(copyStatement) { conn in
            var buffer = ""
            buffer.reserveCapacity(1 << 16)
            func flush() -> Bool {
                defer { buffer.removeAll(keepingCapacity: true) }
                return buffer.isEmpty || buffer.withCString { p in PQputCopyData(conn, p, Int32(strlen(p))) } == 1
            }
            for line in lines {
                buffer += line
                buffer += "\n"
                if buffer.utf8.count >= 1 << 16, !flush() { return false }
            }
            return flush()
        }
    }

    /// Runs a `COPY … FROM STDIN` with `data` as its text (whole lines, each ending in a
    /// newline), sent in chunks; returns the rows copied.
    @discardableResult
    public func copyIn(_ copyStatement: String, data: [UInt8]) throws(PostgresError) -> Int {
        try copyIn(copyStatement) { conn in
            data.withUnsafeBufferPointer { bytes in
                let chunk = 1 << 18
                var offset = 0
                while offset < bytes.count {
                    let count = min(chunk, bytes.count - offset)
                    let ok = (bytes.baseAddress! + offset).withMemoryRebound(to: CChar.self, capacity: count) {
                        PQputCopyData(conn, $0, Int32(count))
                    }
                    if ok != 1 { return false }
                    offset += count
                }
                return true
            }
        }
    }

    /// Starts `copyStatement`, lets `send` put the data (false = a send failed), ends the
    /// COPY (aborted after a failed send) and returns the rows copied.
    private func copyIn(_ copyStatement: String, send: (OpaquePointer) -> Bool) throws(PostgresError) -> Int {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        let start = PQexec(conn, copyStatement)
        guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try Self.consume(start, conn: conn)
            throw PostgresError(kind: .statement, message: "COPY did not start")
        }
        PQclear(start)
        let failed: PostgresError? = send(conn) ? nil : PostgresError.from(result: nil, connection: conn)
        PQputCopyEnd(conn, failed == nil ? nil : "client error")
        let result = try Self.consume(PQgetResult(conn), conn: conn)
        while let extra = PQgetResult(conn) { PQclear(extra) }
        if let failed { throw failed }
        return result.affectedRows
    }

    // MARK: Notifications (used by PostgresListener)

    var socket: Int32 { conn.map { PQsocket($0) } ?? -1 }

    /// Reads what the server sent and returns the notifications received so far.
    func consumeNotifications() throws(PostgresError) -> [PostgresNotification] {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        if PQconsumeInput(conn) != 1 {
            throw PostgresError(kind: .connection, message: String(cString: PQerrorMessage(conn)).trimmingTrailingNewlines)
        }
        var out: [PostgresNotification] = []
        while let n = PQnotifies(conn) {
            let channel = String(cString: n.pointee.relname)
            let payload = String(cString: n.pointee.extra)
            out.append(PostgresNotification(channel: channel, payload: payload, pid: n.pointee.be_pid))
            PQfreemem(n)
        }
        return out
    }
}

/// A NOTIFY received on a LISTEN connection.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    public let pid: Int32
}

/// Quotes an identifier (a LISTEN channel name) with libpq's own quoting rules.
public enum PostgresIdentifier {
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

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
