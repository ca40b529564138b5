import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Logging

/// A logged-in agent without a protocol connection: the floor console's login.
///
/// It exists so the console runs the protocol's own verbs (`LeadServer.perform`) for the
/// person at the browser: the roles, team boundaries, refusals and audit events are the
/// protocol's, never a second copy.
public struct ConsoleLogin: Sendable {
    var session: SessionContext

    init(session: SessionContext) {
        self.session = session
    }

    /// A login that has not authenticated (every verb above level none is NOAUTH).
    public static func anonymous(remote: String, logger: Logger = Logger(label: "leadline.console")) -> ConsoleLogin {
        ConsoleLogin(session: SessionContext(remote: remote, logger: logger))
    }

    /// The agent's name, team and stored role (`agent`, `senior`, `team_lead`, `admin`).
    public var agent: String { session.identity?.name ?? "" }
    public var agentID: Int64 { session.identity?.id ?? 0 }
    public var team: String { session.identity?.team ?? "" }
    public var teamID: Int64 { session.identity?.teamID ?? 0 }
    public var role: String { session.identity?.role ?? "" }
    /// The verb level (`agent`, `team_lead`, `admin`), as the protocol checks it.
    public var level: Role { session.level }
    /// Logged in (the AUTH succeeded and the login has not been revoked).
    public var isLoggedIn: Bool { session.identity != nil }
}

extension LeadServer {
    /// The server's one clock (the console reads it for session expiry and lease countdowns).
    public var clock: any FloorClock { context.clock }

    /// The server's logger.
    public var logger: Logger { context.logger }

    /// Logs an agent in for the console with the protocol's own AUTH (same token check,
    /// same throttle per address). Returns the login, or the AUTH's `ERR` reply.
    public func logIn(agent: String, token: String, remote: String) async -> Result<ConsoleLogin, ConsoleRefusal> {
        var logger = context.logger
        logger[metadataKey: "console"] = "\(remote)"
        var login = ConsoleLogin(session: SessionContext(remote: remote, logger: logger))
        let request = Request(verb: "AUTH", args: [Field("agent", agent), Field("token", token)])
        let reply = await run(request, session: &login.session)
        if case .error(_, let code, let message) = reply { return .failure(ConsoleRefusal(code: code, message: message)) }
        return .success(login)
    }

    /// Runs one protocol request for a console login, exactly as a connection's session
    /// would (catalogue check, level, then the verb). AUTH and QUIT are the console's own
    /// login and logout, not verbs it runs.
    public func perform(_ request: Request, as login: inout ConsoleLogin) async -> Reply {
        guard request.verb != "AUTH", request.verb != "QUIT" else {
            return .error(tag: request.tag, code: ErrorCode.denied.rawValue, message: "the console logs in and out itself")
        }
        return await run(request, session: &login.session)
    }

    private func run(_ request: Request, session: inout SessionContext) async -> Reply {
        let spec: VerbSpec
        do throws(ProtocolError) {
            spec = try VerbCatalogue.validate(request)
        } catch {
            context.metrics.request(verb: "-")
            context.metrics.error(code: error.code.rawValue)
            return Reply(error)
        }
        context.requestStarts()
        let outcome = await Verbs(context: context).run(request, spec: spec, busy: false, session: &session)
        context.requestEnds()
        context.metrics.request(verb: request.verb)
        if case .error(_, let code, _) = outcome.reply { context.metrics.error(code: code) }
        return outcome.reply
    }

    /// Whether a console login's agent is still enabled with the token it logged in with
    /// (the check the protocol's sessions get from NOTIFY `leadline_agents`).
    public func isCurrent(_ login: ConsoleLogin) async throws -> Bool {
        guard let identity = login.session.identity else { return false }
        let current = try await context.pool.withConnection { c in
            try AgentDirectory().credentials(c, agents: [identity.id])
        }
        return current[identity.id] == identity.credential
    }
}

/// Why the console's login was refused: the AUTH reply's code and message.
public struct ConsoleRefusal: Error, Sendable, Equatable {
    public let code: String
    public let message: String
}
