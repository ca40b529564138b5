import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Logging
import NIOCore
import Synchronization

/// One protocol connection.
///
/// Two tasks share it: the reader frames and parses lines as they arrive (and stops
/// reading while `pipeline_depth` requests wait for their replies, so a client that
/// pipelines without reading cannot make the server buffer without bound); the executor
/// runs the requests one at a time, in order, and writes each reply before the next
/// request starts. The reader keeps reading while a CLAIM waits, so it notices a closed
/// connection (the wait ends) and can refuse a second waiting CLAIM with `BUSY`. The
/// server's idle sweeper closes the connection when it has been idle for `idle_timeout`.
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

    /// Runs one accepted connection until it closes.
    static func serve(_ connection: NIOAsyncChannel<InboundLine, ByteBuffer>, context: ServerContext) async {
        let remote = connection.channel.remoteAddress?.ipAddress ?? "unknown"
        let handle = SessionHandle(channel: connection.channel, remote: remote)
        let admission = context.admit(handle)
        defer { context.leave(handle) }
        var logger = context.logger
        logger[metadataKey: "remote"] = "\(remote):\(connection.channel.remoteAddress?.port ?? 0)"
        let sessionLogger = logger
        do {
            try await connection.executeThenClose { inbound, outbound in
                switch admission {
                case .tooMany:
                    context.metrics.error(code: ErrorCode.tooManyConnections.rawValue)
                    sessionLogger.notice("connection refused: too many connections")
                    let reply = Reply.error(tag: nil, code: ErrorCode.tooManyConnections.rawValue,
                                            message: "the server is at its limit of \(context.config.maxConnections) connections; try again later")
                    try await outbound.write(ByteBuffer(string: reply.encode()))
                    return
                case .shuttingDown:
                    context.metrics.error(code: ErrorCode.shuttingDown.rawValue)
                    let reply = Reply.error(tag: nil, code: ErrorCode.shuttingDown.rawValue, message: "the server is stopping")
                    try await outbound.write(ByteBuffer(string: reply.encode()))
                    return
                case .admitted:
                    break
                }
                sessionLogger.debug("connection opened")
                try await outbound.write(ByteBuffer(string: Reply.hello.encode()))
                let (queue, queueInput) = AsyncStream.makeStream(of: Queued.self)
                await withDiscardingTaskGroup { group in
                    group.addTask { await read(inbound, into: queueInput, handle: handle, context: context) }
                    await execute(queue, outbound: outbound, handle: handle, context: context, logger: sessionLogger)
                    handle.close()
                    group.cancelAll()
                }
            }
        } catch {
            logger.debug("connection ended with an error", metadata: ["error": "\(error)"])
        }
        logger.debug("connection closed")
    }

    // MARK: reader

    /// Reads lines until the input ends, QUIT, or a line too long; parses each and queues it.
    static func read(_ inbound: NIOAsyncChannelInboundStream<InboundLine>, into queue: AsyncStream<Queued>.Continuation,
                     handle: SessionHandle, context: ServerContext) async {
        var peerClosed = true
        defer {
            if peerClosed { handle.inputEnded() }
            queue.yield(.end)
            queue.finish()
        }
        var lines = inbound.makeAsyncIterator()
        do {
            while await handle.waitForRoom(depth: context.config.pipelineDepth) {
                guard let event = try await lines.next() else { return }
                handle.touch()
                switch event {
                case .tooLong:
                    handle.readRequest()
                    queue.yield(.tooLong)
                    peerClosed = false
                    return
                case .line(let bytes):
                    let item = classify(bytes, handle: handle)
                    handle.readRequest()
                    queue.yield(item)
                    if case .request(let request, _, _, _) = item, request.verb == "QUIT" {
                        // Requests after QUIT are not answered (docs/PROTOCOL.md §12 QUIT).
                        peerClosed = false
                        return
                    }
                }
            }
            peerClosed = false
        } catch {
            return
        }
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

    /// Runs queued requests one at a time and writes their replies in order.
    static func execute(_ queue: AsyncStream<Queued>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                        handle: SessionHandle, context: ServerContext, logger: Logger) async {
        var session = SessionContext(handle: handle, logger: logger)
        let verbs = Verbs(context: context)
        func send(_ reply: Reply, verb: String) async -> Bool {
            context.metrics.request(verb: verb)
            if case .error(_, let code, _) = reply { context.metrics.error(code: code) }
            do {
                try await outbound.write(ByteBuffer(string: reply.encode()))
                return true
            } catch {
                return false
            }
        }
        for await item in queue {
            switch item {
            case .end:
                return
            case .tooLong:
                let reply = Reply.error(tag: nil, code: ErrorCode.lineTooLong.rawValue,
                                        message: "request line longer than \(context.config.maxLineLength) bytes; closing the connection")
                _ = await send(reply, verb: "-")
                logger.info("closing connection: line too long")
                return
            case .refused(let reply):
                guard await send(reply, verb: "-") else { return }
            case .request(let request, let spec, let busy, let waitingClaim):
                handle.setExecuting(true)
                let outcome = await runInOwnTask(verbs, request, spec: spec, busy: busy, session: &session)
                handle.setExecuting(false)
                if waitingClaim { handle.waitingClaimAnswered() }
                guard await send(outcome.reply, verb: request.verb) else { return }
                if outcome.closes { return }
            }
            handle.answered()
        }
    }

    /// Runs one request in a child task that ends with it. A Swift task keeps the memory
    /// its deepest call needed until the task ends; run in the connection's own task, the
    /// deep verb code would leave every idle connection holding ~15 KB of stack slabs.
    private static func runInOwnTask(_ verbs: Verbs, _ request: Request, spec: VerbSpec, busy: Bool,
                                     session: inout SessionContext) async -> VerbOutcome {
        let before = session
        let (outcome, after) = await withTaskGroup(of: (VerbOutcome, SessionContext).self) { group in
            group.addTask {
                var session = before
                let outcome = await verbs.run(request, spec: spec, busy: busy, session: &session)
                return (outcome, session)
            }
            return await group.next() ?? (VerbOutcome(reply: .error(tag: request.tag, code: ErrorCode.internal.rawValue,
                                                                     message: "the request did not run")), before)
        }
        session = after
        return outcome
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

/// The per-connection state the reader, executor, idle sweeper and server share.
final class SessionHandle: Sendable {
    let channel: Channel
    /// The client's IP address (the key of the AUTH throttle).
    let remote: String

    private struct State {
        var lastActivity = ContinuousClock.now
        /// Requests read and not yet answered.
        var unanswered = 0
        /// A CLAIM with wait>0 has been read and not yet answered.
        var waitingClaim = false
        var executing = false
        var inputEnded = false
        var shuttingDown = false
        var closed = false
        var roomWaiter: CheckedContinuation<Bool, Never>?
        /// The running CLAIM's wake-ups, to tell it the connection closed.
        var claimWake: AsyncStream<WakeReason>.Continuation?
    }

    private let state = Mutex(State())

    init(channel: Channel, remote: String) {
        self.channel = channel
        self.remote = remote
    }

    func touch() { state.withLock { $0.lastActivity = .now } }

    /// Suspends while `depth` requests are unanswered; false once the session is closing.
    func waitForRoom(depth: Int) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            state.withLock { s in
                if s.closed {
                    continuation.resume(returning: false)
                } else if s.unanswered < depth {
                    continuation.resume(returning: true)
                } else {
                    s.roomWaiter = continuation
                }
            }
        }
    }

    func readRequest() { state.withLock { $0.unanswered += 1 } }

    /// A reply was written: make room for the next request.
    func answered() {
        state.withLock { s in
            s.unanswered -= 1
            s.lastActivity = .now
            if let waiter = s.roomWaiter {
                s.roomWaiter = nil
                waiter.resume(returning: !s.closed)
            }
        }
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

    /// The executor is done: release a reader waiting for room.
    func close() {
        let waiter = state.withLock { s in
            s.closed = true
            defer { s.roomWaiter = nil }
            return s.roomWaiter
        }
        waiter?.resume(returning: false)
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
