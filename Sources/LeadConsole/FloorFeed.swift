import Foundation
import LeadCore
import LeadProtocol
import LeadServer
import LeadStore
import Logging
import Postgres
import Synchronization

/// The one live feed of the floor on this instance, shared by every open board and desk.
///
/// It exists so that 200 open boards cost one query per change, not 200 polls: a single
/// LISTEN connection hears `leadline_ready` (a lead became claimable or moved),
/// `leadline_agents` (an agent's status or skills changed), `leadline_breach` (the SLA
/// watcher recorded a breach, on any instance) and `leadline_board` (a board fold changed
/// a team's kept counts: any claim, disposition, star, move… within half a second). A breach is pushed to the boards of its
/// team at once; every other change marks the team dirty, and one refresh loop computes
/// the team's queues (and, when a board of that team is open, its agents) once and fans
/// the result out to all of that team's subscribers. Refreshes are at least `minimumGap`
/// apart (a burst of changes costs one query), and every `fallback` the open teams are
/// refreshed anyway (NOTIFY is a hint; queue ages grow without one). QUEUES reads the kept
/// counts (`BoardTally`: milliseconds at 1M leads); should a refresh still be slow (AGENTS
/// of a thousand agents, a loaded database), both stretch with it: the gap is at least the
/// last refresh's time and the fallback at least ten times it, so the feed never takes
/// more than about half of one database connection.
///
/// The numbers come from LeadStore's `FloorControl.queues`/`agents`, the same SQL and the
/// same team boundary as the protocol's QUEUES and AGENTS: a team's subscribers are
/// given an overseer of that team, an admin's the whole floor.
final class FloorFeed: Sendable {
    /// Whose numbers a subscriber sees: one team's, or every team's (an admin).
    enum Scope: Hashable, Sendable {
        case team(Int64)
        case floor
    }

    /// One SSE-ready message (`event:` + `data:` lines).
    typealias Message = String

    private struct Subscriber {
        let scope: Scope
        /// A board (queues, agents and breaches) or a desk (queues only).
        let board: Bool
        let continuation: AsyncStream<Message>.Continuation
    }

    /// The last computed numbers of one scope, as JSON.
    struct Snapshot: Sendable {
        let queues: String
        /// Nil when no board of the scope was open at the refresh.
        let agents: String?
        let computedAt: Date
    }

    private struct State {
        var subscribers: [Int: Subscriber] = [:]
        var nextID = 0
        var dirty: Set<Scope> = []
        var latest: [Scope: Snapshot] = [:]
        var breachesSent = 0
        var refreshes = 0
        /// How long the last refresh took (real time).
        var lastDuration: Duration = .zero
    }

    private let state = Mutex(State())
    private let pool: PostgresPool
    private let clock: any FloorClock
    private let logger: Logger
    private let listener: PostgresListener
    private let wakeStream: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation
    /// Least time between two refreshes (real time: it bounds the database cost).
    let minimumGap: Duration
    /// Refresh the open scopes this often even without a NOTIFY (real time).
    let fallback: Duration
    /// A comment line to every subscriber this often, so a closed browser is noticed.
    let keepAlive: Duration
    /// The statement limit of a refresh instead of the pool's `query_timeout` (3 s): QUEUES
    /// falls back to counting every open lead (seconds at a million) for a `now` the kept
    /// counts no longer tell apart, e.g. right after a server's clock was set back.
    static let refreshTimeout = PostgresTimeout.after(.seconds(60))

    init(pool: PostgresPool, conninfo: String, clock: any FloorClock, logger: Logger,
         minimumGap: Duration = .milliseconds(250), fallback: Duration = .seconds(5), keepAlive: Duration = .seconds(15)) {
        self.pool = pool
        self.clock = clock
        self.logger = logger
        self.minimumGap = minimumGap
        self.fallback = fallback
        self.keepAlive = keepAlive
        listener = PostgresListener(conninfo: conninfo,
                                    channels: [LeadQueue.readyChannel, FloorControl.agentChannel, LeadQueue.breachChannel,
                                               BoardTally.channel],
                                    logger: logger)
        (wakeStream, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Open subscriptions now (boards and desks).
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Refreshes done since start (for tests and the benchmark).
    var refreshCount: Int { state.withLock { $0.refreshes } }

    /// A new subscriber: its messages, and the id to `unsubscribe` with. The stream keeps
    /// only the newest messages if the browser reads slowly (the next snapshot supersedes
    /// the old ones anyway).
    func subscribe(scope: Scope, board: Bool) -> (id: Int, messages: AsyncStream<Message>) {
        let (stream, continuation) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .bufferingNewest(64))
        let id = state.withLock { s in
            s.nextID += 1
            s.subscribers[s.nextID] = Subscriber(scope: scope, board: board, continuation: continuation)
            s.dirty.insert(scope)
            return s.nextID
        }
        wake.yield()
        return (id, stream)
    }

    func unsubscribe(_ id: Int) {
        let gone = state.withLock { $0.subscribers.removeValue(forKey: id) }
        gone?.continuation.finish()
    }

    /// The newest numbers of a scope, computed now if there are none yet.
    func snapshot(_ scope: Scope, board: Bool) async throws -> Snapshot {
        if let latest = state.withLock({ $0.latest[scope] }), !board || latest.agents != nil {
            return latest
        }
        return try await compute(scope, agents: board)
    }

    /// The SSE message for a snapshot: boards get queues and agents, desks queues.
    static func message(_ snapshot: Snapshot, board: Bool) -> Message {
        "event: floor\ndata: " + json(snapshot, board: board) + "\n\n"
    }

    /// `{"now": …, "queues": [QUEUES rows], "agents": [AGENTS rows]}` (no agents for a desk).
    static func json(_ snapshot: Snapshot, board: Bool) -> String {
        var json = "{\"now\":" + JSON.string(WireDate.format(snapshot.computedAt)) + ",\"queues\":" + snapshot.queues
        if board, let agents = snapshot.agents { json += ",\"agents\":" + agents }
        return json + "}"
    }

    // MARK: running

    /// The LISTEN loop, the refresh loop and the keep-alive, until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.listen() }
            group.addTask { await self.refreshLoop() }
            group.addTask { await self.fallbackLoop() }
            group.addTask { await self.keepAliveLoop() }
        }
    }

    /// Stops the LISTEN connection and ends every subscription.
    func stop() {
        listener.stop()
        let all = state.withLock { s in
            defer { s.subscribers.removeAll() }
            return Array(s.subscribers.values)
        }
        for subscriber in all { subscriber.continuation.finish() }
        wake.finish()
    }

    private func listen() async {
        await withTaskCancellationHandler {
            for await event in listener.events {
                switch event {
                case .connected:
                    markDirty(nil)
                case .notification(let note):
                    let parts = note.payload.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                    // Every payload starts with the team id (leadline_board's is only that), but
                    // leadline_agents' (agent:team:status).
                    let team = note.channel == FloorControl.agentChannel ? parts.dropFirst().first.flatMap { Int64($0) }
                                                                         : parts.first.flatMap { Int64($0) }
                    if note.channel == LeadQueue.breachChannel, let team, parts.count >= 4 {
                        breach(team: team, lead: parts[1], kind: parts[2], view: parts[3])
                    }
                    markDirty(team)
                }
            }
        } onCancel: {
            listener.stop()
        }
    }

    /// Marks a team (and the floor-wide scope) for a refresh; nil = every open scope.
    private func markDirty(_ team: Int64?) {
        state.withLock { s in
            if let team {
                s.dirty.insert(.team(team))
                s.dirty.insert(.floor)
            } else {
                for subscriber in s.subscribers.values { s.dirty.insert(subscriber.scope) }
            }
        }
        wake.yield()
    }

    /// A breach goes to the boards of its team (and the admins') at once.
    private func breach(team: Int64, lead: String, kind: String, view: String) {
        let at = WireDate.format(clock.now())
        let json = "{\"team_id\":\(team),\"lead\":" + JSON.string(lead) + ",\"kind\":" + JSON.string(kind)
            + ",\"view\":" + JSON.string(view) + ",\"at\":" + JSON.string(at) + "}"
        let message = "event: breach\ndata: " + json + "\n\n"
        let targets = state.withLock { s -> [AsyncStream<Message>.Continuation] in
            let found = s.subscribers.values.filter { $0.board && ($0.scope == .floor || $0.scope == .team(team)) }
            s.breachesSent += found.count
            return found.map(\.continuation)
        }
        for target in targets { target.yield(message) }
    }

    private func refreshLoop() async {
        for await _ in wakeStream {
            if Task.isCancelled { return }
            let work = state.withLock { s -> [(Scope, Bool)] in
                let open = Dictionary(grouping: s.subscribers.values, by: \.scope)
                let due = s.dirty.compactMap { scope -> (Scope, Bool)? in
                    guard let subscribers = open[scope] else { return nil }
                    return (scope, subscribers.contains { $0.board })
                }
                s.dirty.removeAll()
                // Numbers of a scope nobody watches go stale: forget them.
                for scope in s.latest.keys where open[scope] == nil { s.latest[scope] = nil }
                return due
            }
            for (scope, board) in work {
                do {
                    let snapshot = try await compute(scope, agents: board)
                    publish(snapshot, to: scope)
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("console feed: refresh failed; next change or fallback retries", metadata: ["error": "\(error)"])
                }
            }
            let gap = max(minimumGap, state.withLock { $0.lastDuration })
            do { try await Task.sleep(for: gap) } catch { return }
        }
    }

    private func fallbackLoop() async {
        while !Task.isCancelled {
            let wait = max(fallback, state.withLock { $0.lastDuration } * 10)
            do { try await Task.sleep(for: wait) } catch { return }
            markDirty(nil)
        }
    }

    private func keepAliveLoop() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: keepAlive) } catch { return }
            let all = state.withLock { $0.subscribers.values.map(\.continuation) }
            for continuation in all { continuation.yield(": keep-alive\n\n") }
        }
    }

    private func compute(_ scope: Scope, agents: Bool) async throws -> Snapshot {
        let overseer: Overseer
        switch scope {
        case .team(let id): overseer = Overseer(id: nil, name: "console", teamID: id, isAdmin: false)
        case .floor: overseer = Overseer(id: nil, name: "console", teamID: 0, isAdmin: true)
        }
        let now = clock.now()
        let floor = FloorControl()
        let started = ContinuousClock.now
        let (queues, agentRows) = try await pool.withConnection(timeout: Self.refreshTimeout) { c in
            (try floor.queues(c, team: nil, by: overseer, now: now),
             agents ? try floor.agents(c, team: nil, by: overseer, now: now) : nil)
        }
        let snapshot = Snapshot(queues: JSON.rows(queues.map { Self.pairs(Replies.queue($0)) }),
                                agents: agentRows.map { JSON.rows($0.map { Self.pairs(Replies.agent($0)) }) },
                                computedAt: now)
        let took = ContinuousClock.now - started
        state.withLock { s in
            s.latest[scope] = snapshot
            s.refreshes += 1
            s.lastDuration = took
        }
        return snapshot
    }

    private func publish(_ snapshot: Snapshot, to scope: Scope) {
        let targets = state.withLock { s in s.subscribers.values.filter { $0.scope == scope } }
        let boardMessage = Self.message(snapshot, board: true)
        let deskMessage = Self.message(snapshot, board: false)
        for target in targets { target.continuation.yield(target.board ? boardMessage : deskMessage) }
    }

    /// A QUEUES or AGENTS row as the protocol writes it (`Replies`), as JSON pairs.
    static func pairs(_ fields: [Field]) -> [(String, String)] { fields.map { ($0.key, $0.value) } }
}

/// The little JSON the console writes: strings, objects of string fields in their wire
/// order (a protocol reply's `key=value` pairs), arrays of those.
enum JSON {
    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c"  // never `</script>` inside a page
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { string($0.0) + ":" + string($0.1) }.joined(separator: ",") + "}"
    }

    static func rows(_ rows: [[(String, String)]]) -> String {
        "[" + rows.map(object).joined(separator: ",") + "]"
    }
}
