import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Logging
import NIOCore
import Synchronization

/// The per-connection state the reader, executor, sweeper and server share: a
/// `SessionState` behind a lock, plus the references that are not state (the logged-in
/// session, how to tell the reader there is room, how to wake a waiting CLAIM). Each
/// method is one event on the state machine, and carries out the action it returns after
/// the lock is let go.
final class SessionHandle: Sendable {
    let channel: Channel
    /// The client's IP address (the key of the AUTH throttle and the per-address cap).
    let remote: String
    /// The server's logger with this connection's address.
    let logger: Logger
    /// Called once the session is over: the channel closed and no executor running.
    private let onDone: @Sendable (SessionHandle) -> Void

    private struct Locked {
        var machine: SessionState
        /// Who is logged in (nil while the executor holds it, and once the session ended).
        var session: SessionContext?
        var onRoom: (@Sendable () -> Void)?
        /// The running CLAIM's wake-ups, to tell it the connection closed or its login ended.
        var claimWake: AsyncStream<WakeReason>.Continuation?

        /// Lets go of the references (the session refers back to the handle).
        mutating func finish() {
            machine.finish()
            session = nil
            onRoom = nil
        }
    }

    /// Who a session is logged in as, and with which credential (the token hash at AUTH).
    struct Login: Sendable, Equatable {
        let agentID: Int64
        let credential: String
    }

    private let state: Mutex<Locked>

    init(channel: Channel, remote: String, logger: Logger, openedAt: Date, depth: Int = 32,
         onDone: @escaping @Sendable (SessionHandle) -> Void) {
        self.channel = channel
        self.remote = remote
        self.logger = logger
        self.onDone = onDone
        state = Mutex(Locked(machine: SessionState(openedAt: openedAt, depth: depth)))
        // Set after init: SessionContext keeps a reference back to this handle (the cycle
        // is broken when the session finishes).
        state.withLock { $0.session = SessionContext(handle: self, logger: logger) }
    }

    func setRoomCallback(_ callback: @escaping @Sendable () -> Void) {
        state.withLock { $0.onRoom = callback }
    }

    // MARK: reading

    /// True if one more request may be queued (`SessionState.takeRoom`).
    func takeRoom() -> Bool {
        state.withLock { $0.machine.takeRoom() }
    }

    /// Queues a framed line. Returns whether an executor must be started.
    func enqueue(_ item: Session.Queued) -> Bool {
        state.withLock { $0.machine.enqueue(item) }
    }

    /// A CLAIM with wait>0 was read: true if it becomes the connection's waiting CLAIM,
    /// false if one is already unanswered (BUSY).
    func waitingClaimArrives() -> Bool {
        state.withLock { $0.machine.waitingClaimArrives() }
    }

    func waitingClaimAnswered() { state.withLock { $0.machine.waitingClaimAnswered() } }

    /// The session to decide an immediate answer with, if the reader may answer the next
    /// request itself (`SessionState.loopMayAnswer`); nil otherwise.
    func loopMayAnswer() -> SessionContext? {
        state.withLock { $0.machine.loopMayAnswer ? $0.session : nil }
    }

    /// The reader answers a request itself (`SessionState.loopAnswers`).
    func loopAnswers(at now: Date) {
        state.withLock { $0.machine.loopAnswers(at: now) }
    }

    // MARK: the executor

    /// The executor's next item, or nil (and the executor counts as stopped) when the
    /// queue is empty or the session has finished.
    func next() -> Session.Queued? {
        let (item, over) = state.withLock { $0.machine.next() }
        if over { onDone(self) }
        return item
    }

    /// The session for the next request; a revoked login is logged out first.
    func takeSession() -> SessionContext {
        let (session, revoked) = state.withLock { s -> (SessionContext, Bool) in
            var session = s.session ?? SessionContext(handle: self, logger: logger)
            s.session = nil
            let revoked = s.machine.takeRevocation()
            if revoked { session.logOut(revoked: true) }
            return (session, revoked)
        }
        if revoked { logger.notice("session logged out: the agent was disabled or its token changed") }
        return session
    }

    func putSession(_ session: SessionContext) {
        state.withLock { s in
            if !s.machine.finished { s.session = session }
        }
    }

    func setExecuting(_ value: Bool, at now: Date) {
        state.withLock { $0.machine.setExecuting(value, at: now) }
    }

    /// A reply is handed to the channel.
    func writeStarts(at now: Date) { state.withLock { $0.machine.writeStarts(at: now) } }

    /// A reply was taken by the socket (or the write failed).
    func writeEnds(at now: Date) { state.withLock { $0.machine.writeEnds(at: now) } }

    /// A reply was written: make room for the next request, and tell the reader if it was
    /// waiting for room.
    func answered(at now: Date) {
        let onRoom = state.withLock { s in s.machine.answered(at: now) ? s.onRoom : nil }
        onRoom?()
    }

    // MARK: a waiting CLAIM

    /// The client closed its side (or the connection broke): a waiting CLAIM stops.
    func inputEnded() {
        let wake = state.withLock { s in
            s.machine.endInput()
            return s.claimWake
        }
        wake?.yield(.connectionClosed)
    }

    var hasInputEnded: Bool { state.withLock { $0.machine.inputEnded } }

    /// Registers (or clears) the running CLAIM's wake-ups. Returns false if the input has
    /// already ended (then the CLAIM should not wait).
    @discardableResult
    func setClaimWake(_ wake: AsyncStream<WakeReason>.Continuation?) -> Bool {
        state.withLock { s in
            s.claimWake = wake
            return !s.machine.inputEnded
        }
    }

    // MARK: login

    /// AUTH succeeded with `login`.
    func loggedIn(_ login: Login) {
        state.withLock { $0.machine.loggedIn(login) }
    }

    /// The login this connection holds now (nil before AUTH or once revoked).
    var login: Login? { state.withLock { $0.machine.login } }

    /// The agent was disabled or its token changed: the session is logged out before its
    /// next request (`NOAUTH` until it authenticates again), a waiting CLAIM ends, and the
    /// AUTH deadline starts again.
    func revokeLogin(at now: Date) {
        let wake = state.withLock { s in s.machine.revokeLogin(at: now) ? s.claimWake : nil }
        wake?.yield(.loggedOut)
    }

    // MARK: shutdown and closing

    /// The server is stopping: every request not yet running is answered `SHUTTING_DOWN`
    /// (the reader keeps reading, so a request sent after SIGTERM gets that answer, not
    /// EOF); the running request finishes.
    func beginShutdown() {
        state.withLock { $0.machine.beginShutdown() }
    }

    var isShuttingDown: Bool { state.withLock { $0.machine.shuttingDown } }

    /// Sends one untagged error line and closes (the AUTH deadline). The close does not
    /// wait for the write: a client that does not read would hold the connection open.
    func closeAfter(_ reply: Reply) {
        channel.writeAndFlush(ByteBuffer(string: reply.encode()), promise: nil)
        channel.close(promise: nil)
    }

    /// Lets go of the session state of a connection that was never admitted.
    func release() {
        state.withLock { $0.finish() }
    }

    /// The executor ends the session (QUIT, end of input, a line too long, a failed
    /// write); it closes the channel next.
    func executorEndsSession() {
        let over = state.withLock { s in
            s.finish()
            return s.machine.executorEnds()
        }
        if over { onDone(self) }
    }

    /// The channel closed: nothing more runs (a running request finishes, its reply is
    /// dropped), a waiting CLAIM stops, and the session's state is let go.
    func channelClosed() {
        let (wake, over) = state.withLock { s in
            let wake = s.claimWake
            s.finish()
            return (wake, s.machine.closeChannel())
        }
        wake?.yield(.connectionClosed)
        if over { onDone(self) }
    }

    /// Whether the sweeper should close this connection now, and why (`SessionState.overdue`).
    func overdue(at now: Date, config: ServerConfig) -> Session.Overdue? {
        state.withLock { $0.machine.overdue(at: now, config: config) }
    }

    /// Requests read and not yet answered (for tests of the pipeline bound).
    var unansweredCount: Int { state.withLock { $0.machine.unanswered } }

    /// Whether a reply is being written now (for tests).
    var isWriting: Bool { state.withLock { $0.machine.writingSince != nil } }

    /// The most requests ever unanswered at once on this connection.
    var mostUnanswered: Int { state.withLock { $0.machine.mostUnanswered } }
}
