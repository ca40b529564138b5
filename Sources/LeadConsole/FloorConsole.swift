import Foundation
import HTTPTypes
import Hummingbird
import LeadServer
import LeadStore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The floor console: a web board for team leads and lead managers and a desk for agents,
/// served by `leadline serve` on its own port (`console_port`, docs/CONSOLE.md).
///
/// It runs on Hummingbird with an event loop of its own (never the protocol's loops), and
/// every action is the protocol's own verb run in-process for the logged-in agent
/// (`LeadServer.perform`), so roles, team boundaries, refusals and audit are the
/// protocol's. Live numbers come from one shared `FloorFeed` over server-sent events.
public final class FloorConsole: Service, Sendable {
    let server: LeadServer
    let host: String
    let port: Int
    let sessions: ConsoleSessions
    let feed: FloorFeed
    let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let bound = Mutex<(port: Int?, waiting: [CheckedContinuation<Int, Never>])>((nil, []))

    /// The session cookie (an opaque random id) and the login form's CSRF cookie.
    static let sessionCookie = "leadline_console"
    static let loginCookie = "leadline_login"
    /// Largest request body the console reads (a form).
    static let maxBody = 64 * 1024

    /// - Parameters:
    ///   - server: the protocol server whose verbs, clock and pool the console uses.
    ///   - conninfo: the database, for the feed's LISTEN connection.
    ///   - host, port: where to listen (port 0 = any free port).
    ///   - sessionMinutes: a login ends after this many minutes without a request.
    public init(server: LeadServer, conninfo: String, host: String, port: Int, sessionMinutes: Int,
                feedFallback: Duration = .seconds(5), logger: Logger) {
        self.server = server
        self.host = host
        self.port = port
        self.logger = logger
        sessions = ConsoleSessions(idleLimit: TimeInterval(sessionMinutes * 60))
        feed = FloorFeed(pool: server.pool, conninfo: conninfo, clock: server.clock, logger: logger, fallback: feedFallback)
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// The console of `config` (`console_host`, `console_port`, `console_session_minutes`),
    /// or nil when `console_port` is off.
    public static func configured(_ config: ServerConfig, server: LeadServer, conninfo: String, logger: Logger) -> FloorConsole? {
        guard config.consolePort >= 0 else { return nil }
        return FloorConsole(server: server, conninfo: conninfo, host: config.consoleHost, port: config.consolePort,
                            sessionMinutes: config.consoleSessionMinutes, logger: logger)
    }

    /// Waits until the console listens and returns its port.
    public func listening() async -> Int {
        await withCheckedContinuation { continuation in
            bound.withLock { state in
                if let port = state.port { continuation.resume(returning: port) } else { state.waiting.append(continuation) }
            }
        }
    }

    /// Open live feeds (boards and desks) on this instance.
    public var openFeeds: Int { feed.subscriberCount }

    public func run() async throws {
        let router = Router(context: ConsoleContext.self)
        router.add(middleware: SecurityHeaders())
        ConsoleRoutes(console: self).add(to: router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? self.port
                let waiting = bound.withLock { state in
                    state.port = port
                    defer { state.waiting.removeAll() }
                    return state.waiting
                }
                for continuation in waiting { continuation.resume(returning: port) }
                logger.info("floor console listening", metadata: ["url": "http://\(host):\(port)/"])
            },
            eventLoopGroupProvider: .shared(group),
            logger: logger)
        let feed = self.feed
        await withDiscardingTaskGroup { tasks in
            tasks.addTask { await feed.run() }
            await withGracefulShutdownHandler {
                do {
                    try await app.run()
                } catch {
                    logger.error("floor console stopped", metadata: ["error": "\(error)"])
                }
            } onGracefulShutdown: {
                // Open live feeds end, so the HTTP server's graceful stop is not held by them.
                feed.stop()
            }
            feed.stop()
            tasks.cancelAll()
        }
        try? await group.shutdownGracefully()
    }
}

/// The request context: Hummingbird's core storage plus the client's address (the AUTH
/// throttle's key, as for protocol connections).
struct ConsoleContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remote: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remote = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

/// Headers on every console response: a strict content security policy (scripts and
/// styles only from the console itself, no framing), no sniffing, no referrer to other
/// sites, no caching.
struct SecurityHeaders: RouterMiddleware {
    typealias Context = ConsoleContext

    func handle(_ request: Request, context: ConsoleContext,
                next: (Request, ConsoleContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on
        // the console's own form posts, and the origin check would refuse them.
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
