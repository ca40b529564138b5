import DequeModule
import Foundation
import Logging
import NIOPosix

/// How long each statement of a pool job may wait for the database.
public enum PostgresTimeout: Sendable, Equatable {
    /// The pool's `queryTimeout`.
    case poolDefault
    /// No limit: long jobs (BI refresh, imports, migrations).
    case unlimited
    /// This limit instead of the pool's.
    case after(Duration)
}

/// A bounded pool of libpq connections whose blocking calls run on a private thread pool.
///
/// Bounding the database concurrency (a few connections, not one per agent) is what keeps
/// PostgreSQL fast under many agents. Broken connections are dropped and replaced on the
/// next request; while the server is down new connections are attempted with a growing
/// backoff and requests fail fast with a `.connection` error instead of piling up.
///
/// Nothing waits on the database without a limit: a request waits at most
/// `acquireTimeout` for a connection (a free one, or a new one being connected), and each
/// statement at most `queryTimeout` for its reply (client-side, with `poll`, so a frozen
/// or unreachable server cannot hold it; the connection is then dropped). The server
/// session's `statement_timeout` is set to 80 % of that, so a server that is alive but
/// slow cancels the statement itself first (57014, the connection is kept).
///
/// A statement that got no reply at all marks the database *stalled*: waiting requests
/// and new ones get the `.connection` error at once instead of each spending its own
/// deadline on a frozen server, while one request at a time (after a backoff growing from
/// 100 ms to 1 s) tries it again; any reply from the database ends the stall.
public final class PostgresPool: Sendable {
    public let conninfo: String
    public let size: Int
    /// The default limit of each statement's wait for a reply (nil = none).
    public let queryTimeout: Duration?
    /// The limit on connecting a new connection.
    public let connectTimeout: Duration
    private let acquireTimeout: Duration
    private let threads: NIOThreadPool
    private let state: PoolState
    private let logger: Logger
    private let applicationName: String

    /// - Parameters:
    ///   - acquireTimeout: longest wait for a connection, free or new.
    ///   - queryTimeout: default limit of a statement's wait for its reply (nil = none);
    ///     `withConnection(timeout:)` overrides it per job.
    ///   - connectTimeout: limit on making a connection; default: `queryTimeout` within
    ///     1…10 s, or 3 s without one.
    public init(conninfo: String, size: Int = 4, acquireTimeout: Duration = .seconds(5), queryTimeout: Duration? = nil,
                connectTimeout: Duration? = nil,
                applicationName: String = "leadline", logger: Logger = Logger(label: "leadline.postgres")) {
        self.conninfo = conninfo
        self.size = max(1, size)
        self.acquireTimeout = acquireTimeout
        self.queryTimeout = queryTimeout.flatMap { $0 > .zero ? $0 : nil }
        self.connectTimeout = connectTimeout ?? self.queryTimeout.map { min(max($0, .seconds(1)), .seconds(10)) } ?? .seconds(3)
        self.threads = NIOThreadPool(numberOfThreads: self.size)
        self.threads.start()
        // A trial request is over within its wait for a connection and one statement.
        self.state = PoolState(size: self.size, acquireTimeout: acquireTimeout,
                               trialLimit: acquireTimeout + (self.queryTimeout ?? .seconds(5)))
        self.logger = logger
        self.applicationName = applicationName
    }

    /// The server-side `statement_timeout` that goes with a client-side limit.
    static func serverTimeout(for limit: Duration) -> Duration { limit * 0.8 }

    /// Runs `body` with a connection of its own, on a pool thread. Each statement waits at
    /// most `timeout` for its reply; past it the connection is dropped and the statement
    /// throws a `.connection` error. Whatever `body` throws after its connection broke is
    /// thrown as a `.connection` error.
    @discardableResult
    public func withConnection<T: Sendable>(timeout: PostgresTimeout = .poolDefault,
                                            _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let limit: Duration? = switch timeout {
        case .poolDefault: queryTimeout
        case .unlimited: nil
        case .after(let d): d > .zero ? d : nil
        }
        let connection = try await acquire()
        do {
            let value = try await threads.runIfActive {
                connection.timeout = limit
                try connection.setServerTimeout(limit.map(Self.serverTimeout))
                return try body(connection)
            }
            await state.release(connection)
            return value
        } catch {
            let seen = connection.classify(error)
            await state.release(connection)
            throw seen
        }
    }

    /// Runs `body` inside a transaction, retrying serialization failures and deadlocks.
    @discardableResult
    public func transaction<T: Sendable>(retries: Int = 3, timeout: PostgresTimeout = .poolDefault,
                                         _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await withConnection(timeout: timeout) { connection in try connection.transaction(body) }
            } catch let error as PostgresError where error.isRetryable && attempt < retries {
                attempt += 1
                try await Task.sleep(for: .milliseconds(5 * attempt))
            }
        }
    }

    /// Closes every connection and stops the threads; later requests fail.
    public func shutdown() async {
        await state.close()
        try? await threads.shutdownGracefully()
    }

    private func acquire() async throws -> PostgresConnection {
        let started = ContinuousClock.now
        while true {
            switch try await state.acquire() {
            case .connection(let connection):
                // A connection idle in the pool may have died with a server restart.
                if await (try? threads.runIfActive { connection.probeAlive() }) == true { return connection }
                connection.close()
                await state.release(connection)
            case .create:
                if let wait = await state.backoffRemaining() {
                    await state.releaseSlot()
                    throw PostgresError(kind: .connection, message: "database unavailable; reconnecting (next try in \(wait.components.seconds)s)")
                }
                let info = conninfo
                let name = applicationName
                // Within what is left of the acquire timeout (a request that waited for a
                // slot does not wait a full connect on top), but at least 1 s.
                let left = acquireTimeout - (ContinuousClock.now - started)
                let limit = max(.seconds(1), min(connectTimeout, left))
                do {
                    let connection = try await threads.runIfActive {
                        try PostgresConnection(conninfo: info, applicationName: name, connectTimeout: limit)
                    }
                    await state.connected()
                    return connection
                } catch is CancellationError {
                    // The caller went away (or the pool is stopping): not a database failure.
                    await state.releaseSlot()
                    throw CancellationError()
                } catch {
                    await state.connectFailed()
                    await state.releaseSlot()
                    logger.warning("database connection failed", metadata: ["error": "\(error)"])
                    throw error
                }
            }
        }
    }
}

/// The pool's bookkeeping: idle connections, open slots, waiters, connect backoff.
actor PoolState {
    enum Grant { case connection(PostgresConnection), create }

    private let size: Int
    private let acquireTimeout: Duration
    private var idle: [PostgresConnection] = []
    private var open = 0
    /// First come, first served.
    private var waiters: Deque<(id: Int, continuation: CheckedContinuation<Grant, any Error>)> = []
    private var nextWaiterID = 0
    private var closed = false
    private var backoff: Duration = .milliseconds(100)
    private var retryAt: ContinuousClock.Instant?
    /// Set when a statement got no reply in time: until then requests fail at once.
    private var stalledUntil: ContinuousClock.Instant?
    private var stallBackoff: Duration = .milliseconds(100)
    /// When a request was let through after the stall's backoff to see if the database
    /// answers. Its outcome ends the trial; so does `trialLimit` (a trial that was
    /// cancelled before reaching the database reports nothing).
    private var trialSince: ContinuousClock.Instant?
    private let trialLimit: Duration

    init(size: Int, acquireTimeout: Duration, trialLimit: Duration) {
        self.size = size
        self.acquireTimeout = acquireTimeout
        self.trialLimit = trialLimit
    }

    private func trialRunning(at now: ContinuousClock.Instant) -> Bool {
        trialSince.map { now - $0 < trialLimit } ?? false
    }

    func acquire() async throws -> Grant {
        if closed { throw PostgresError(kind: .connection, message: "pool is shut down") }
        if let until = stalledUntil {
            // One trial at a time once the backoff has passed; the others fail at once.
            let now = ContinuousClock.now
            if trialRunning(at: now) || now < until { throw stalledError(now: now) }
            trialSince = now
        }
        if let connection = idle.popLast() { return .connection(connection) }
        if open < size {
            open += 1
            return .create
        }
        let id = nextWaiterID
        nextWaiterID += 1
        let timeout = acquireTimeout
        return try await withCheckedThrowingContinuation { continuation in
            waiters.append((id, continuation))
            Task { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.expire(waiter: id)
            }
        }
    }

    private func expire(waiter id: Int) {
        guard let i = waiters.firstIndex(where: { $0.id == id }) else { return }
        let waiter = waiters.remove(at: i)
        waiter.continuation.resume(throwing: PostgresError(kind: .connection, message: "timed out waiting for a database connection"))
    }

    private func stalledError(now: ContinuousClock.Instant) -> PostgresError {
        let wait = (stalledUntil.map { $0 - now } ?? .zero)
        let ms = max(0, wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
        return PostgresError(kind: .connection, message: "the database did not answer in time; next try in \(trialRunning(at: now) ? "a moment" : "\(ms) ms")")
    }

    /// A statement got no reply in time: fail the waiting requests, and the new ones until
    /// the backoff passes.
    private func stall() {
        let now = ContinuousClock.now
        stalledUntil = now + stallBackoff
        // At most 1 s: the database is back as soon as one trial gets a reply, so a long
        // backoff would only delay the recovery.
        stallBackoff = min(stallBackoff * 2, .seconds(1))
        trialSince = nil
        let error = stalledError(now: now)
        for waiter in waiters { waiter.continuation.resume(throwing: error) }
        waiters.removeAll()
    }

    /// The database answered: the stall (if any) is over.
    private func answered() {
        stalledUntil = nil
        stallBackoff = .milliseconds(100)
        trialSince = nil
    }

    func release(_ connection: PostgresConnection) {
        if connection.timedOut {
            stall()
        } else if stalledUntil != nil {
            // A reply ends the stall; a job that never reached the database (or a probe
            // that found the connection dead) lets the next request be the trial.
            if connection.gotReply { answered() } else { trialSince = nil }
        }
        connection.gotReply = false
        if closed || !connection.isHealthy || connection.isIdleInTransaction {
            connection.close()
            releaseSlot()
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: .connection(connection))
        } else {
            idle.append(connection)
        }
    }

    func releaseSlot() {
        open -= 1
        if !closed, !waiters.isEmpty, open < size {
            open += 1
            waiters.removeFirst().continuation.resume(returning: .create)
        }
    }

    func backoffRemaining() -> Duration? {
        guard let retryAt else { return nil }
        let now = ContinuousClock.now
        return now < retryAt ? retryAt - now : nil
    }

    func connected() {
        backoff = .milliseconds(100)
        retryAt = nil
        answered()
    }

    func connectFailed() {
        retryAt = ContinuousClock.now + backoff
        backoff = min(backoff * 2, .seconds(5))
        if stalledUntil != nil { stall() }
    }

    func close() {
        closed = true
        for connection in idle { connection.close() }
        idle.removeAll()
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(kind: .connection, message: "pool is shut down"))
        }
        waiters.removeAll()
    }
}
