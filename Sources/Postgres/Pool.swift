import Foundation
import Logging
import NIOPosix

/// A bounded pool of libpq connections whose blocking calls run on a private thread pool.
///
/// Bounding the database concurrency (a few connections, not one per agent) is what keeps
/// PostgreSQL fast under many agents. Broken connections are dropped and replaced on the
/// next request; while the server is down new connections are attempted with a growing
/// backoff and requests fail fast with a `.connection` error instead of piling up.
public final class PostgresPool: Sendable {
    public let conninfo: String
    public let size: Int
    private let threads: NIOThreadPool
    private let state: PoolState
    private let logger: Logger
    private let applicationName: String

    public init(conninfo: String, size: Int = 4, acquireTimeout: Duration = .seconds(5),
                applicationName: String = "leadline", logger: Logger = Logger(label: "leadline.postgres")) {
        self.conninfo = conninfo
        self.size = max(1, size)
        self.threads = NIOThreadPool(numberOfThreads: self.size)
        self.threads.start()
        self.state = PoolState(size: self.size, acquireTimeout: acquireTimeout)
        self.logger = logger
        self.applicationName = applicationName
    }

    /// Runs `body` with a connection of its own, on a pool thread.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let value = try await threads.runIfActive { try body(connection) }
            await state.release(connection)
            return value
        } catch {
            await state.release(connection)
            throw error
        }
    }

    /// Runs `body` inside a transaction, retrying serialization failures and deadlocks.
    @discardableResult
    public func transaction<T: Sendable>(retries: Int = 3, _ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await withConnection { connection in try connection.transaction(body) }
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
                do {
                    let connection = try await threads.runIfActive {
                        try PostgresConnection(conninfo: info, applicationName: name)
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
    private var waiters: [(id: Int, continuation: CheckedContinuation<Grant, any Error>)] = []
    private var nextWaiterID = 0
    private var closed = false
    private var backoff: Duration = .milliseconds(100)
    private var retryAt: ContinuousClock.Instant?

    init(size: Int, acquireTimeout: Duration) {
        self.size = size
        self.acquireTimeout = acquireTimeout
    }

    func acquire() async throws -> Grant {
        if closed { throw PostgresError(kind: .connection, message: "pool is shut down") }
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

    func release(_ connection: PostgresConnection) {
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
    }

    func connectFailed() {
        retryAt = ContinuousClock.now + backoff
        backoff = min(backoff * 2, .seconds(5))
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
