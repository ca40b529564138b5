import DequeModule
import Foundation
import LeadStore
import Logging
import Postgres
import Synchronization

/// Why a waiting CLAIM should look at the queue again (or stop waiting).
enum WakeReason: Sendable {
    /// A NOTIFY said this lead became claimable; the waiter was chosen for it. `tried`
    /// holds the waiters already given this lead, so a pass-on skips them.
    case ready(ReadyLead, tried: Set<Int>)
    /// The fallback poll (lost notifications, skills the hint cannot see) or a listener reconnect.
    case poll
    /// The wait is over.
    case deadline
    /// The server is stopping: answer `SHUTTING_DOWN`.
    case shutdown
    /// The connection went away: stop and claim nothing.
    case connectionClosed
    /// The session's login ended (agent disabled or token changed): answer `NOAUTH`.
    case loggedOut
}

/// What the LISTEN connection said about agents, for the server's login checks.
enum AgentChange: Sendable {
    /// NOTIFY `leadline_agents` for this agent (status, skills or token changed).
    case agent(Int64)
    /// The LISTEN connection (re)connected: notifications may have been missed.
    case reconnected
}

/// The agents waiting in `CLAIM wait=N` on this instance, and the waker that turns
/// `leadline_ready` notifications into wake-ups (and `leadline_agents` ones into a fresh
/// look for one agent, so a PAUSE or DRAIN on any instance ends its wait).
///
/// One waiter per ready lead, no thundering herd: a lead in an agent's personal queue
/// wakes only that agent's waiter; a pool lead wakes the longest-waiting idle waiter of
/// its team (first come, first served: part of the fairness rule of docs/CLAIMS.md). A
/// woken waiter that claims nothing (or another lead) passes the wake-up on to the next
/// waiter. A hint is never dropped on this instance's side: one that finds every waiter
/// busy is parked until one of them goes idle, and one handed to a waiter that leaves
/// before acting on it (deadline, disconnect, a claim of its own) is handed on. NOTIFY
/// is still only a hint: every waiter also polls (jittered), and all of them poll at
/// once when the LISTEN connection comes back.
final class ClaimWaiters: Sendable {
    /// One registered waiter: whom it waits for and how to wake it.
    struct Entry {
        let id: Int
        let agentID: Int64
        let teamID: Int64
        let wake: AsyncStream<WakeReason>.Continuation
        /// False while it is running a claim attempt (then it is not given new hints).
        var idle = true
        /// A hint yielded to it that it has not started acting on yet (handed on if it leaves).
        var handed: (lead: ReadyLead, tried: Set<Int>)?

        func wants(_ lead: ReadyLead) -> Bool {
            if let agent = lead.agentID { return agentID == agent }
            return teamID == lead.teamID
        }
    }

    private struct State {
        var entries: [Entry] = []
        /// Hints that arrived while every waiter they concern was busy, oldest first.
        var parked = Deque<(lead: ReadyLead, tried: Set<Int>)>()
        var nextID = 0
        var shutDown = false
    }

    private let state = Mutex(State())
    private let metrics: ServerMetrics
    /// Most times one notification is passed from waiter to waiter.
    static let maxPasses = 16
    /// Most hints parked at once (the oldest are dropped first; the poll covers them).
    static let maxParked = 256

    init(metrics: ServerMetrics) {
        self.metrics = metrics
    }

    /// A registered waiter's handle: its wake-ups, and its id for `unregister`.
    struct Registration: Sendable {
        let id: Int
        let wakes: AsyncStream<WakeReason>
        let continuation: AsyncStream<WakeReason>.Continuation
    }

    /// Registers a waiter for `agent` of `team`. After shutdown the waiter is told at once.
    func register(agent: Int64, team: Int64) -> Registration {
        let (stream, continuation) = AsyncStream.makeStream(of: WakeReason.self, bufferingPolicy: .bufferingNewest(16))
        let id: Int = state.withLock { s in
            let id = s.nextID
            s.nextID += 1
            if s.shutDown {
                continuation.yield(.shutdown)
            } else {
                // Registered busy: it makes its first attempt right away.
                s.entries.append(Entry(id: id, agentID: agent, teamID: team, wake: continuation, idle: false))
            }
            metrics.claimWaiters.set(Double(s.entries.count))
            return id
        }
        return Registration(id: id, wakes: stream, continuation: continuation)
    }

    /// The waiter is gone (with `claimed`, the lead it took). A hint it was handed but did
    /// not act on goes to the next waiter.
    func unregister(_ id: Int, claimed: Int64? = nil) {
        state.withLock { s in
            guard let i = s.entries.firstIndex(where: { $0.id == id }) else { return }
            let gone = s.entries.remove(at: i)
            if let handed = gone.handed, handed.lead.leadID != claimed {
                Self.place(handed.lead, tried: handed.tried, in: &s)
            }
            if s.entries.isEmpty { s.parked.removeAll() }
            metrics.claimWaiters.set(Double(s.entries.count))
        }
    }

    /// The waiter is running a claim attempt: give hints to others meanwhile. With
    /// `actingOnHint`, the hint it was handed is now its own to act on (or pass on).
    func markBusy(_ id: Int, actingOnHint: Bool) {
        state.withLock { s in
            guard let i = s.entries.firstIndex(where: { $0.id == id }) else { return }
            s.entries[i].idle = false
            if actingOnHint { s.entries[i].handed = nil }
        }
    }

    /// The waiter's attempt found nothing and it waits again; a parked hint it wants is
    /// handed to it at once. (A waiter that claimed something leaves busy, never idle.)
    func markIdle(_ id: Int) {
        state.withLock { s in
            guard let i = s.entries.firstIndex(where: { $0.id == id }) else { return }
            s.entries[i].idle = true
            if let p = s.parked.firstIndex(where: { s.entries[i].wants($0.lead) && !$0.tried.contains(id) }) {
                let hint = s.parked.remove(at: p)
                Self.hand(hint.lead, tried: hint.tried, to: i, in: &s)
            }
        }
    }

    /// Wakes one waiter for a lead that became claimable, skipping `tried`. Returns whether
    /// someone was woken; a hint for busy waiters only is parked for the first to go idle.
    @discardableResult
    func notify(_ lead: ReadyLead, tried: Set<Int> = []) -> Bool {
        state.withLock { s in Self.place(lead, tried: tried, in: &s) }
    }

    /// Hands `lead` to the first idle waiter that wants it, or parks it when the only
    /// waiters that want it are busy.
    @discardableResult
    private static func place(_ lead: ReadyLead, tried: Set<Int>, in s: inout State) -> Bool {
        guard tried.count < maxPasses else { return false }
        if let chosen = s.entries.firstIndex(where: { $0.idle && !tried.contains($0.id) && $0.wants(lead) }) {
            hand(lead, tried: tried, to: chosen, in: &s)
            return true
        }
        if s.entries.contains(where: { !tried.contains($0.id) && $0.wants(lead) }) {
            s.parked.removeAll { $0.lead.leadID == lead.leadID }
            if s.parked.count >= maxParked { s.parked.removeFirst() }
            s.parked.append((lead, tried))
        }
        return false
    }

    private static func hand(_ lead: ReadyLead, tried: Set<Int>, to index: Int, in s: inout State) {
        var seen = tried
        seen.insert(s.entries[index].id)
        s.entries[index].idle = false
        s.entries[index].handed = (lead, seen)
        s.entries[index].wake.yield(.ready(lead, tried: seen))
    }

    /// The waiters of one agent look again: its status, capacity or skills changed (a team
    /// lead paused or drained it: the look ends the wait with AGENT_NOT_ACTIVE). Sent to busy
    /// waiters too, so a change during a claim attempt is not lost.
    func wakeAgent(_ agent: Int64) {
        state.withLock { s in
            for e in s.entries where e.agentID == agent { e.wake.yield(.poll) }
        }
    }

    /// Every waiter looks at the queue again (the LISTEN connection was re-established, so
    /// notifications may have been lost).
    func pollAll() {
        state.withLock { s in
            for e in s.entries { e.wake.yield(.poll) }
        }
    }

    /// Ends every wait with `SHUTTING_DOWN`; later registrations end at once.
    func shutdown() {
        state.withLock { s in
            s.shutDown = true
            for e in s.entries { e.wake.yield(.shutdown) }
        }
    }

    var isShutDown: Bool { state.withLock { $0.shutDown } }

    var count: Int { state.withLock { $0.entries.count } }

    /// Consumes the listener's events until it stops: notifications wake waiters, a
    /// (re)connect makes everyone poll.
    func run(listener: PostgresListener, logger: Logger, agentChanged: @escaping @Sendable (AgentChange) async -> Void) async {
        for await event in listener.events {
            switch event {
            case .notification(let n) where n.channel == FloorControl.agentChannel:
                // `agent:team:status` from the agents_changed trigger (PAUSE, DRAIN, AGENT SET,
                // a disabled agent, a new token, …).
                guard let agent = n.payload.split(separator: ":").first.flatMap({ Int64($0) }) else { continue }
                wakeAgent(agent)
                Task { await agentChanged(.agent(agent)) }
            case .notification(let n):
                guard n.channel == LeadQueue.readyChannel, let lead = ReadyLead(payload: n.payload) else { continue }
                notify(lead)
            case .connected:
                logger.debug("ready listener connected; waiting claims poll")
                pollAll()
                Task { await agentChanged(.reconnected) }
            }
        }
    }
}
