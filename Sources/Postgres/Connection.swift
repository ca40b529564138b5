import CLibPQ
import Foundation

/// One libpq connection, used by one job at a time.
///
/// Every call blocks, so it must run on a thread pool (the `PostgresPool` does that) or
/// on a thread of its own (the `PostgresListener`), never on an event loop or the Swift
/// concurrency pool. Results are copied out and `PQclear`ed at once. Statements run by
/// `query(_:_:prepared:)` with `prepared: true` are prepared once per connection.
///
/// Statements are sent with libpq's asynchronous calls on a non-blocking socket and their
/// results awaited with `poll` on `PQsocket`, so each wait is bounded by `timeout`: when
/// the server sends nothing within it (a frozen or partitioned server), the connection is
/// given up (closed, never `PQcancel`led: a cancel request to a frozen server can hang
/// too) and the statement fails with a `.connection` error.
public final class PostgresConnection: @unchecked Sendable {
    var conn: OpaquePointer?
    private var preparedNames: [String: String] = [:]
    public let conninfo: String

    /// How long one statement (or one pipeline) may wait for the server's reply; nil = no
    /// limit. Past it the connection is closed and the statement throws a `.connection`
    /// error. The pool sets it for every job; a connection of its own starts without one.
    public var timeout: Duration?

    /// The `statement_timeout` last set on the server session by `setServerTimeout`
    /// (nil = not set by us: the server's default).
    private var serverTimeout: Duration?

    /// True after the connection was given up (a deadline passed, or libpq reported an
    /// error of its own rather than the server's): the pool must not reuse it.
    private(set) var broken = false

    /// True after a statement got no reply within `timeout` (the server may be frozen).
    private(set) var timedOut = false

    /// Set when the server sent a result; the pool clears it (a reply proves the server
    /// is answering, which ends a stall).
    var gotReply = false

    /// Connects with `PQconnectStartParams` and `PQconnectPoll`, waiting at most
    /// `connectTimeout` in all (libpq's own `connect_timeout` cannot go below 2 s and does
    /// not apply to this asynchronous connect). `conninfo` may be a URI (`postgresql://…`,
    /// e.g. `DATABASE_URL`) or a keyword string (`host=/tmp dbname=x`). The session runs
    /// in UTC with ISO dates, so timestamps parse the same everywhere, and without JIT
    /// compilation: the service's statements run in milliseconds, and on a 2-core machine
    /// the planner's JIT (triggered by cost estimates, not by real work) took 5.5 s to
    /// compile the kept-counts QUEUES that then ran in 0.1 s at 1M leads.
    public init(conninfo: String, applicationName: String = "leadline", connectTimeout: Duration = .seconds(3)) throws(PostgresError) {
        self.conninfo = conninfo
        let seconds = max(2, Int((Double(connectTimeout.components.seconds) + Double(connectTimeout.components.attoseconds) / 1e18).rounded(.up)))
        let keys = ["dbname", "application_name", "connect_timeout", "options", "client_encoding"]
        let values = [conninfo, applicationName, String(seconds),
                      "-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=iso_8601 -c client_min_messages=warning -c jit=off", "UTF8"]
        let cKeys = keys.map { strdup($0) }
        let cValues = values.map { strdup($0) }
        defer { cKeys.forEach { free($0) }; cValues.forEach { free($0) } }
        var keyPointers: [UnsafePointer<CChar>?] = cKeys.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = cValues.map { UnsafePointer($0) } + [nil]
        let deadline = ContinuousClock.now + connectTimeout
        let started = keyPointers.withUnsafeMutableBufferPointer { k in
            valuePointers.withUnsafeMutableBufferPointer { v in
                PQconnectStartParams(k.baseAddress, v.baseAddress, 1)
            }
        }
        guard let c = started else { throw PostgresError(kind: .connection, message: "out of memory") }
        func fail(_ message: String) -> PostgresError {
            PQfinish(c)
            return PostgresError(kind: .connection, message: message.trimmingTrailingNewlines)
        }
        var state = PQstatus(c) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING
        while state != PGRES_POLLING_OK {
            if state == PGRES_POLLING_FAILED { throw fail(String(cString: PQerrorMessage(c))) }
            let events = state == PGRES_POLLING_READING ? Int16(POLLIN) : Int16(POLLOUT)
            switch Self.waitForSocket(PQsocket(c), events: events, deadline: deadline) {
            case .ready: break
            case .timedOut: throw fail("could not connect to the database within \(Self.describe(connectTimeout))")
            case .failed(let e): throw fail("poll failed while connecting: \(String(cString: strerror(e)))")
            }
            state = PQconnectPoll(c)
        }
        // Sends never block: a send that does not fit is flushed by the result wait,
        // under the same deadline.
        guard PQsetnonblocking(c, 1) == 0 else { throw fail(String(cString: PQerrorMessage(c))) }
        self.conn = c
    }

    deinit { close() }

    /// Closes the connection; later calls fail with a connection error.
    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    /// False once libpq has seen the connection break, a deadline passed, or after `close`.
    public var isHealthy: Bool {
        guard let conn, !broken else { return false }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// The server's backend process id (for tests that terminate a session).
    public var backendPID: Int32 { conn.map { PQbackendPID($0) } ?? 0 }

    /// Runs one statement with text-format parameters (`$1`, `$2`, … with explicit casts).
    @discardableResult
    public func query(_ sql: String, _ params: [any PostgresBindable] = [], prepared: Bool = false) throws(PostgresError) -> QueryResult {
        guard conn != nil else { throw Self.closedError }
        let texts = params.map { $0.postgresText }
        let cParams: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0) } ?? nil }
        defer { cParams.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = cParams.map { $0.map { UnsafePointer($0) } }
        if prepared {
            let name = try preparedName(for: sql, parameterCount: params.count)
            return try command { conn in
                pointers.withUnsafeMutableBufferPointer { p in
                    PQsendQueryPrepared(conn, name, Int32(p.count), p.baseAddress, nil, nil, 0)
                }
            }
        }
        return try command { conn in
            pointers.withUnsafeMutableBufferPointer { p in
                PQsendQueryParams(conn, sql, Int32(p.count), nil, p.baseAddress, nil, nil, 0)
            }
        }
    }

    /// Runs SQL without parameters through the simple-query protocol: several statements
    /// may be sent at once (migrations). Never pass user input here.
    public func execute(script sql: String) throws(PostgresError) {
        _ = try command { conn in PQsendQuery(conn, sql) }
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

    /// Sets the server session's `statement_timeout` (nil = none), with a round trip only
    /// when it differs from what was set last. Call outside a transaction (a rollback
    /// would undo it).
    public func setServerTimeout(_ value: Duration?) throws(PostgresError) {
        let wanted = value ?? .zero
        if serverTimeout == wanted { return }
        let ms = max(value == nil ? 0 : 1, Int(wanted.components.seconds * 1000 + wanted.components.attoseconds / 1_000_000_000_000_000))
        try query("SELECT set_config('statement_timeout', $1::text, false)", ["\(ms)ms"])
        serverTimeout = wanted
    }

    func preparedName(for sql: String, parameterCount: Int) throws(PostgresError) -> String {
        if let name = preparedNames[sql] { return name }
        let name = "ll_\(preparedNames.count + 1)"
        _ = try command { conn in PQsendPrepare(conn, name, sql, Int32(parameterCount), nil) }
        preparedNames[sql] = name
        return name
    }

    // MARK: Sending and waiting under the deadline

    static let closedError = PostgresError(kind: .connection, message: "connection is closed")

    /// Sends one command with `send` (a `PQsend…` call), waits for its results under
    /// `timeout`, and returns the last one (the first error, if any failed), or the COPY
    /// result that starts a COPY.
    private func command(_ send: (OpaquePointer) -> Int32) throws(PostgresError) -> QueryResult {
        guard let conn else { throw Self.closedError }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        guard send(conn) == 1 else { throw lost(PostgresError.from(result: nil, connection: conn)) }
        return try collect(conn, deadline: deadline, first: nil)
    }

    /// Reads the results of the command sent on `conn` up to its end (see `command`);
    /// `first` is a result of it already read.
    private func collect(_ conn: OpaquePointer, deadline: ContinuousClock.Instant?, first: OpaquePointer?) throws(PostgresError) -> QueryResult {
        var kept = first
        while true {
            let next: OpaquePointer?
            do {
                next = try nextResult(deadline: deadline)
            } catch {
                if let kept { PQclear(kept) }
                throw error
            }
            guard let result = next else { break }
            let status = PQresultStatus(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                if let kept { PQclear(kept) }
                kept = result
                break
            }
            if let previous = kept {
                if PQresultStatus(previous) == PGRES_FATAL_ERROR {
                    PQclear(result)
                    continue
                }
                PQclear(previous)
            }
            kept = result
        }
        do {
            return try Self.consume(kept, conn: conn)
        } catch {
            throw noteFailure(error)
        }
    }

    /// The next result of the command in progress (nil at its end), waiting for it at most
    /// until `deadline`.
    func nextResult(deadline: ContinuousClock.Instant?) throws(PostgresError) -> OpaquePointer? {
        guard let conn else { throw Self.closedError }
        while true {
            let flushed = PQflush(conn)  // 0 = all sent, 1 = more to send, -1 = failed
            if flushed < 0 { throw lost(PostgresError.from(result: nil, connection: conn)) }
            if flushed == 0, PQisBusy(conn) == 0 {
                let result = PQgetResult(conn)
                if result != nil { gotReply = true }
                return result
            }
            let events = Int16(POLLIN) | (flushed == 1 ? Int16(POLLOUT) : 0)
            switch Self.waitForSocket(PQsocket(conn), events: events, deadline: deadline) {
            case .ready:
                if PQconsumeInput(conn) != 1 { throw lost(PostgresError.from(result: nil, connection: conn)) }
            case .timedOut:
                timedOut = true
                let limit = timeout.map(Self.describe) ?? "its deadline"
                throw lost(PostgresError(kind: .connection, message: "no reply from the database within \(limit); connection dropped"))
            case .failed(let e):
                throw lost(PostgresError(kind: .connection, message: "poll failed: \(String(cString: strerror(e)))"))
            }
        }
    }

    /// Gives the connection up after `error` (closing it: nothing more can be read from it
    /// safely) and returns the error to throw.
    func lost(_ error: PostgresError) -> PostgresError {
        broken = true
        close()
        return error
    }

    /// Marks the connection unusable when `error` says it is (a `.connection` error other
    /// than a server-side cancel) and returns the error.
    func noteFailure(_ error: PostgresError) -> PostgresError {
        if error.kind == .connection, error.sqlState != "57014" { broken = true }
        return error
    }

    enum SocketWait { case ready, timedOut, failed(Int32) }

    /// Polls `socket` for `events` until it is ready or `deadline` passes (nil = no limit).
    static func waitForSocket(_ socket: Int32, events: Int16, deadline: ContinuousClock.Instant?) -> SocketWait {
        guard socket >= 0 else { return .failed(EBADF) }
        while true {
            var wait: Int32 = -1
            if let deadline {
                let left = deadline - .now
                if left <= .zero { return .timedOut }
                let ms = left.components.seconds * 1000 + (left.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                wait = Int32(clamping: max(1, ms))
            }
            var pfd = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&pfd, 1, wait)
            if ready > 0 { return .ready }
            if ready < 0 && errno != EINTR { return .failed(errno) }
        }
    }

    static func describe(_ d: Duration) -> String {
        let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
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
    ///
    /// The data is sent in blocking mode (a COPY is a long job, run without a deadline);
    /// starting the COPY and its final result wait under `timeout` like any statement.
    private func copyIn(_ copyStatement: String, send: (OpaquePointer) -> Bool) throws(PostgresError) -> Int {
        guard let conn else { throw Self.closedError }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        guard PQsendQuery(conn, copyStatement) == 1 else { throw noteFailure(PostgresError.from(result: nil, connection: conn)) }
        let start = try nextResult(deadline: deadline)
        guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
            // Not a COPY FROM STDIN, or refused: read the command to its end, report it.
            _ = try collect(conn, deadline: deadline, first: start)
            throw PostgresError(kind: .statement, message: "COPY did not start")
        }
        PQclear(start)
        PQsetnonblocking(conn, 0)
        let failed: PostgresError? = send(conn) ? nil : noteFailure(PostgresError.from(result: nil, connection: conn))
        PQputCopyEnd(conn, failed == nil ? nil : "client error")
        PQsetnonblocking(conn, 1)
        let end = ContinuousClock.now
        let result = try collect(conn, deadline: timeout.map { end + $0 }, first: nil)
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
