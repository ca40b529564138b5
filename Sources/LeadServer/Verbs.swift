import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Logging
import Postgres

/// What a verb may read and change about its connection: who is logged in, at what level.
/// `handle` is the protocol connection; nil for a login without one (the floor console's,
/// `ConsoleLogin`), which runs the same verbs in-process.
struct SessionContext: Sendable {
    let handle: SessionHandle?
    /// The client's IP address (the AUTH throttle's key).
    let remote: String
    var logger: Logger
    var identity: AgentDirectory.Identity?
    /// The verb level of the session (`none` before AUTH).
    var level: Role = .unauthenticated
    /// Set when the login ended because the agent was disabled or its token changed: the
    /// next `NOAUTH` says so.
    var loggedOutByRevocation = false

    init(handle: SessionHandle, logger: Logger) {
        self.handle = handle
        remote = handle.remote
        self.logger = logger
    }

    /// A session without a protocol connection (the floor console's logins).
    init(remote: String, logger: Logger) {
        handle = nil
        self.remote = remote
        self.logger = logger
    }

    /// The logged-in agent. Verbs above level `none` only run after AUTH, so this holds.
    var agent: AgentDirectory.Identity {
        guard let identity else { preconditionFailure("a verb above level none ran before AUTH") }
        return identity
    }

    var isAdmin: Bool { level == .admin }

    /// Ends the login: the session is back at level `none` and may AUTH again.
    mutating func logOut(revoked: Bool) {
        identity = nil
        level = .unauthenticated
        loggedOutByRevocation = revoked
        logger[metadataKey: "agent"] = nil
    }
}

/// A verb's answer, and whether the connection closes after it (QUIT).
struct VerbOutcome: Sendable {
    var reply: Reply
    var closes = false
}

/// Runs one request: the session checks of docs/PROTOCOL.md §13 step 4, then the verb.
/// Every blocking database call goes through `PostgresPool.withConnection`, off the event
/// loops; every failure becomes one `ERR` line.
struct Verbs {
    let context: ServerContext

    func run(_ request: Request, spec: VerbSpec, busy: Bool, session: inout SessionContext) async -> VerbOutcome {
        if let outcome = immediate(request, spec: spec, busy: busy, session: session) { return outcome }
        let started = ContinuousClock.now
        do {
            let outcome = try await dispatch(request, session: &session)
            session.logger.debug("request", metadata: ["verb": "\(request.verb)", "ms": "\(milliseconds(since: started))"])
            return outcome
        } catch {
            let reply = errorReply(error, request: request, session: session)
            if case .error(_, let code, _) = reply {
                session.logger.debug("request refused", metadata: ["verb": "\(request.verb)", "code": "\(code)",
                                                                   "ms": "\(milliseconds(since: started))"])
            }
            return VerbOutcome(reply: reply)
        }
    }

    /// The answer to a request that needs neither the database nor a wait, or nil: the
    /// session checks of docs/PROTOCOL.md §13 step 4 (SHUTTING_DOWN, BUSY, NOAUTH, DENIED),
    /// and PING and HELP. It does no I/O, so the connection's event loop answers these
    /// itself when nothing is queued before them (`SessionHandler`): a client pipelining
    /// PING, or requests it may not make, costs no task and no thread hop.
    func immediate(_ request: Request, spec: VerbSpec, busy: Bool, session: SessionContext) -> VerbOutcome? {
        let tag = request.tag
        if session.handle?.isShuttingDown == true || context.isShuttingDown, request.verb != "QUIT" {
            return VerbOutcome(reply: .error(tag: tag, code: ErrorCode.shuttingDown.rawValue, message: "the server is stopping"))
        }
        if busy {
            return VerbOutcome(reply: .error(tag: tag, code: ErrorCode.busy.rawValue,
                                             message: "another CLAIM with wait> is waiting on this connection; open a second connection"))
        }
        if spec.role > session.level {
            if session.level == .unauthenticated {
                let message = session.loggedOutByRevocation
                    ? "your login ended: the agent was disabled or its token changed; AUTH again"
                    : "\(request.verb) needs AUTH agent= token= first"
                return VerbOutcome(reply: .error(tag: tag, code: ErrorCode.noAuth.rawValue, message: message))
            }
            return VerbOutcome(reply: .error(tag: tag, code: ErrorCode.denied.rawValue,
                                             message: "\(request.verb) needs level \(spec.role.rawValue); you are \(session.level.rawValue)"))
        }
        switch request.verb {
        case "PING":
            return VerbOutcome(reply: .ok(tag: tag, fields: Replies.pong(context.clock.now())))
        case "HELP":
            do { return VerbOutcome(reply: try help(request)) } catch {
                return VerbOutcome(reply: errorReply(error, request: request, session: session))
            }
        default:
            return nil
        }
    }

    private func dispatch(_ request: Request, session: inout SessionContext) async throws -> VerbOutcome {
        switch request.verb {
        case "AUTH": return VerbOutcome(reply: try await auth(request, session: &session))
        case "QUIT": return VerbOutcome(reply: .ok(tag: request.tag, fields: []), closes: true)
        case "CLAIM": return VerbOutcome(reply: try await claim(request, session: session))
        case "TOUCH": return VerbOutcome(reply: try await touch(request, session: session))
        case "RELEASE": return VerbOutcome(reply: try await release(request, session: session))
        case "MINE": return VerbOutcome(reply: try await mine(request, session: session))
        case "DISPOSE": return VerbOutcome(reply: try await dispose(request, session: session))
        case "CONVERT": return VerbOutcome(reply: try await convert(request, session: session))
        case "NOTE": return VerbOutcome(reply: try await note(request, session: session))
        case "ESCALATE": return VerbOutcome(reply: try await escalate(request, session: session))
        case "ESCALATIONS": return VerbOutcome(reply: try await escalations(request, session: session))
        case "LEAD ADD": return VerbOutcome(reply: try await leadAdd(request, session: session))
        case "LEAD SHOW": return VerbOutcome(reply: try await leadShow(request, session: session))
        case "CANCEL": return VerbOutcome(reply: try await cancel(request, session: session))
        case "ASSIGN": return VerbOutcome(reply: try await assign(request, session: session))
        case "MOVE": return VerbOutcome(reply: try await move(request, session: session))
        case "PAUSE": return VerbOutcome(reply: try await setStatus(request, to: .paused, session: session))
        case "RESUME": return VerbOutcome(reply: try await setStatus(request, to: .active, session: session))
        case "DRAIN": return VerbOutcome(reply: try await setStatus(request, to: .draining, session: session))
        case "AGENT SET": return VerbOutcome(reply: try await agentSet(request, session: session))
        case "STAR": return VerbOutcome(reply: try await star(request, starred: true, session: session))
        case "UNSTAR": return VerbOutcome(reply: try await star(request, starred: false, session: session))
        case "SIGNAL": return VerbOutcome(reply: try await signal(request, session: session))
        case "QUEUES": return VerbOutcome(reply: try await queues(request, session: session))
        case "AGENTS": return VerbOutcome(reply: try await agents(request, session: session))
        case "TEAM SET": return VerbOutcome(reply: try await teamSet(request, session: session))
        case "AUDIT": return VerbOutcome(reply: try await audit(request, session: session))
        case "LEADS": return VerbOutcome(reply: try await leads(request, session: session))
        case "ESCALATION RESOLVE": return VerbOutcome(reply: try await resolveEscalation(request, session: session))
        case "DEVICE ADD": return VerbOutcome(reply: try await device(request, action: .deviceAdd, session: session))
        case "DEVICE RETIRE": return VerbOutcome(reply: try await device(request, action: .deviceRetire, session: session))
        case "HIGHEND ADD": return VerbOutcome(reply: try await device(request, action: .highEndAdd, session: session))
        case "HIGHEND RETIRE": return VerbOutcome(reply: try await device(request, action: .highEndRetire, session: session))
        case "PINCODE ADD": return VerbOutcome(reply: try await pincodeAdd(request, session: session))
        case "PINCODE RETIRE": return VerbOutcome(reply: try await pincodeRetire(request, session: session))
        default:
            throw Refusal(.unknownVerb, "unknown verb \(request.verb); HELP lists the verbs")
        }
    }

    // MARK: helpers

    /// The server's one source of time (business rules read it, never `Date()`).
    var clock: any FloorClock { context.clock }

    /// Runs blocking libpq work on the pool's threads.
    func db<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await context.pool.withConnection(body)
    }

    /// One `ERR` line for any failure: protocol and rule refusals keep their code, a lost
    /// database is UNAVAILABLE, anything else is INTERNAL (and logged).
    func errorReply(_ error: any Error, request: Request, session: SessionContext) -> Reply {
        let tag = request.tag
        switch error {
        case let protocolError as ProtocolError:
            return .error(tag: tag, code: protocolError.code.rawValue, message: protocolError.message)
        case let refusal as Refusal:
            if refusal.code == .internal {
                session.logger.error("internal refusal", metadata: ["verb": "\(request.verb)", "message": "\(refusal.message)"])
            }
            return .error(tag: tag, code: refusal.code.rawValue, message: refusal.message)
        case let database as PostgresError where database.kind == .connection:
            session.logger.warning("database unavailable", metadata: ["verb": "\(request.verb)", "error": "\(database.message)"])
            return .error(tag: tag, code: ErrorCode.unavailable.rawValue,
                          message: "the database is unavailable; retry shortly (mutating requests with the same idem=)")
        case is CancellationError:
            return .error(tag: tag, code: ErrorCode.shuttingDown.rawValue, message: "the server is stopping")
        default:
            session.logger.error("request failed", metadata: ["verb": "\(request.verb)", "error": "\(error)"])
            return .error(tag: tag, code: ErrorCode.internal.rawValue,
                          message: "unexpected server error; whether it took effect is unknown, retry with the same idem=")
        }
    }

    /// A lead or lease id: a positive integer.
    func id(_ request: Request, _ key: String) throws(ProtocolError) -> Int64 {
        Int64(try request.int(key, range: 1...Int.max))
    }

    func optionalID(_ request: Request, _ key: String) throws(ProtocolError) -> Int64? {
        try request.optionalInt(key, range: 1...Int.max).map(Int64.init)
    }

    /// For lease actions the spec has one answer for "not yours": LEASE_LOST.
    func leaseRefusal(_ error: any Error) -> any Error {
        if let refusal = error as? Refusal, refusal.code == .leaseHeld {
            return Refusal(.leaseLost, refusal.message + "; this lease is not yours")
        }
        return error
    }
}

func milliseconds(since start: ContinuousClock.Instant) -> String {
    let elapsed = ContinuousClock.now - start
    let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    return String(format: "%.2f", ms)
}
