import DequeModule
import Foundation
import LeadProtocol

/// One protocol connection's state as a value: what has been read and not answered, whether
/// the executor runs, what is being written, who is logged in, and whether the connection
/// is overdue. It does no I/O and reads no clock: every event that needs the time carries
/// `now` (the server's injected clock), and each returns what the caller must do (start the
/// executor, tell the reader there is room, wake a waiting CLAIM, let the session go).
/// `SessionHandle` keeps one behind a lock for the reader, the executor, the sweeper and
/// the server; `SessionStateTests` drives it with no sockets and no sleeps.
struct SessionState {
    /// Read and not yet taken by the executor, oldest first.
    private(set) var queue = Deque<Session.Queued>()
    /// An executor task is running (or about to): the reader does not start another.
    private(set) var executorRunning = false
    private(set) var lastActivity: Date
    /// When the connection opened, or lost its login: the AUTH deadline counts from here.
    private(set) var authClockStart: Date
    /// The agent and credential this connection authenticated with (nil before AUTH).
    private(set) var login: SessionHandle.Login?
    /// The agent was disabled or its token changed: the next request logs the session out.
    private(set) var loginRevoked = false
    /// Requests read and not yet answered (queued, running, or being written).
    private(set) var unanswered = 0
    /// The most `unanswered` has ever been (tests check the pipeline bound with it).
    private(set) var mostUnanswered = 0
    let depth: Int
    /// The reader found the pipeline full: tell it when a reply makes room.
    private var waitingForRoom = false
    /// A CLAIM with wait>0 has been read and not yet answered.
    private(set) var waitingClaim = false
    private(set) var executing = false
    /// Replies handed to the channel and not yet taken by the socket.
    private(set) var writesInFlight = 0
    /// Since when the oldest of those has waited without any write completing (nil when
    /// none is in flight): `reply_timeout` counts from here.
    private(set) var writingSince: Date?
    private(set) var inputEnded = false
    private(set) var shuttingDown = false
    /// Nothing more runs: the executor ended the session, or the channel closed.
    private(set) var finished = false
    private(set) var channelClosed = false
    /// The session has been let go (reported once).
    private(set) var done = false

    init(openedAt: Date, depth: Int) {
        lastActivity = openedAt
        authClockStart = openedAt
        self.depth = max(1, depth)
    }

    // MARK: reading

    /// True if one more request may be read; otherwise remembers that the reader waits for
    /// room (checked and recorded in one step, so a reply going out meanwhile is seen).
    mutating func takeRoom() -> Bool {
        if finished { return false }
        if unanswered < depth { return true }
        waitingForRoom = true
        return false
    }

    /// Queues a framed line. Returns whether an executor must be started.
    mutating func enqueue(_ item: Session.Queued) -> Bool {
        guard !finished else { return false }
        queue.append(item)
        unanswered += 1
        mostUnanswered = max(mostUnanswered, unanswered)
        let start = !executorRunning
        executorRunning = true
        return start
    }

    /// A CLAIM with wait>0 was read: true if it becomes the connection's waiting CLAIM,
    /// false if one is already unanswered (BUSY).
    mutating func waitingClaimArrives() -> Bool {
        if waitingClaim { return false }
        waitingClaim = true
        return true
    }

    mutating func waitingClaimAnswered() { waitingClaim = false }

    /// Whether the reader may answer the next request itself (`Verbs.immediate`): nothing
    /// is queued or running (so the answer keeps its place in order), the pipeline has
    /// room, and no revoked login awaits its logout (the executor does that).
    var loopMayAnswer: Bool {
        !finished && !executorRunning && queue.isEmpty && !loginRevoked && unanswered < depth
    }

    /// The reader answers a request itself: it counts as unanswered, and its reply as in
    /// flight, until the socket takes the reply (`writeEnds`, then `answered`).
    mutating func loopAnswers(at now: Date) {
        unanswered += 1
        mostUnanswered = max(mostUnanswered, unanswered)
        lastActivity = now
        writeStarts(at: now)
    }

    // MARK: the executor

    /// The executor's next item, or nil (the executor counts as stopped) when the queue is
    /// empty or the session has finished; `over` is true exactly once, when the session
    /// can be let go.
    mutating func next() -> (item: Session.Queued?, over: Bool) {
        guard !finished, let item = queue.popFirst() else {
            queue = Deque()
            executorRunning = false
            return (nil, isOver())
        }
        return (item, false)
    }

    mutating func setExecuting(_ value: Bool, at now: Date) {
        executing = value
        lastActivity = now
    }

    /// A reply is handed to the channel.
    mutating func writeStarts(at now: Date) {
        if writesInFlight == 0 { writingSince = now }
        writesInFlight += 1
    }

    /// A reply was taken by the socket (or the write failed): the others in flight, if any,
    /// have waited since now.
    mutating func writeEnds(at now: Date) {
        writesInFlight = max(0, writesInFlight - 1)
        writingSince = writesInFlight > 0 ? now : nil
    }

    /// A reply was written: one more request may be read. Returns true if the reader was
    /// waiting for that room (it must be told).
    mutating func answered(at now: Date) -> Bool {
        unanswered -= 1
        lastActivity = now
        guard waitingForRoom, unanswered < depth, !finished else { return false }
        waitingForRoom = false
        return true
    }

    // MARK: login

    /// AUTH succeeded with `login`.
    mutating func loggedIn(_ login: SessionHandle.Login) {
        self.login = login
        loginRevoked = false
    }

    /// The agent was disabled or its token changed: the session is logged out before its
    /// next request, and the AUTH deadline starts again. Returns false if there was no
    /// login to revoke (nothing to do); true means a waiting CLAIM must end.
    mutating func revokeLogin(at now: Date) -> Bool {
        guard login != nil else { return false }
        login = nil
        loginRevoked = true
        authClockStart = now
        return true
    }

    /// Whether the next request must first log the session out (the revocation is taken).
    mutating func takeRevocation() -> Bool {
        defer { loginRevoked = false }
        return loginRevoked
    }

    // MARK: ending

    /// The client closed its side (or the connection broke): a waiting CLAIM stops.
    mutating func endInput() { inputEnded = true }

    /// The server is stopping: requests not yet running are answered `SHUTTING_DOWN`.
    mutating func beginShutdown() { shuttingDown = true }

    /// Nothing more runs (a connection that was never admitted, or one whose executor or
    /// channel ended it).
    mutating func finish() {
        finished = true
        queue = Deque()
    }

    /// The executor ends the session (QUIT, end of input, a line too long, a failed write).
    /// Returns true if the session can now be let go.
    mutating func executorEnds() -> Bool {
        finish()
        executorRunning = false
        return isOver()
    }

    /// The channel closed. Returns true if the session can now be let go (a request still
    /// running on it is waited for: then the executor's `next` says so).
    mutating func closeChannel() -> Bool {
        channelClosed = true
        inputEnded = true
        finish()
        return isOver()
    }

    /// True exactly once: the session has finished, its channel is closed and no executor
    /// runs.
    private mutating func isOver() -> Bool {
        guard finished, channelClosed, !executorRunning, !done else { return false }
        done = true
        return true
    }

    // MARK: the sweeper

    /// Whether the sweeper should close this connection now, and why:
    /// - unread replies: a reply has waited `reply_timeout` with no write completing;
    /// - AUTH deadline: not logged in `auth_timeout` after opening (or losing its login),
    ///   and nothing running (an AUTH running at the deadline is let finish; requests other
    ///   than AUTH do not postpone it);
    /// - idle: nothing read, running, owed or waiting for `idle_timeout`.
    func overdue(at now: Date, config: ServerConfig) -> Session.Overdue? {
        if finished { return nil }
        if config.replyTimeout > 0, let since = writingSince, now.timeIntervalSince(since) >= config.replyTimeout {
            return .repliesUnread
        }
        if config.authTimeout > 0, login == nil, !executing, now.timeIntervalSince(authClockStart) >= config.authTimeout {
            return .authTimeout
        }
        let quiet = unanswered == 0 && !executing && !waitingClaim
        if config.idleTimeout > 0, quiet, now.timeIntervalSince(lastActivity) >= config.idleTimeout {
            return .idle
        }
        return nil
    }
}
