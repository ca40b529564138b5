import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Logging
import NIOCore
import Synchronization

/// One protocol connection.
///
/// The reading side is a channel handler (`SessionHandler`) on the connection's event
/// loop: it parses each framed line, checks it against the catalogue and queues it on the
/// connection's `SessionHandle`, and stops reading while `pipeline_depth` requests wait for
/// their replies (so a client that pipelines without reading cannot make the server buffer
/// without bound). The executor is a task that exists only while requests are queued: it
/// runs them one at a time, in order, writes each reply before the next request starts,
/// and ends when the queue is empty. An idle connection therefore runs no task at all and
/// costs only its channel and a little state. The handler keeps reading while a CLAIM
/// waits, so it notices a closed connection (the wait ends) and can refuse a second
/// waiting CLAIM with `BUSY`. The server's idle sweeper closes a connection that has been
/// idle for `idle_timeout`.
enum Session {
    /// A line the reader has read, parsed and checked against the catalogue.
    enum Queued: Sendable {
        /// A request to run. `busy`: a CLAIM with wait>0 read while another is unanswered.
        /// `waitingClaim`: this CLAIM with wait>0 counts as the connection's waiting CLAIM.
        case request(Request, VerbSpec, busy: Bool, waitingClaim: Bool)
        /// Refused before running (BAD_FORMAT, UNKNOWN_VERB, BAD_ARG): the reply to send in turn.
        case refused(Reply)
        /// The line outgrew the limit: answer LINE_TOO_LONG and close.
        case tooLong
        /// No more input.
        case end
    }

    /// Parses a line and checks it against the catalogue (docs/PROTOCOL.md §13, steps 1–3).
    static func classify(_ bytes: [UInt8], handle: SessionHandle) -> Queued {
        let request: Request
        switch RequestParser.parse(bytes) {
        case .failure(let error): return .refused(Reply(error))
        case .success(let parsed): request = parsed
        }
        let spec: VerbSpec
        do throws(ProtocolError) {
            spec = try VerbCatalogue.validate(request)
        } catch {
            return .refused(Reply(error))
        }
        for field in request.args where field.value.utf8.contains(0) {
            return .refused(Reply(request.badArg(field.key, "must not contain NUL")))
        }
        if request.verb == "CLAIM", let wait = request["wait"], let seconds = Int(wait), seconds > 0 {
            let counted = handle.waitingClaimArrives()
            return .request(request, spec, busy: !counted, waitingClaim: counted)
        }
        return .request(request, spec, busy: false, waitingClaim: false)
    }

    // MARK: executor

    /// Runs the connection's queued requests one at a time and writes their replies in
    /// order; returns when the queue is empty (the handler starts it again for the next
    /// request) or the connection ends (then it closes the channel).
    static func execute(_ handle: SessionHandle, context: ServerContext) async {
        let verbs = Verbs(context: context)
        let channel = handle.channel
        func send(_ reply: Reply, verb: String) async -> Bool {
            context.metrics.request(verb: verb)
            if case .error(_, let code, _) = reply { context.metrics.error(code: code) }
            do {
                try await channel.writeAndFlush(ByteBuffer(string: reply.encode()))
                return true
            } catch {
                return false
            }
        }
        func finish() {
            handle.executorEndsSession()
            channel.close(promise: nil)
        }
        while let item = handle.next() {
            switch item {
            case .end:
                return finish()
            case .tooLong:
                let reply = Reply.error(tag: nil, code: ErrorCode.lineTooLong.rawValue,
                                        message: "request line longer than \(context.config.maxLineLength) bytes; closing the connection")
                _ = await send(reply, verb: "-")
                handle.logger.info("closing connection: line too long")
                return finish()
            case .refused(let reply):
                guard await send(reply, verb: "-") else { return finish() }
            case .request(let request, let spec, let busy, let waitingClaim):
                var session = handle.takeSession()
                handle.setExecuting(true)
                let outcome = await verbs.run(request, spec: spec, busy: busy, session: &session)
                handle.putSession(session)
                handle.setExecuting(false)
                if waitingClaim { handle.waitingClaimAnswered() }
                guard await send(outcome.reply, verb: request.verb) else { return finish() }
                if outcome.closes { return finish() }
            }
            handle.answered()
        }
    }

    // MARK: idle sweeper

    /// Closes every connection that has been idle for `idle_timeout` seconds: nothing read,
    /// nothing running, no waiting CLAIM, no reply owed. One task for the whole server
    /// (not a timer per connection, which would cost every idle connection memory).
    static func sweepIdle(context: ServerContext) async {
        let timeout = context.config.idleTimeout
        guard timeout > 0 else { return }
        let step = Duration.milliseconds(Int(max(0.05, min(timeout / 4, 5)) * 1000))
        while true {
            do { try await Task.sleep(for: step) } catch { return }
            for handle in context.openSessions() where handle.idleSeconds() >= timeout {
                context.logger.info("closing idle connection", metadata: ["remote": "\(handle.remote)", "idle_timeout": "\(timeout)"])
                handle.channel.close(promise: nil)
            }
        }
    }
}

/// The reading side of a protocol connection, on its event loop: admits the connection,
/// says hello, turns each framed line into a queued request for the session's executor,
/// and pauses reading while the pipeline is full. Holds no task while the client is quiet.
final class SessionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundLine
    typealias OutboundOut = ByteBuffer

    private let server: ServerContext
    private var handle: SessionHandle?
    /// Set once the input is over for this session (QUIT read, a line too long, end of
    /// input, or the connection was refused): later lines are not answered.
    private var stopped = false

    init(server: ServerContext) {
        self.server = server
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let address = channel.remoteAddress
        let remote = address?.ipAddress ?? "unknown"
        var logger = server.logger
        logger[metadataKey: "remote"] = "\(remote):\(address?.port ?? 0)"
        let server = self.server
        let handle = SessionHandle(channel: channel, remote: remote, logger: logger) { server.leave($0) }
        let refusal: Reply?
        switch server.admit(handle) {
        case .tooMany:
            server.metrics.error(code: ErrorCode.tooManyConnections.rawValue)
            logger.notice("connection refused: too many connections")
            refusal = .error(tag: nil, code: ErrorCode.tooManyConnections.rawValue,
                             message: "the server is at its limit of \(server.config.maxConnections) connections; try again later")
        case .shuttingDown:
            server.metrics.error(code: ErrorCode.shuttingDown.rawValue)
            refusal = .error(tag: nil, code: ErrorCode.shuttingDown.rawValue, message: "the server is stopping")
        case .admitted:
            refusal = nil
        }
        if let refusal {
            stopped = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: refusal.encode()))).whenComplete { _ in
                channel.close(promise: nil)
            }
            context.fireChannelActive()
            return
        }
        self.handle = handle
        let sessionLogger = logger
        channel.closeFuture.whenComplete { _ in
            handle.channelClosed()
            sessionLogger.debug("connection closed")
        }
        logger.debug("connection opened")
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: Reply.hello.encode())), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let handle, !stopped else { return }
        handle.touch()
        let item: Session.Queued
        switch unwrapInboundIn(data) {
        case .tooLong:
            item = .tooLong
            stopped = true
        case .line(let bytes):
            item = Session.classify(bytes, handle: handle)
            if case .request(let request, _, _, _) = item, request.verb == "QUIT" {
                // Requests after QUIT are not answered (docs/PROTOCOL.md §12 QUIT).
                stopped = true
            }
        }
        enqueue(item, handle: handle, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputEnded(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inputEnded(context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        server.logger.debug("connection ended with an error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    /// The client closed its side (or the connection broke): a waiting CLAIM stops, and the
    /// executor ends the session once what was read before is answered.
    private func inputEnded(context: ChannelHandlerContext) {
        guard let handle, !stopped else { return }
        stopped = true
        handle.inputEnded()
        enqueue(.end, handle: handle, context: context)
    }

    private func enqueue(_ item: Session.Queued, handle: SessionHandle, context: ChannelHandlerContext) {
        let (start, full) = handle.enqueue(item, depth: server.config.pipelineDepth)
        if full { _ = context.channel.setOption(ChannelOptions.autoRead, value: false) }
        if start {
            let server = self.server
            Task { await Session.execute(handle, context: server) }
        }
    }
}

/// The per-connection state the handler, executor, idle sweeper and server share.
final class SessionHandle: Sendable {
    let channel: Channel
    /// The client's IP address (the key of the AUTH throttle).
    let remote: String
    /// The server's logger with this connection's address.
    let logger: Logger
    /// Called once the session is over: the channel closed and no executor running.
    private let onDone: @Sendable (SessionHandle) -> Void

    private struct State {
        /// Read and not yet taken by the executor.
        var queue: [Session.Queued] = []
        /// An executor task is running (or about to): the handler does not start another.
        var executorRunning = false
        /// Who is logged in (nil while the executor holds it, and once the session ended).
        var session: SessionContext?
        var lastActivity = ContinuousClock.now
        /// Requests read and not yet answered.
        var unanswered = 0
        /// Reading is paused because `unanswered` reached the pipeline depth.
        var readingPaused = false
        var depth = 1
        /// A CLAIM with wait>0 has been read and not yet answered.
        var waitingClaim = false
        var executing = false
        var inputEnded = false
        var shuttingDown = false
        /// Nothing more runs: the executor ended the session or the channel closed.
        var finished = false
        var channelClosed = false
        var done = false
        /// The running CLAIM's wake-ups, to tell it the connection closed.
        var claimWake: AsyncStream<WakeReason>.Continuation?
    }

    private let state: Mutex<State>

    init(channel: Channel, remote: String, logger: Logger, onDone: @escaping @Sendable (SessionHandle) -> Void) {
        self.channel = channel
        self.remote = remote
        self.logger = logger
        self.onDone = onDone
        state = Mutex(State())
        // Set after init: SessionContext keeps a reference back to this handle (the cycle
        // is broken when the session finishes).
        state.withLock { $0.session = SessionContext(handle: self, logger: logger) }
    }

    func touch() { state.withLock { $0.lastActivity = .now } }

    /// Queues a read line. Returns whether an executor must be started, and whether the
    /// pipeline is now full (the handler then pauses reading).
    func enqueue(_ item: Session.Queued, depth: Int) -> (startExecutor: Bool, full: Bool) {
        state.withLock { s in
            guard !s.finished else { return (false, false) }
            s.queue.append(item)
            s.unanswered += 1
            s.depth = depth
            let start = !s.executorRunning
            s.executorRunning = true
            let full = s.unanswered >= depth && !s.readingPaused
            if full { s.readingPaused = true }
            return (start, full)
        }
    }

    /// The executor's next item, or nil (and the executor counts as stopped) when the
    /// queue is empty or the session has finished.
    func next() -> Session.Queued? {
        let (item, done) = state.withLock { s -> (Session.Queued?, Bool) in
            guard !s.finished, !s.queue.isEmpty else {
                s.executorRunning = false
                return (nil, Self.isOver(&s))
            }
            return (s.queue.removeFirst(), false)
        }
        if done { onDone(self) }
        return item
    }

    /// True exactly once: when the session has finished, its channel is closed and no
    /// executor runs (a request still running on a closed connection is waited for).
    private static func isOver(_ s: inout State) -> Bool {
        guard s.finished, s.channelClosed, !s.executorRunning, !s.done else { return false }
        s.done = true
        return true
    }

    func takeSession() -> SessionContext {
        state.withLock { s in
            defer { s.session = nil }
            return s.session ?? SessionContext(handle: self, logger: logger)
        }
    }

    func putSession(_ session: SessionContext) {
        state.withLock { s in
            if !s.finished { s.session = session }
        }
    }

    /// A reply was written: make room for the next request (and read again if paused).
    func answered() {
        let resume = state.withLock { s -> Bool in
            s.unanswered -= 1
            s.lastActivity = .now
            guard s.readingPaused, s.unanswered < s.depth, !s.finished else { return false }
            s.readingPaused = false
            return true
        }
        if resume { _ = channel.setOption(ChannelOptions.autoRead, value: true) }
    }

    /// A CLAIM with wait>0 was read: true if it becomes the connection's waiting CLAIM,
    /// false if one is already unanswered (BUSY).
    func waitingClaimArrives() -> Bool {
        state.withLock { s in
            if s.waitingClaim { return false }
            s.waitingClaim = true
            return true
        }
    }

    func waitingClaimAnswered() { state.withLock { $0.waitingClaim = false } }

    func setExecuting(_ value: Bool) {
        state.withLock { s in
            s.executing = value
            s.lastActivity = .now
        }
    }

    /// The client closed its side (or the connection broke): a waiting CLAIM stops.
    func inputEnded() {
        let wake = state.withLock { s in
            s.inputEnded = true
            return s.claimWake
        }
        wake?.yield(.connectionClosed)
    }

    var hasInputEnded: Bool { state.withLock { $0.inputEnded } }

    /// Registers (or clears) the running CLAIM's wake-ups. Returns false if the input has
    /// already ended (then the CLAIM should not wait).
    @discardableResult
    func setClaimWake(_ wake: AsyncStream<WakeReason>.Continuation?) -> Bool {
        state.withLock { s in
            s.claimWake = wake
            return !s.inputEnded
        }
    }

    /// The server is stopping: read no more; the running request finishes.
    func beginShutdown() {
        state.withLock { $0.shuttingDown = true }
        channel.close(mode: .input, promise: nil)
    }

    var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// The executor ends the session (QUIT, end of input, a line too long, a failed
    /// write); it closes the channel next.
    func executorEndsSession() {
        let done = state.withLock { s in
            Self.finish(&s)
            s.executorRunning = false
            return Self.isOver(&s)
        }
        if done { onDone(self) }
    }

    /// The channel closed: nothing more runs (a running request finishes, its reply is
    /// dropped), a waiting CLAIM stops, and the session's state is let go.
    func channelClosed() {
        let (wake, done) = state.withLock { s in
            s.channelClosed = true
            s.inputEnded = true
            let wake = s.claimWake
            Self.finish(&s)
            return (wake, Self.isOver(&s))
        }
        wake?.yield(.connectionClosed)
        if done { onDone(self) }
    }

    private static func finish(_ s: inout State) {
        s.finished = true
        s.queue.removeAll()
        s.session = nil
    }

    /// Seconds since the last activity, or 0 while something is read, running or owed.
    func idleSeconds() -> Double {
        state.withLock { s in
            guard s.unanswered == 0, !s.executing, !s.waitingClaim else { return 0 }
            let elapsed = ContinuousClock.now - s.lastActivity
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
    }
}
