import Foundation
import LeadCore
import LeadProtocol
import LeadStore

// The verbs of level none: AUTH and HELP (PING and QUIT are one line each in `dispatch`).
extension Verbs {
    /// AUTH agent= token=: logs the connection in. Tokens are checked by
    /// `AgentDirectory.authenticate` (salted hash, constant-time compare); after repeated
    /// failures from one address every AUTH from it is delayed first.
    func auth(_ request: Request, session: inout SessionContext) async throws -> Reply {
        let name = try request.string("agent")
        let token = try request.string("token")
        if let current = session.identity {
            throw Refusal(.denied, "this connection is already authenticated as \(current.name)")
        }
        let address = session.remote
        let delay = context.throttle.delay(for: address)
        if delay > .zero {
            session.logger.notice("delaying AUTH after repeated failures", metadata: ["delay": "\(delay)"])
            try await context.clock.sleep(for: delay)
        }
        let identity = try await db { c in try AgentDirectory().authenticate(c, name: name, token: token) }
        guard let identity else {
            context.throttle.failed(address)
            session.logger.notice("AUTH failed", metadata: ["agent": "\(name)"])
            throw Refusal(.authFailed, "unknown agent, wrong token, or the agent is disabled")
        }
        context.throttle.succeeded(address)
        if let handle = session.handle {
            handle.loggedIn(SessionHandle.Login(agentID: identity.id, credential: identity.credential))
            context.loggedIn(handle)
        }
        session.loggedOutByRevocation = false
        session.identity = identity
        session.level = Role(agentRole: identity.role) ?? .agent
        session.logger[metadataKey: "agent"] = "\(identity.name)"
        session.logger.info("authenticated", metadata: ["team": "\(identity.team)", "role": "\(identity.role)"])
        return .ok(tag: request.tag, fields: Replies.loggedIn(identity))
    }

    /// HELP [verb=]: the catalogue, whatever the session's level.
    func help(_ request: Request) throws -> Reply {
        guard let wanted = try request.optionalString("verb") else {
            return .rows(tag: request.tag, rows: VerbCatalogue.all.map(\.helpRow))
        }
        let verb = wanted.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ").uppercased()
        guard let spec = VerbCatalogue.spec(for: verb) else {
            throw Refusal(.unknownVerb, "unknown verb \(verb); HELP lists the verbs")
        }
        return .rows(tag: request.tag, rows: [spec.helpRow])
    }
}
