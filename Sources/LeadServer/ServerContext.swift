import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Logging
import NIOCore
import NIOPosix
import Postgres
import Synchronization

/// A team's claim order and when it was read.
struct CachedClaimOrder: Sendable {
    let order: ClaimOrder
    let readAt: Date
}

/// What every session shares: settings, the pool, waiting claims, metrics, AUTH throttle,
/// and the registry of open connections (for the connection limit and shutdown).
final class ServerContext: Sendable {
    let config: ServerConfig
    let pool: PostgresPool
    let metrics: ServerMetrics
    let logger: Logger
    /// The one source of time: business rules and timers read it, never `Date()`.
    let clock: any FloorClock
    let waiters: ClaimWaiters
    let throttle: AuthThrottle
    let claims: ClaimCoalescer
    let dispositions: DisposeCoalescer
    /// Each team's claim order as last read, and when (server clock): CLAIM reads it at
    /// most every `claimOrderTTL` per team; TEAM SET on this instance replaces it at once.
    let claimOrders = Mutex<[Int64: CachedClaimOrder]>([:])
    static let claimOrderTTL: TimeInterval = 5

    private struct Registry {
        var sessions: [ObjectIdentifier: SessionHandle] = [:]
        /// Connections not yet logged in, per address (`max_unauthenticated_per_address`).
        var unauthenticated: [String: Int] = [:]
        var unauthenticatedHandles: Set<ObjectIdentifier> = []
        var shuttingDown = false
        /// Requests running now (between their start and their reply).
        var inFlight = 0
        /// Waiting for the last session to end (shutdown).
        var drained: [CheckedContinuation<Void, Never>] = []
        /// Waiting for the running requests to finish (shutdown).
        var requestsDrained: [CheckedContinuation<Void, Never>] = []
    }

    /// Seconds the connections stay open after the last running request finished on
    /// shutdown, answering SHUTTING_DOWN (bounded by `shutdown_grace`).
    static let shutdownLinger = 0.5

    private let registry = Mutex(Registry())
    private let shutdownDeadline = Mutex<Task<Void, any Error>?>(nil)

    /// Keeps the task that force-closes connections after the grace period; replacing it
    /// (with nil once every connection is closed) cancels the previous one.
    func setShutdownDeadline(_ task: Task<Void, any Error>?) {
        shutdownDeadline.withLock { current in
            current?.cancel()
            current = task
        }
    }

    init(config: ServerConfig, pool: PostgresPool, metrics: ServerMetrics, logger: Logger, clock: any FloorClock) {
        self.config = config
        self.clock = clock
        self.pool = pool
        self.metrics = metrics
        self.logger = logger
        waiters = ClaimWaiters(metrics: metrics)
        claims = ClaimCoalescer(pool: pool, metrics: metrics, clock: clock, maxBatch: config.claimBatch, concurrency: config.claimConcurrency)
        dispositions = DisposeCoalescer(pool: pool, clock: clock, maxBatch: config.disposeBatch, concurrency: max(1, config.poolSize / 2))
        throttle = AuthThrottle(freeFailures: config.authFreeFailures, maxDelay: config.authMaxDelay, clock: clock)
    }

    var isShuttingDown: Bool { registry.withLock { $0.shuttingDown } }

    /// Why a connection may not start.
    enum Admission { case admitted, tooMany, tooManyFromAddress, shuttingDown }

    /// Counts a new connection in, unless the server is full or stopping, or its address
    /// already has `max_unauthenticated_per_address` connections waiting to log in.
    func admit(_ handle: SessionHandle) -> Admission {
        let cap = config.maxUnauthenticatedPerAddress
        let result: Admission = registry.withLock { r in
            if r.shuttingDown { return .shuttingDown }
            if r.sessions.count >= config.maxConnections { return .tooMany }
            if cap > 0, r.unauthenticated[handle.remote, default: 0] >= cap { return .tooManyFromAddress }
            let id = ObjectIdentifier(handle)
            r.sessions[id] = handle
            r.unauthenticated[handle.remote, default: 0] += 1
            r.unauthenticatedHandles.insert(id)
            return .admitted
        }
        if result == .admitted {
            metrics.connectionsAccepted.increment()
            metrics.connectionsOpen.increment()
        } else {
            metrics.connectionsRefused.increment()
        }
        return result
    }

    /// The open connections now (for the idle sweeper).
    func openSessions() -> [SessionHandle] {
        registry.withLock { Array($0.sessions.values) }
    }

    /// The connection logged in: it no longer counts against its address's cap.
    func loggedIn(_ handle: SessionHandle) {
        registry.withLock { r in Self.uncountUnauthenticated(&r, handle) }
    }

    private static func uncountUnauthenticated(_ r: inout Registry, _ handle: SessionHandle) {
        guard r.unauthenticatedHandles.remove(ObjectIdentifier(handle)) != nil else { return }
        let left = r.unauthenticated[handle.remote, default: 1] - 1
        r.unauthenticated[handle.remote] = left > 0 ? left : nil
    }

    /// Connections from `address` not yet logged in (for tests).
    func unauthenticatedCount(from address: String) -> Int {
        registry.withLock { $0.unauthenticated[address, default: 0] }
    }

    func leave(_ handle: SessionHandle) {
        let (removed, drained) = registry.withLock { r in
            Self.uncountUnauthenticated(&r, handle)
            let removed = r.sessions.removeValue(forKey: ObjectIdentifier(handle)) != nil
            guard r.sessions.isEmpty else { return (removed, [CheckedContinuation<Void, Never>]()) }
            defer { r.drained.removeAll() }
            return (removed, r.drained)
        }
        if removed { metrics.connectionsOpen.decrement() }
        for waiter in drained { waiter.resume() }
    }

    /// Returns once no session is open (each ends after answering what it was running).
    func allSessionsClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = registry.withLock { r in
                if r.sessions.isEmpty { return true }
                r.drained.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// A request starts running (counted so shutdown can wait for the running ones).
    func requestStarts() {
        registry.withLock { $0.inFlight += 1 }
    }

    /// A request finished running.
    func requestEnds() {
        let waiters = registry.withLock { r -> [CheckedContinuation<Void, Never>] in
            r.inFlight -= 1
            guard r.inFlight == 0, r.shuttingDown else { return [] }
            defer { r.requestsDrained.removeAll() }
            return r.requestsDrained
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once no request is running (after shutdown began, new ones are answered
    /// SHUTTING_DOWN at once).
    func requestsDrained() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = registry.withLock { r in
                if r.inFlight == 0 { return true }
                r.requestsDrained.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Logs out every open session whose agent (or `agent`'s, if given) is no longer
    /// enabled with the credential it logged in with. Run on NOTIFY `leadline_agents`
    /// (the agents_changed trigger fires on a status or token change), when the LISTEN
    /// connection comes back, and every `login_check_interval`.
    func recheckLogins(agent: Int64?) async {
        let sessions = openSessions().compactMap { handle in handle.login.map { (handle, $0) } }
            .filter { agent == nil || $0.1.agentID == agent }
        guard !sessions.isEmpty else { return }
        let ids = Array(Set(sessions.map(\.1.agentID)))
        let current: [Int64: String]
        do {
            current = try await pool.withConnection { c in try AgentDirectory().credentials(c, agents: ids) }
        } catch {
            logger.warning("could not re-check logged-in agents; next try at the next change or check", metadata: ["error": "\(error)"])
            return
        }
        let now = clock.now()
        for (handle, login) in sessions where current[login.agentID] != login.credential {
            handle.revokeLogin(at: now)
            metrics.loginRevoked()
            handle.logger.notice("login revoked: the agent was disabled or its token changed", metadata: ["agent_id": "\(login.agentID)"])
        }
    }

    /// `recheckLogins` for every session, every `login_check_interval` of the clock.
    func checkLoginsPeriodically() async {
        guard config.loginCheckInterval > 0 else { return }
        while true {
            do { try await clock.sleep(for: .milliseconds(Int(config.loginCheckInterval * 1000))) } catch { return }
            await recheckLogins(agent: nil)
        }
    }

    /// Shutdown begins: waiting CLAIMs end; every session answers what it has not started
    /// with SHUTTING_DOWN and closes once the running requests are answered.
    func beginShutdown() {
        let sessions = registry.withLock { r in
            r.shuttingDown = true
            return Array(r.sessions.values)
        }
        waiters.shutdown()
        for session in sessions { session.beginShutdown() }
    }

    /// The grace period is over: close whatever is still open.
    func closeAllSessions() {
        let sessions = registry.withLock { Array($0.sessions.values) }
        for session in sessions { session.channel.close(promise: nil) }
    }
}

/// Slows down guessing: after `freeFailures` failed AUTHs from one address, each further
/// AUTH from it waits 0.25 s, 0.5 s, 1 s, … up to `maxDelay` before it is checked. A
/// success clears the address; failures are forgotten after 15 quiet minutes. Time is the
/// server's clock.
final class AuthThrottle: Sendable {
    private let freeFailures: Int
    private let maxDelay: Double
    private let clock: any FloorClock
    private let failures = Mutex<[String: (count: Int, last: Date)]>([:])
    /// Failures older than this are forgotten.
    static let memory: TimeInterval = 900

    init(freeFailures: Int, maxDelay: Double, clock: any FloorClock) {
        self.freeFailures = freeFailures
        self.maxDelay = maxDelay
        self.clock = clock
    }

    /// How long to wait before checking an AUTH from `address`.
    func delay(for address: String) -> Duration {
        let now = clock.now()
        let count = failures.withLock { table -> Int in
            guard let entry = table[address] else { return 0 }
            if now.timeIntervalSince(entry.last) > Self.memory {
                table[address] = nil
                return 0
            }
            return entry.count
        }
        let over = count - freeFailures
        guard over >= 0 else { return .zero }
        let seconds = min(maxDelay, 0.25 * pow(2, Double(min(over, 20))))
        return .milliseconds(Int(seconds * 1000))
    }

    func failed(_ address: String) {
        let now = clock.now()
        failures.withLock { table in
            if table.count > 50_000 {
                table = table.filter { now.timeIntervalSince($0.value.last) < Self.memory }
            }
            table[address] = ((table[address]?.count ?? 0) + 1, now)
        }
    }

    func succeeded(_ address: String) {
        _ = failures.withLock { $0.removeValue(forKey: address) }
    }
}
