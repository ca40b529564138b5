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
/// loop: it frames lines out of the bytes it has read, parses each one, checks it against
/// the catalogue and queues it on the connection's `SessionHandle`. It frames no further
/// line while `pipeline_depth` requests wait for their replies, and it holds the channel's
/// reads meanwhile, so a client that pipelines without reading makes the server hold at
/// most `pipeline_depth` requests and one read's worth of bytes. Every decision to read
/// again is taken on the event loop from the state as it is then (the executor only
/// tells the loop that a reply went out), so no interleaving can leave reading on while
/// the pipeline is full.
///
/// The executor is a task that exists only while requests are queued: it runs them one
/// at a time, in order, writes each reply before the next request starts, and ends when
/// the queue is empty. An idle connection therefore runs no task at all and costs only its
/// channel and a little state. The handler keeps reading while a CLAIM waits, so it
/// notices a closed connection (the wait ends) and can refuse a second waiting CLAIM with
/// `BUSY`.
///
/// The server's sweeper (`Session.sweep`) closes a connection that is idle for
/// `idle_timeout`, one that has not authenticated within `auth_timeout`, and one whose
/// client has left a reply unread for `reply_timeout` (the OS buffers are full and the
/// server would otherwise hold the connection forever).
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
            count(reply, verb: verb, metrics: context.metrics)
            handle.writeStarts(at: context.clock.now())
            defer { handle.writeEnds(at: context.clock.now()) }
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
                handle.setExecuting(true, at: context.clock.now())
                context.requestStarts()
                let outcome = await verbs.run(request, spec: spec, busy: busy, session: &session)
                context.requestEnds()
                handle.putSession(session)
                handle.setExecuting(false, at: context.clock.now())
                if waitingClaim { handle.waitingClaimAnswered() }
                guard await send(outcome.reply, verb: request.verb) else { return finish() }
                if outcome.closes { return finish() }
            }
            handle.answered(at: context.clock.now())
        }
    }

    /// Counts a reply in the metrics (requests by verb, errors by code).
    static func count(_ reply: Reply, verb: String, metrics: ServerMetrics) {
        metrics.request(verb: verb)
        if case .error(_, let code, _) = reply { metrics.error(code: code) }
    }

    // MARK: sweeper

    /// Why the sweeper closes a connection.
    enum Overdue: Equatable {
        /// Nothing read, running or owed for `idle_timeout`.
        case idle
        /// Not authenticated within `auth_timeout` of opening (or of losing its login).
        case authTimeout
        /// A reply has waited `reply_timeout` for the client to read what was sent before.
        case repliesUnread
    }

    /// Closes every connection that is overdue (`SessionHandle.overdue`), every
    /// `sweepStep` of the server's clock. One task for the whole server (not a timer per
    /// connection, which would cost every idle connection memory).
    static func sweep(context: ServerContext) async {
        guard let step = sweepStep(context.config) else { return }
        while true {
            do { try await context.clock.sleep(for: step) } catch { return }
            sweepOnce(context: context)
        }
    }

    /// How often the sweeper looks: a quarter of the shortest timeout, 50 ms to 5 s; nil
    /// when every timeout is off.
    static func sweepStep(_ config: ServerConfig) -> Duration? {
        let timeouts = [config.idleTimeout, config.authTimeout, config.replyTimeout].filter { $0 > 0 }
        guard let shortest = timeouts.min() else { return nil }
        return .milliseconds(Int(max(0.05, min(shortest / 4, 5)) * 1000))
    }

    /// One look over the open connections at the clock's present time.
    static func sweepOnce(context: ServerContext) {
        let now = context.clock.now()
        let config = context.config
        for handle in context.openSessions() {
            guard let reason = handle.overdue(at: now, config: config) else { continue }
            context.metrics.connectionClosed(reason: reason)
            switch reason {
            case .idle:
                handle.logger.info("closing idle connection", metadata: ["idle_timeout": "\(config.idleTimeout)"])
                handle.channel.close(promise: nil)
            case .authTimeout:
                handle.logger.notice("closing connection: no AUTH in time", metadata: ["auth_timeout": "\(config.authTimeout)"])
                let reply = Reply.error(tag: nil, code: ErrorCode.noAuth.rawValue,
                                        message: "no AUTH within \(Self.seconds(config.authTimeout)) s of connecting; closing the connection")
                handle.closeAfter(reply)
            case .repliesUnread:
                handle.logger.warning("closing connection: the client does not read its replies",
                                      metadata: ["reply_timeout": "\(config.replyTimeout)"])
                handle.channel.close(promise: nil)
            }
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// The reading side of a protocol connection, on its event loop: admits the connection,
/// says hello, frames lines out of the bytes read while the pipeline has room, turns each
/// into a queued request for the session's executor, and holds the channel's reads while
/// the pipeline is full. Holds no task while the client is quiet.
final class SessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let server: ServerContext
    /// For the requests the loop answers itself (`Verbs.immediate`).
    private let verbs: Verbs
    private var handle: SessionHandle?
    private var framer: LineFramer
    /// Bytes read and not yet framed (only while the pipeline is full: at most one read).
    private var pending = ByteBuffer()
    /// A read the channel asked for while the pipeline was full: issued once there is room.
    private var readHeld = false
    /// The client closed its sending side; `.end` is queued once `pending` is framed.
    private var inputClosed = false
    /// Set once the input is over for this session (QUIT read, a line too long, end of
    /// input, or the connection was refused): later lines are not answered.
    private var stopped = false

    init(server: ServerContext) {
        self.server = server
        verbs = Verbs(context: server)
        framer = LineFramer(maxLineLength: server.config.maxLineLength)
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        let address = channel.remoteAddress
        let remote = address?.ipAddress ?? "unknown"
        var logger = server.logger
        logger[metadataKey: "remote"] = "\(remote):\(address?.port ?? 0)"
        let server = self.server
        let handle = SessionHandle(channel: channel, remote: remote, logger: logger, openedAt: server.clock.now(),
                                   depth: server.config.pipelineDepth) { server.leave($0) }
        let refusal: Reply?
        switch server.admit(handle) {
        case .tooMany:
            server.metrics.error(code: ErrorCode.tooManyConnections.rawValue)
            logger.notice("connection refused: too many connections")
            refusal = .error(tag: nil, code: ErrorCode.tooManyConnections.rawValue,
                             message: "the server is at its limit of \(server.config.maxConnections) connections; try again later")
        case .tooManyFromAddress:
            server.metrics.error(code: ErrorCode.tooManyConnections.rawValue)
            logger.notice("connection refused: too many connections from one address waiting to log in")
            refusal = .error(tag: nil, code: ErrorCode.tooManyConnections.rawValue,
                             message: "\(server.config.maxUnauthenticatedPerAddress) connections from your address are already waiting to AUTH; try again later")
        case .shuttingDown:
            server.metrics.error(code: ErrorCode.shuttingDown.rawValue)
            refusal = .error(tag: nil, code: ErrorCode.shuttingDown.rawValue, message: "the server is stopping")
        case .admitted:
            refusal = nil
        }
        if let refusal {
            stopped = true
            handle.release()  // never admitted: break the handle ↔ session cycle now
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: refusal.encode()))).whenComplete { _ in
                channel.close(promise: nil)
            }
            context.fireChannelActive()
            return
        }
        self.handle = handle
        // The executor tells the loop when a reply made room; the loop then decides.
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        handle.setRoomCallback {
            loop.execute { bound.value.handler.roomAvailable(context: bound.value.context) }
        }
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
        guard handle != nil, !stopped else { return }
        var incoming = unwrapInboundIn(data)
        if pending.readableBytes == 0 {
            pending = incoming
        } else {
            pending.writeBuffer(&incoming)
        }
        frame(context: context)
    }

    /// Outbound `read`: passed on while the pipeline has room, held while it is full.
    func read(context: ChannelHandlerContext) {
        if let handle, !stopped, !handle.takeRoom() {
            readHeld = true
        } else {
            context.read()
        }
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

    /// A reply went out (told by the executor, run on the loop): frame what is pending,
    /// and let the held read go if there is room now.
    private func roomAvailable(context: ChannelHandlerContext) {
        frame(context: context)
        // With no room, takeRoom also asks to be told when there is.
        guard let handle, readHeld, !stopped, handle.takeRoom() else { return }
        readHeld = false
        context.read()
    }

    /// Frames and queues lines from `pending` while the pipeline has room: one line at a
    /// time, so a read holding thousands of lines queues no more than the depth allows.
    private func frame(context: ChannelHandlerContext) {
        guard let handle else { return }
        var wrote = false
        defer { if wrote { context.flush() } }
        while !stopped, pending.readableBytes > 0, handle.takeRoom() {
            let view = pending.readableBytesView
            let end = view.firstIndex(of: 0x0A).map { $0 - view.startIndex + 1 } ?? view.count
            let events = pending.readWithUnsafeReadableBytes { raw in
                (end, framer.feed(UnsafeRawBufferPointer(rebasing: raw[0..<end])))
            }
            for event in events {
                switch event {
                case .tooLong:
                    stopped = true
                    enqueue(.tooLong, handle: handle, context: context)
                case .line(let bytes):
                    let item = Session.classify(bytes, handle: handle)
                    if answerOnLoop(item, handle: handle, context: context) {
                        wrote = true
                        continue
                    }
                    if case .request(let request, _, _, _) = item, request.verb == "QUIT" {
                        // Requests after QUIT are not answered (docs/PROTOCOL.md §12 QUIT).
                        stopped = true
                    }
                    enqueue(item, handle: handle, context: context)
                }
                if stopped { break }
            }
        }
        if pending.readableBytes == 0 || stopped {
            pending = ByteBuffer()  // let the read's storage go
        }
        if inputClosed, !stopped, pending.readableBytes == 0 {
            stopped = true
            enqueue(.end, handle: handle, context: context)
        }
    }

    /// Answers a request on the loop when that needs no database and nothing is queued,
    /// running or being written by the executor before it (so replies keep their order):
    /// refusals from parsing and the session checks, PING and HELP (`Verbs.immediate`).
    /// The reply holds a pipeline slot until the socket has taken it, so a client that
    /// does not read stalls here as it would behind the executor, and `reply_timeout`
    /// counts from the first write the socket did not take. Returns false to queue it.
    private func answerOnLoop(_ item: Session.Queued, handle: SessionHandle, context: ChannelHandlerContext) -> Bool {
        let reply: Reply
        let verb: String
        switch item {
        case .refused(let refusal):
            guard handle.loopMayAnswer() != nil else { return false }
            reply = refusal
            verb = "-"
        case .request(let request, let spec, let busy, let waitingClaim):
            guard let session = handle.loopMayAnswer(),
                  let outcome = verbs.immediate(request, spec: spec, busy: busy, session: session),
                  !outcome.closes else { return false }
            if waitingClaim { handle.waitingClaimAnswered() }
            reply = outcome.reply
            verb = request.verb
        case .tooLong, .end:
            return false
        }
        Session.count(reply, verb: verb, metrics: server.metrics)
        let clock = server.clock
        handle.loopAnswers(at: clock.now())
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in
            let now = clock.now()
            handle.writeEnds(at: now)
            handle.answered(at: now)
        }
        context.write(wrapOutboundOut(ByteBuffer(string: reply.encode())), promise: written)
        return true
    }

    /// The client closed its side (or the connection broke): a waiting CLAIM stops, and the
    /// executor ends the session once what was read before is answered (bytes after the
    /// last newline are discarded: docs/PROTOCOL.md §2).
    private func inputEnded(context: ChannelHandlerContext) {
        guard let handle, !stopped, !inputClosed else { return }
        inputClosed = true
        handle.inputEnded()
        frame(context: context)
    }

    private func enqueue(_ item: Session.Queued, handle: SessionHandle, context: ChannelHandlerContext) {
        if handle.enqueue(item) {
            let server = self.server
            Task { await Session.execute(handle, context: server) }
        }
    }
}
