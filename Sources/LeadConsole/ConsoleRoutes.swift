import Foundation
import HTTPTypes
import Hummingbird
import LeadServer
import LeadStore
import NIOCore

/// The console's HTTP routes: login and logout, the board and desk pages, their script and
/// style, the floor snapshot, the live feed (server-sent events) and the one action
/// endpoint that runs a protocol verb.
struct ConsoleRoutes: Sendable {
    let console: FloorConsole

    var server: LeadServer { console.server }
    var sessions: ConsoleSessions { console.sessions }
    var feed: FloorFeed { console.feed }

    func add(to router: Router<ConsoleContext>) {
        router.get("/") { request, _ in
            guard let (_, entry) = try await self.session(request) else { return Self.redirect("/login") }
            return Self.redirect(entry.login.oversees ? "/board" : "/desk")
        }
        router.get("/login") { request, _ in
            if try await self.session(request) != nil { return Self.redirect("/") }
            return Self.loginPage(error: nil, status: .ok)
        }
        router.post("/login") { request, context in try await self.logIn(request, context: context) }
        router.post("/logout") { request, _ in try await self.logOut(request) }
        router.get("/board") { request, _ in
            guard let (_, entry) = try await self.session(request) else { return Self.redirect("/login") }
            guard entry.login.oversees else { return Self.redirect("/desk") }
            return Self.html(ConsolePages.board(entry), status: .ok)
        }
        router.get("/desk") { request, _ in
            guard let (_, entry) = try await self.session(request) else { return Self.redirect("/login") }
            return Self.html(ConsolePages.desk(entry), status: .ok)
        }
        router.get("/assets/console.js") { _, _ in
            Self.asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8")
        }
        router.get("/assets/console.css") { _, _ in
            Self.asset(ConsoleAssets.style, type: "text/css; charset=utf-8")
        }
        router.get("/api/floor") { request, _ in
            guard let (_, entry) = try await self.session(request) else { return Self.unauthorized() }
            do {
                let snapshot = try await self.feed.snapshot(entry.login.feedScope, board: entry.login.oversees)
                return Self.json(FloorFeed.json(snapshot, board: entry.login.oversees))
            } catch {
                return self.unavailable(error)
            }
        }
        router.get("/api/events") { request, _ in try await self.events(request) }
        router.post("/api/verb") { request, _ in try await self.verb(request) }
    }

    // MARK: sessions

    /// The request's login, if its cookie names a live one whose agent is still enabled
    /// with the same token (checked on every request: a console login is logged out as
    /// soon as a protocol session would be).
    func session(_ request: Request, touch: Bool = true) async throws -> (id: String, entry: ConsoleSessions.Entry)? {
        guard let id = request.cookies[FloorConsole.sessionCookie]?.value, !id.isEmpty,
              let entry = sessions.find(id, now: server.clock.now(), touch: touch) else { return nil }
        guard try await server.isCurrent(entry.login) else {
            sessions.remove(id)
            console.logger.notice("console login ended: the agent was disabled or its token changed",
                                  metadata: ["agent": "\(entry.login.agent)"])
            return nil
        }
        return (id, entry)
    }

    func logIn(_ request: Request, context: ConsoleContext) async throws -> Response {
        guard Self.sameOrigin(request) else { return Self.forbidden("cross-site request refused") }
        var request = request
        let form = Self.form(try await request.collectBody(upTo: FloorConsole.maxBody))
        let expected = request.cookies[FloorConsole.loginCookie]?.value ?? ""
        guard !expected.isEmpty, ConsoleSessions.same(form["csrf"] ?? "", expected) else {
            return Self.loginPage(error: "The login form expired; try again.", status: .forbidden)
        }
        let agent = (form["agent"] ?? "").trimmingCharacters(in: .whitespaces)
        let token = (form["token"] ?? "").trimmingCharacters(in: .whitespaces)
        guard !agent.isEmpty, !token.isEmpty else {
            return Self.loginPage(error: "Enter your agent name and token.", status: .badRequest)
        }
        switch await server.logIn(agent: agent, token: token, remote: context.remote) {
        case .failure(let refusal):
            return Self.loginPage(error: "\(refusal.code): \(refusal.message)", status: .unauthorized)
        case .success(let login):
            let zone = try await server.pool.withConnection { c in try AgentDirectory().timeZone(c, team: login.teamID) }
            let (id, _) = sessions.create(login, timeZone: zone ?? "Asia/Kolkata", now: server.clock.now())
            console.logger.info("console login", metadata: ["agent": "\(login.agent)", "remote": "\(context.remote)"])
            var response = Self.redirect("/")
            response.setCookie(Cookie(name: FloorConsole.sessionCookie, value: id, path: "/", httpOnly: true, sameSite: .strict))
            response.setCookie(Cookie(name: FloorConsole.loginCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
    }

    func logOut(_ request: Request) async throws -> Response {
        guard Self.sameOrigin(request) else { return Self.forbidden("cross-site request refused") }
        var request = request
        let form = Self.form(try await request.collectBody(upTo: FloorConsole.maxBody))
        if let (id, entry) = try await session(request, touch: false) {
            guard ConsoleSessions.same(form["csrf"] ?? "", entry.csrf) else { return Self.forbidden("missing or wrong CSRF token") }
            sessions.remove(id)
            console.logger.info("console logout", metadata: ["agent": "\(entry.login.agent)"])
        }
        var response = Self.redirect("/login")
        response.setCookie(Cookie(name: FloorConsole.sessionCookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    // MARK: the API

    /// POST /api/verb `{"verb": "STAR", "args": [["view", "not_called"], …]}` with the
    /// login's CSRF token in `X-CSRF-Token`: the protocol verb's reply as JSON.
    func verb(_ request: Request) async throws -> Response {
        guard Self.sameOrigin(request) else { return Self.forbidden("cross-site request refused") }
        guard let (id, entry) = try await session(request) else { return Self.unauthorized() }
        guard ConsoleSessions.same(request.headers[Self.csrfHeader] ?? "", entry.csrf) else {
            return Self.forbidden("missing or wrong CSRF token")
        }
        var request = request
        let body = try await request.collectBody(upTo: FloorConsole.maxBody)
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any],
              let verb = object["verb"] as? String,
              let rawArgs = (object["args"] ?? [[String]]()) as? [[String]],
              rawArgs.allSatisfy({ $0.count == 2 }) else {
            return Self.json("{\"ok\":false,\"code\":\"BAD_FORMAT\",\"message\":\"expected {\\\"verb\\\": …, \\\"args\\\": [[key, value], …]}\"}",
                             status: .badRequest)
        }
        var login = entry.login
        let reply = await ConsoleVerbs.run(verb: verb, args: rawArgs.map { ($0[0], $0[1]) }, timeZone: entry.timeZone,
                                           server: server, login: &login)
        sessions.update(id, login: login)
        return Self.json(reply)
    }

    /// GET /api/events: the live feed as server-sent events (`floor` snapshots, and
    /// `breach` on boards); ends with `expired` when the login does.
    func events(_ request: Request) async throws -> Response {
        // Opening the feed is not the person acting: it does not extend the login.
        guard let (id, entry) = try await session(request, touch: false) else { return Self.unauthorized() }
        let board = entry.login.oversees
        let scope = entry.login.feedScope
        let feed = self.feed
        let sessions = self.sessions
        let clock = server.clock
        let first: String
        do {
            first = FloorFeed.message(try await feed.snapshot(scope, board: board), board: board)
        } catch {
            return self.unavailable(error)
        }
        let (subscription, messages) = feed.subscribe(scope: scope, board: board)
        let body = ResponseBody { writer in
            defer { feed.unsubscribe(subscription) }
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n" + first))
            for await message in messages {
                guard sessions.find(id, now: clock.now(), touch: false) != nil else {
                    try await writer.write(ByteBuffer(string: "event: expired\ndata: {}\n\n"))
                    break
                }
                try await writer.write(ByteBuffer(string: message))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"], body: body)
    }

    // MARK: responses

    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func html(_ text: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func unauthorized() -> Response {
        json("{\"ok\":false,\"code\":\"NOAUTH\",\"message\":\"log in again\"}", status: .unauthorized)
    }

    /// The floor's numbers could not be read (the database is down or too slow): 503.
    func unavailable(_ error: any Error) -> Response {
        console.logger.warning("console: floor snapshot failed", metadata: ["error": "\(error)"])
        return Self.json("{\"ok\":false,\"code\":\"UNAVAILABLE\",\"message\":\"the floor's numbers could not be read; retry shortly\"}",
                         status: .serviceUnavailable)
    }

    static func forbidden(_ message: String) -> Response {
        json("{\"ok\":false,\"code\":\"DENIED\",\"message\":" + JSON.string(message) + "}", status: .forbidden)
    }

    /// The login page with a fresh login-form CSRF token (cookie + hidden field).
    static func loginPage(error: String?, status: HTTPResponse.Status) -> Response {
        let token = ConsoleSessions.randomToken()
        var response = html(ConsolePages.login(csrf: token, error: error), status: status)
        response.setCookie(Cookie(name: FloorConsole.loginCookie, value: token, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    /// A POST must come from the console's own pages: an `Origin` header (browsers send
    /// one on POST) must name this host, and `Sec-Fetch-Site` must not say cross-site.
    static func sameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site == "cross-site" { return false }
        guard let origin = request.headers[HTTPField.Name("Origin")!] else { return true }
        guard let host = request.head.authority ?? request.headers[HTTPField.Name("Host")!] else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// An `application/x-www-form-urlencoded` body.
    static func form(_ body: ByteBuffer) -> [String: String] {
        let text = String(buffer: body)
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let key = parts.first else { continue }
            out[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }
}
