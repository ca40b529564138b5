import Foundation
import LeadCore
import LeadProtocol
@testable import LeadServer
import LeadStore
import LeadTesting
import Logging
import ServiceLifecycle
import Testing

/// Clients that misbehave, and floods: every documented limit is driven past.
@Suite("Hostile clients and limits", .serialized)
struct HostileClientTests {
    /// A client that pipelines without ever reading: the server holds at most
    /// `pipeline_depth` unanswered requests and then reads nothing more (the client's
    /// sends stall), other clients are served meanwhile, and once its replies have waited
    /// `reply_timeout` the server closes the connection.
    @Test func nonReadingClientIsBoundedThenClosed() async throws {
        let floor = try await makeFloor()
        let depth = 4
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) {
            $0.pipelineDepth = depth
            $0.authTimeout = 0
            $0.idleTimeout = 0  // the clock moves far below: only the reply timeout is under test
            $0.replyTimeout = 30
        }
        let hog = try RawSocket(port: server.port, receiveBuffer: 1024)
        let burst = [UInt8](String(repeating: "PING\n", count: 2000).utf8)
        var sent = 0
        var stalledSince: ContinuousClock.Instant?
        let cap = 64 << 20
        // Send until the server stops taking bytes for a while (or 64 MiB: then it never stopped).
        while sent < cap {
            let n = hog.sendNow(burst)
            #expect(n >= 0, "the server closed the connection early")
            if n < 0 { break }
            if n == 0 {
                if stalledSince == nil { stalledSince = .now }
                if ContinuousClock.now - stalledSince! > .milliseconds(700) { break }
                try await Task.sleep(for: .milliseconds(5))
            } else {
                stalledSince = nil
                sent += n
            }
        }
        #expect(sent < cap, "the server kept reading from a client that never reads (\(sent) bytes taken)")
        let sessions = server.server.context.openSessions()
        #expect(sessions.count == 1)
        for session in sessions {
            #expect(session.unansweredCount <= depth, "unanswered \(session.unansweredCount) > pipeline_depth \(depth)")
            #expect(session.mostUnanswered <= depth, "at some point \(session.mostUnanswered) requests were queued")
        }

        // Another client is served while the hog is stuck.
        let other = try await server.connect()
        #expect(value(try await other.call("PING").first, "time") != nil)

        // The hog's reply has waited: past reply_timeout the server closes it.
        // (Closing also takes real work: the advance checks between steps, `eventually` after.)
        // The writes may still creep forward for a while on a loaded machine (each one
        // that completes restarts the reply's wait), so keep moving the clock, for up to
        // 30 s of real time, until the server has closed the connection.
        var closed = false
        let giveUp = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < giveUp {
            if server.server.context.openSessions().count == 1 { closed = true; break }
            server.clock.advance(by: .seconds(5))
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(closed, "the non-reading connection was not closed after reply_timeout")
        let (_, eof) = hog.readUntilClosed(timeout: .seconds(60))
        #expect(eof, "the client sees the connection end after its buffered replies")
        #expect(value(try await other.call("PING").first, "time") != nil, "the reading client stays")
        try await server.stop()
    }

    /// Requests the event loop answers itself (PING, HELP, refusals) and requests that
    /// need the database, pipelined in one write, are answered in the order sent.
    @Test func loopAnswersKeepTheirPlaceInLine() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.pipelineDepth = 32 }
        let client = try RawSocket(port: server.port)
        #expect(client.readLine() == "HELLO leadline proto=1")
        let lines = [
            "#a PING", "#b CLAIM", "#c AUTH agent=asha token=secret", "#d PING", "#e FOO",
            "#f MINE", "#g PING", "#h LEAD SHOW lead=abc", "#i HELP verb=PING", "#j AGENTS", "#k PING",
        ]
        for _ in 0..<3 {
            #expect(client.sendNow(Array((lines.joined(separator: "\n") + "\n").utf8)) > 0)
        }
        var tags: [String] = []
        var codes: [String?] = []
        while tags.count < lines.count * 3, let line = client.readLine() {
            let words = line.split(separator: " ")
            guard words.count > 2, words[0] == "OK" || words[0] == "ERR", words[1].hasPrefix("#") else { continue }
            tags.append(String(words[1]))
            codes.append(words[0] == "ERR" ? String(words[2]) : nil)
        }
        let expected = Array(repeating: lines.map { String($0.split(separator: " ")[0]) }, count: 3).flatMap { $0 }
        #expect(tags == expected)
        if codes.count == expected.count {
            #expect(codes[1] == "NOAUTH", "the first CLAIM comes before the AUTH")
            #expect(codes[lines.count + 1] == nil || codes[lines.count + 1] == "EMPTY", "later ones after it")
            for round in 0..<3 {
                let at = round * lines.count
                #expect(codes[at + 4] == "UNKNOWN_VERB" && codes[at + 7] == "BAD_ARG" && codes[at + 9] == "DENIED", "\(codes)")
                #expect(codes[at] == nil && codes[at + 3] == nil && codes[at + 6] == nil && codes[at + 8] == nil, "\(codes)")
            }
        }
        try await server.stop()
    }

    /// A connection that does not AUTH within auth_timeout gets `ERR NOAUTH` and is
    /// closed; a logged-in one stays. The deadline is the server clock's, not real time.
    @Test func authDeadline() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.authTimeout = 10 }
        let silent = try await server.connect()
        let pinging = try await server.connect()
        let agent = try await server.login("asha")
        #expect(value(try await pinging.call("PING").first, "time") != nil, "requests before AUTH are answered")
        server.clock.advance(by: .seconds(9))
        try await Task.sleep(for: .milliseconds(100))
        #expect(value(try await silent.call("PING").first, "time") != nil, "9 s in: still open")
        // The sweeper looks every 2.5 s of clock time: move on until it has.
        let ended = try await server.advance(by: .seconds(1), upTo: .seconds(10)) {
            server.server.context.unauthenticatedCount(from: "127.0.0.1") == 0
        }
        #expect(ended)
        let line = try await pinging.line(timeout: .seconds(10))
        #expect(code(line) == "NOAUTH" && line?.contains("no AUTH within 10 s") == true, "\(line ?? "nil")")
        #expect(try await pinging.line(timeout: .seconds(10)) == nil, "then closed")
        _ = try await silent.line(timeout: .seconds(10))
        #expect(try await silent.line(timeout: .seconds(10)) == nil, "the silent one too (PING does not postpone it)")
        #expect(value(try await agent.call("PING").first, "time") != nil, "the logged-in agent stays")
        try await server.stop()
    }

    /// A flood of idle connections from one address that never log in: beyond
    /// max_unauthenticated_per_address they are refused at once, and agents connecting
    /// from elsewhere are served throughout; a connection that logs in stops counting.
    @Test func floodFromOneAddressDoesNotStarveTheFloor() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north")
        try floor.agent("vik", team: "north")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) {
            $0.maxUnauthenticatedPerAddress = 8
            $0.maxConnections = 64
        }
        var flood: [RawSocket] = []
        var refused = 0
        for _ in 0..<200 {
            let s = try RawSocket(port: server.port, source: "127.0.0.1")
            let hello = s.readLine()
            if hello == "HELLO leadline proto=1" { flood.append(s) } else {
                #expect(code(hello) == "TOO_MANY_CONNECTIONS", "\(hello ?? "nil")")
                refused += 1
            }
        }
        #expect(flood.count == 8 && refused == 192, "admitted \(flood.count), refused \(refused)")
        #expect(server.server.context.unauthenticatedCount(from: "127.0.0.1") == 8)

        // An agent on another address logs in and works.
        let desk = try RawSocket(port: server.port, source: "127.0.0.2")
        #expect(desk.readLine() == "HELLO leadline proto=1")
        _ = desk.sendNow(Array("AUTH agent=asha token=secret\nPING\n".utf8))
        #expect(desk.readLine()?.hasPrefix("OK agent=asha") == true)
        #expect(desk.readLine()?.hasPrefix("OK time=") == true)

        // A flooding connection that logs in frees its place for another.
        _ = flood[0].sendNow(Array("AUTH agent=vik token=secret\n".utf8))
        #expect(flood[0].readLine()?.hasPrefix("OK agent=vik") == true)
        #expect(server.server.context.unauthenticatedCount(from: "127.0.0.1") == 7)
        let next = try RawSocket(port: server.port, source: "127.0.0.1")
        #expect(next.readLine() == "HELLO leadline proto=1")

        // The AUTH deadline ends the flood: the address's places come back.
        let cleared = try await server.advance(by: .seconds(5), upTo: .seconds(30)) {
            server.server.context.unauthenticatedCount(from: "127.0.0.1") == 0
        }
        #expect(cleared)
        try await server.stop()
    }

    /// `leadline agent disable` and `agent token` end the agent's open sessions: the next
    /// request is `NOAUTH` (nothing runs), a waiting CLAIM ends with `NOAUTH`, and after a
    /// rotation the same connection may AUTH with the new token.
    @Test func disabledOrRotatedAgentIsLoggedOut() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north")
        try floor.agent("vik", team: "north")
        try floor.agent("ravi", team: "north")
        let lead = try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-600))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let asha = try await server.login("asha")
        let vik = try await server.login("vik")
        let ravi = try await server.login("ravi")
        #expect(try await asha.call("LEAD SHOW lead=\(lead)").first?.hasPrefix("OK") == true)
        try await ravi.send("#w CLAIM wait=300 view=callback")
        try await Task.sleep(for: .milliseconds(200))

        let c = try floor.connect()
        defer { c.close() }
        try AgentDirectory().disable(c, name: "asha")
        let newToken = try AgentDirectory().rotateToken(c, name: "vik")
        _ = try AgentDirectory().rotateToken(c, name: "ravi")

        let waited = try await ravi.line(timeout: .seconds(10))
        #expect(code(waited) == "NOAUTH" && waited?.hasPrefix("ERR #w") == true, "a rotated token ends the waiting CLAIM: \(waited ?? "nil")")
        var shown: [String] = []
        let loggedOut = try await eventually {
            shown = try await asha.call("LEAD SHOW lead=\(lead)")
            return code(shown.first) == "NOAUTH"
        }
        #expect(loggedOut, "a disabled agent's session still reads leads: \(shown)")
        #expect(shown.first?.contains("disabled or its token changed") == true)
        #expect(code(try await asha.call("LEAD ADD phone=+919876543210 name=X city=Pune pincode=411001 category=phone brand=Apple model=X variant=Y price=1 source=app team=north").first) == "NOAUTH")
        #expect(code(try await asha.call("AUTH agent=asha token=secret").first) == "AUTH_FAILED")

        #expect(code(try await vik.call("CLAIM").first) == "NOAUTH")
        #expect(code(try await vik.call("AUTH agent=vik token=secret").first) == "AUTH_FAILED", "the old token is gone")
        #expect(try await vik.call("AUTH agent=vik token=\(newToken)").first?.hasPrefix("OK agent=vik") == true)
        #expect(value(try await vik.call("CLAIM").first, "lead") == String(lead), "the new login works")
        try await server.stop()
    }

    /// After SIGTERM, requests on open connections get `ERR SHUTTING_DOWN` (not EOF)
    /// until the server closes them; a request already running finishes.
    @Test func shutdownAnswersRequestsSentAfterIt() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let idle = try await server.login("asha")
        let fresh = try await server.connect()
        await server.group.triggerGracefulShutdown()
        try await Task.sleep(for: .milliseconds(100))
        let late = try await idle.call("#late PING")
        #expect(late.first?.hasPrefix("ERR #late SHUTTING_DOWN") == true, "\(late)")
        #expect(code(try await fresh.call("AUTH agent=asha token=secret").first) == "SHUTTING_DOWN")
        try await server.stop()
        #expect(try await idle.line(timeout: .seconds(10)) == nil, "closed once the linger is over")
    }

    /// `idem=` is counted in Unicode code points everywhere: 65 flag emoji (130 code
    /// points, 65 "characters") is BAD_ARG before anything runs, 64 flags are stored.
    @Test func idemCountsCodePoints() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north")
        let lead = try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-600))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let asha = try await server.login("asha")
        let claim = try await asha.call("CLAIM")
        let lease = try #require(value(claim.first, "lease"))
        let flags65 = String(repeating: "🇮🇳", count: 65)
        let accents = "e" + String(repeating: "\u{301}", count: 128)
        for idem in [flags65, accents] {
            let reply = try await asha.call("NOTE lead=\(lead) text=\"asked for pickup charges\" idem=\(idem)")
            #expect(code(reply.first) == "BAD_ARG" && reply.first?.contains("idem:") == true, "\(reply)")
        }
        let flags64 = String(repeating: "🇮🇳", count: 64)
        let note = try await asha.call("NOTE lead=\(lead) text=\"asked for pickup charges\" idem=\(flags64)")
        #expect(note.first?.hasPrefix("OK lead=\(lead)") == true, "\(note)")
        #expect(try await asha.call("NOTE lead=\(lead) text=\"asked for pickup charges\" idem=\(flags64)") == note, "replayed")
        let dispose = try await asha.call("DISPOSE lead=\(lead) lease=\(lease) code=not_interested reason=price_too_low note=\"too low\" idem=\(flags65)")
        #expect(code(dispose.first) == "BAD_ARG", "\(dispose)")
        try await server.stop()
    }
}
