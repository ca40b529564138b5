import Foundation
import LeadProtocol
import LeadServer
import LeadTesting
import Testing

@Suite("Sessions over real sockets")
struct SessionTests {
    /// An agent's whole shift as raw protocol lines: log in, claim, touch, dispose with a
    /// callback, claim the next lead, convert it (a failed pre-check, then success, then a
    /// retry with the same idem), read the history, quit.
    @Test func fullAgentSession() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        let highEnd = try floor.lead(team: "north", highEnd: true, createdAt: floor.now.addingTimeInterval(-120))
        let plain = try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-60))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)

        let c = try await server.connect()
        let auth = try await c.call("AUTH agent=asha token=secret")
        #expect(auth == ["OK agent=asha role=senior team=north"])

        let first = try await c.call("#1 CLAIM")
        #expect(first.first?.hasPrefix("OK #1 lead=\(highEnd) lease=") == true, "\(first)")
        #expect(value(first[0], "view") == "high_end")
        #expect(value(first[0], "team") == "north")
        #expect(value(first[0], "state") == "new")
        #expect(value(first[0], "high_end") == "1")
        #expect(value(first[0], "due") != nil)
        let lease = try #require(value(first[0], "lease"))

        let touch = try await c.call("#2 TOUCH lead=\(highEnd) lease=\(lease)")
        #expect(touch.first?.hasPrefix("OK #2 lead=\(highEnd) lease=\(lease) due=") == true, "\(touch)")

        let callbackAt = wireTime(3600, after: floor.now)
        let dispose = try await c.call(#"#3 DISPOSE lead=\#(highEnd) lease=\#(lease) code=callback at=\#(callbackAt) note="busy, call at 7 PM""#)
        #expect(dispose == ["OK #3 lead=\(highEnd) code=callback state=callback next_at=\(callbackAt)"])

        let stale = try await c.call("#4 TOUCH lead=\(highEnd) lease=\(lease)")
        #expect(code(stale.first) == "LEASE_LOST")
        #expect(stale.first?.hasPrefix("ERR #4 LEASE_LOST ") == true)

        let second = try await c.call("#5 CLAIM")
        #expect(value(second.first, "lead") == String(plain), "\(second)")
        #expect(value(second.first, "view") == "not_called")
        let lease2 = try #require(value(second.first, "lease"))

        let slot = wireTime(86_400, after: floor.now)
        let order = #"CONVERT lead=\#(plain) lease=\#(lease2) idem=conv-\#(plain) consent=yes price_confirmed=yes category=phone brand=Samsung model="Galaxy A54" variant=128GB conditions=screen:ok,body:ok pincode=560001 address="14 CMH Road, Indiranagar" slot=\#(slot) payment=upi payment_ref=meena@okaxis"#
        let missing = try await c.call("#6 " + order)
        #expect(code(missing.first) == "LANDMARK_REQUIRED", "\(missing)")
        let converted = try await c.call("#7 " + order + #" landmark="opposite the metro station""#)
        #expect(converted.first?.hasPrefix("OK #7 lead=\(plain) order=") == true, "\(converted)")
        #expect(value(converted.first, "status") == "pending_vendor_assignment")
        #expect(value(converted.first, "state") == "closed")
        #expect(value(converted.first, "outcome") == "create_order")
        let retry = try await c.call("#8 " + order + #" landmark="opposite the metro station""#)
        #expect(value(retry.first, "order") == value(converted.first, "order"), "a retry with the same idem returns the first order")

        let show = try await c.call("#9 LEAD SHOW lead=\(highEnd)")
        #expect(show.first?.hasPrefix("OK #9 rows=") == true)
        #expect(value(show.first, "state") == "callback")
        #expect(value(show.first, "callback_agent") == "asha")
        #expect(show.last == "END #9")
        let kinds = show.dropFirst().dropLast().compactMap { value($0, "kind") }
        #expect(kinds == ["created", "claimed", "touched", "disposition"])
        let disposition = try #require(show.first { value($0, "kind") == "disposition" })
        #expect(value(disposition, "code") == "callback")
        #expect(value(disposition, "note") == "busy, call at 7 PM")
        #expect(value(disposition, "next_at") == callbackAt)
        #expect(value(disposition, "agent") == "asha")

        #expect(try await c.call("MINE") == ["OK rows=0", "END"])
        #expect(try await c.call("QUIT") == ["OK"])
        #expect(try await c.line() == nil, "the server closes after QUIT")
        try await server.stop()
    }

    /// NOTE, ESCALATE, ESCALATIONS, RELEASE, LEAD ADD checks, and CANCEL by a team lead.
    @Test func callDeskVerbs() async throws {
        let floor = try await makeFloor()
        try floor.team("south")
        try floor.agent("asha", team: "north", role: "senior")
        try floor.agent("lead1", team: "north", role: "team_lead")
        try floor.agent("boss", team: "south", role: "admin")
        let lead = try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-60))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let asha = try await server.login("asha")
        let claim = try await asha.call("CLAIM")
        let lease = try #require(value(claim.first, "lease"))

        let note = try await asha.call(#"NOTE lead=\#(lead) text="customer asked for the pickup charges" idem=n1"#)
        #expect(note.first?.hasPrefix("OK lead=\(lead) event=") == true, "\(note)")
        #expect(try await asha.call(#"NOTE lead=\#(lead) text="customer asked for the pickup charges" idem=n1"#) == note)
        #expect(code(try await asha.call("NOTE lead=\(lead) text=\"  \"").first) == "NOTE_REQUIRED")

        let escalated = try await asha.call(#"ESCALATE lead=\#(lead) to=pricing summary="quote 20% below competitor" ask="match 19,000?""#)
        #expect(value(escalated.first, "to") == "pricing" && value(escalated.first, "status") == "open", "\(escalated)")
        let list = try await asha.call("ESCALATIONS status=open")
        #expect(list.first == "OK rows=1")
        #expect(value(list[1], "ask") == "match 19,000?" && value(list[1], "agent") == "asha" && value(list[1], "time") != nil)
        #expect(code(try await asha.call("ESCALATE lead=\(lead) to=legal summary=x ask=y").first) == "BAD_ARG")

        #expect(code(try await asha.call("RELEASE lead=\(lead) lease=\(lease)").first) == "NOTE_REQUIRED")
        let released = try await asha.call("RELEASE lead=\(lead) lease=\(lease) note=\"wrong language, needs Tamil\" idem=r1")
        #expect(released == ["OK lead=\(lead) state=follow_up"], "a note took it out of Not Called")
        #expect(try await asha.call("RELEASE lead=\(lead) lease=\(lease) note=\"wrong language, needs Tamil\" idem=r1") == released,
                "a retried RELEASE gets the first reply")
        #expect(code(try await asha.call("RELEASE lead=\(lead) lease=\(lease) note=other idem=r1").first) == "CONFLICT")
        #expect(code(try await asha.call("TOUCH lead=\(lead) lease=\(lease)").first) == "LEASE_LOST")

        let bad = try await asha.call("LEAD ADD phone=12345 name=Ravi city=Pune pincode=0123 category=phone brand=Apple model=X variant=Y price=10 source=app team=north")
        #expect(code(bad.first) == "BAD_ARG")
        #expect(bad.first?.contains("phone:") == true && bad.first?.contains("pincode:") == true, "\(bad)")
        let add = "LEAD ADD phone=+91-98765-43210 name=Ravi city=Pune pincode=411001 category=phone brand=Apple model=\"iPhone 15 Pro\" variant=256GB price=8000000 source=app"
        #expect(code(try await asha.call(add + " team=south").first) == "DENIED")
        #expect(code(try await asha.call(add + " team=east").first) == "NOT_FOUND")
        let added = try await asha.call(add + " team=north")
        #expect(value(added.first, "created") == "1" && value(added.first, "high_end") == "1", "\(added)")
        let boss = try await server.login("boss")
        let elsewhere = try await boss.call(add.replacingOccurrences(of: "98765", with: "98766") + " team=north")
        #expect(value(elsewhere.first, "created") == "1", "admins add anywhere: \(elsewhere)")

        // An order to cancel: convert the High-End lead just added (a Pune lead picked up in
        // Bengaluru: the city confirmed on the call must match the pincode's).
        let second = try await asha.call("CLAIM")
        let secondLead = try #require(value(second.first, "lead"))
        let convert = #"CONVERT lead=\#(secondLead) lease=\#(value(second.first, "lease")!) idem=o1 consent=1 price_confirmed=true category=phone brand=Apple model="iPhone 15 Pro" variant=256GB conditions=screen:ok city=Bengaluru pincode=560001 address="5 MG Road, Bengaluru" landmark="near the fountain" slot=\#(wireTime(7200, after: floor.now)) payment=bank payment_ref=123456789012"#
        let order = try await asha.call(convert)
        let orderID = try #require(value(order.first, "order"), "\(order)")
        let retried = try await asha.call(convert)  // the same line, byte for byte
        #expect(retried == order, "a retried CONVERT gets the first reply")
        let metrics = try await scrape(server)
        #expect(metrics.contains("leadline_conversions_total 1"), "the replay is not a second conversion")
        #expect(metrics.contains(#"leadline_dispositions_total{code="create_order"} 1"#))
        let lead1 = try await server.login("lead1")
        #expect(code(try await lead1.call("CANCEL order=\(orderID) reason=\"  \"").first) == "BAD_ARG")
        let cancelled = try await lead1.call("CANCEL order=\(orderID) reason=\"price dispute\" idem=c1")
        #expect(cancelled == ["OK order=\(orderID) lead=\(secondLead) status=cancelled"])
        #expect(try await lead1.call("CANCEL order=\(orderID) reason=\"price dispute\" idem=c1") == cancelled, "a retried CANCEL gets the first reply")
        #expect(code(try await lead1.call("CANCEL order=\(orderID) reason=again").first) == "CONFLICT")
        try await server.stop()
    }

    /// PING, HELP, levels before and after AUTH, a second AUTH, team boundaries.
    @Test func authAndRoles() async throws {
        let floor = try await makeFloor()
        try floor.team("south")
        try floor.agent("ravi", team: "north")
        try floor.agent("lead1", team: "north", role: "team_lead")
        try floor.agent("meera", team: "south")
        let southLead = try floor.lead(team: "south", createdAt: floor.now.addingTimeInterval(-60))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)

        let c = try await server.connect()
        #expect(value(try await c.call("PING").first, "time") != nil)
        let help = try await c.call("HELP")
        #expect(help.first == "OK rows=\(VerbCatalogue.all.count)")
        #expect(help[1] == #"ROW verb=AUTH role=none usage="AUTH agent= token=" summary="Log in as an agent.""#)
        #expect(try await c.call(#"HELP verb="lead add""#).count == 3)
        #expect(code(try await c.call("HELP verb=fly").first) == "UNKNOWN_VERB")
        #expect(try await c.call("#n CLAIM") == ["ERR #n NOAUTH CLAIM needs AUTH agent= token= first"])
        #expect(code(try await c.call("CANCEL order=1 reason=x").first) == "NOAUTH")
        #expect(code(try await c.call("AUTH agent=ravi token=wrong").first) == "AUTH_FAILED")
        #expect(code(try await c.call("AUTH agent=nobody token=secret").first) == "AUTH_FAILED")
        #expect(try await c.call("AUTH agent=ravi token=secret") == ["OK agent=ravi role=agent team=north"])
        #expect(code(try await c.call("AUTH agent=ravi token=secret").first) == "DENIED", "a second AUTH")
        #expect(code(try await c.call("CANCEL order=1 reason=dispute").first) == "DENIED", "CANCEL is for team leads")
        #expect(code(try await c.call("ASSIGN lead=1 agent=ravi").first) == "DENIED")
        #expect(code(try await c.call("CLAIM view=high_end").first) == "DENIED", "a junior may not ask for High Ends")
        #expect(code(try await c.call("LEAD SHOW lead=\(southLead)").first) == "DENIED", "another team's lead")
        #expect(code(try await c.call("LEAD SHOW lead=999999").first) == "NOT_FOUND")

        let lead = try await server.login("lead1")
        let assign = try await lead.call("ASSIGN lead=\(southLead) agent=ravi")
        #expect(code(assign.first) == "DENIED" && assign.first?.contains("another team") == true, "\(assign)")
        #expect(code(try await lead.call("CANCEL order=12345 reason=dispute").first) == "NOT_FOUND")
        try await server.stop()
    }

    /// Tagged requests sent in one write come back in order with their tags, including
    /// multi-row replies and refusals.
    @Test func pipelinedRequestsWithTags() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        try floor.leads(team: "north", count: 3, createdAt: floor.now.addingTimeInterval(-60))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let c = try await server.connect()
        try await c.sendRaw(Array("""
            #a AUTH agent=asha token=secret
            #b PING
            #c NOPE
            #d MINE
            #e CLAIM
            #f MINE
            #g TOUCH lead=x lease=1
            #h PING\r
            \t
            #i QUIT
            #j PING

            """.utf8))
        var tags: [String] = []
        while let line = try await c.line() {
            if line.hasPrefix("ROW") { continue }
            let tag = line.split(separator: " ").dropFirst().first.map(String.init) ?? ""
            tags.append(String(line.prefix(3)) + tag)
        }
        #expect(tags == ["OK #a", "OK #b", "ERR#c", "OK #d", "END#d", "OK #e", "OK #f", "END#f", "ERR#g", "OK #h", "OK #i"])
        try await server.stop()
    }

    /// Garbage, control bytes and invalid UTF-8 get BAD_FORMAT and the connection stays;
    /// random bytes never crash the server; other connections are not affected.
    @Test func garbageAndRandomBytes() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let c = try await server.connect()
        #expect(code(try await c.call("#t7 NOTE text=\"oops").first) == "BAD_FORMAT")
        #expect(try await c.call("#t7 NOTE text=\"oops").first?.hasPrefix("ERR #t7 BAD_FORMAT") == true)
        try await c.sendRaw([0x50, 0x49, 0x4E, 0x47, 0x01, 0x0A])
        #expect(code(try await c.reply().first) == "BAD_FORMAT")
        try await c.sendRaw([0x50, 0x49, 0x4E, 0x47, 0x20, 0x61, 0x3D, 0xC3, 0x28, 0x0A])
        #expect(code(try await c.reply().first) == "BAD_FORMAT")
        #expect(code(try await c.call("CLAIM colour=red").first) == "BAD_ARG")
        #expect(code(try await c.call("CLAIM wait=x wait=y").first) == "BAD_ARG")
        #expect(code(try await c.call("FLY away=1").first) == "UNKNOWN_VERB")
        #expect(code(try await c.call("PING a=\"\\x00\"").first) == "BAD_ARG")
        #expect(value(try await c.call("PING").first, "time") != nil, "the connection stays usable")

        // Random bytes with newlines sprinkled in, from several connections at once.
        let other = try await server.login("asha")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for seed in 0..<4 {
                group.addTask {
                    var rng = SplitMix64(seed: UInt64(seed) &+ 99)
                    let noisy = try await ProtocolClient.connect(port: server.port)
                    for _ in 0..<200 {
                        var chunk = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                        if Bool.random(using: &rng) { chunk.append(0x0A) }
                        try? await noisy.sendRaw(chunk)
                    }
                    await noisy.close()
                }
            }
            try await group.waitForAll()
        }
        #expect(value(try await other.call("PING").first, "time") != nil, "another connection is not affected")
        let fresh = try await server.connect()
        #expect(value(try await fresh.call("PING").first, "time") != nil)
        try await server.stop()
    }

    /// A 10 MB line: LINE_TOO_LONG after earlier replies, then the connection closes; the
    /// server stays up and does not buffer the line.
    @Test func tenMegabyteLine() async throws {
        let floor = try await makeFloor()
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let c = try await server.connect()
        try await c.send("#p PING")
        var huge = Array("NOTE lead=1 text=".utf8)
        huge += [UInt8](repeating: UInt8(ascii: "x"), count: 10 * 1024 * 1024)
        huge.append(0x0A)
        try? await c.sendRaw(huge)
        let pong = try await c.line()
        #expect(pong?.hasPrefix("OK #p time=") == true)
        let refusal = try await c.line()
        #expect(refusal?.hasPrefix("ERR LINE_TOO_LONG ") == true, "\(refusal ?? "nil")")
        #expect(try await c.line() == nil, "closed after LINE_TOO_LONG")
        let fresh = try await server.connect()
        #expect(value(try await fresh.call("PING").first, "time") != nil)
        try await server.stop()
    }

    /// Past max_connections a new connection gets TOO_MANY_CONNECTIONS instead of HELLO.
    @Test func tooManyConnections() async throws {
        let floor = try await makeFloor()
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.maxConnections = 2 }
        let a = try await server.connect()
        let b = try await server.connect()
        let c = try await ProtocolClient.connect(port: server.port)
        let refused = try await c.line()
        #expect(code(refused) == "TOO_MANY_CONNECTIONS", "\(refused ?? "nil")")
        #expect(try await c.line() == nil)
        await a.close()
        #expect(try await eventually {
            let d = try await ProtocolClient.connect(port: server.port)
            defer { Task { await d.close() } }
            return try await d.line() == "HELLO leadline proto=1"
        })
        #expect(value(try await b.call("PING").first, "time") != nil)
        try await server.stop()
    }

    /// An idle connection is closed after idle_timeout; one with a waiting CLAIM is not.
    @Test func idleTimeout() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) {
            $0.idleTimeout = 60
            $0.authTimeout = 0  // this test is about idleness alone
        }
        let idle = try await server.connect()
        let waiting = try await server.login("asha")
        try await waiting.send("CLAIM wait=300")
        try await server.waitForClaimWaiters(1)
        /// Whether the server closed `client` (nil line) rather than staying silent.
        func closed(_ client: ProtocolClient) async -> Bool {
            do { return try await client.line(timeout: .milliseconds(50)) == nil } catch { return false }
        }
        // The sweeper's time is the server clock's: 59 s in, nothing is closed.
        _ = try await server.advance(by: .seconds(5), upTo: .seconds(55)) { false }
        #expect(await closed(idle) == false, "closed before idle_timeout")
        #expect(try await server.advance(by: .seconds(5), upTo: .seconds(30)) { await closed(idle) }, "closed when idle")
        // The waiting CLAIM outlived the idle connection; its own wait ends at 300 s.
        server.clock.advance(by: .seconds(300))
        let reply = try await waiting.line(timeout: .seconds(10))
        #expect(code(reply) == "EMPTY", "a waiting CLAIM is not idle: \(reply ?? "closed")")
        #expect(value(try await waiting.call("PING").first, "time") != nil)
        try await server.stop()
    }

    /// With a small pipeline depth, a client that sends far more requests than the depth
    /// before reading gets every reply, in order (the server stops reading meanwhile).
    @Test func boundedPipelining() async throws {
        let floor = try await makeFloor()
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.pipelineDepth = 2 }
        let c = try await server.connect()
        var burst = ""
        for i in 0..<2000 { burst += "#p\(i) PING\n" }
        try await c.sendRaw(Array(burst.utf8))
        for i in 0..<2000 {
            let line = try await c.line()
            #expect(line?.hasPrefix("OK #p\(i) ") == true, "\(line ?? "nil")")
        }
        try await server.stop()
    }

    /// However a connection ends (QUIT, the client hanging up mid-wait, a half-close after
    /// pipelined requests, a line too long, garbage), its slot is freed: the open-connection
    /// gauge returns to zero and max_connections admits new clients again.
    @Test func everyEndingFreesTheConnection() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.maxConnections = 5 }
        for _ in 0..<3 {
            let quitting = try await server.connect()
            #expect(try await quitting.call("QUIT").first?.hasPrefix("OK") == true)
            #expect(try await quitting.line() == nil)

            let waiting = try await server.login("asha")
            try await waiting.send("CLAIM wait=30")
            try await Task.sleep(for: .milliseconds(100))
            await waiting.close()

            let halfClosed = try await server.connect()
            try await halfClosed.sendRaw(Array("#a PING\n#b PING\nNOPE\n".utf8))
            try await halfClosed.closeOutput()
            #expect(try await halfClosed.line()?.hasPrefix("OK #a ") == true)
            #expect(try await halfClosed.line()?.hasPrefix("OK #b ") == true)
            #expect(code(try await halfClosed.line()) == "UNKNOWN_VERB")
            #expect(try await halfClosed.line() == nil, "closed after answering what it read")

            let tooLong = try await server.connect()
            try await tooLong.sendRaw(Array(repeating: UInt8(ascii: "x"), count: 20_000))
            #expect(code(try await tooLong.line()) == "LINE_TOO_LONG")
            #expect(try await tooLong.line() == nil)

            let rude = try await server.connect()
            try await rude.sendRaw([0xFF, 0x00, 0x0A, 0x41])
            await rude.close()
        }
        #expect(try await eventually { try await scrape(server).contains("leadline_connections 0.0") },
                "every connection left the registry")
        var clients: [ProtocolClient] = []
        for _ in 0..<5 { clients.append(try await server.connect()) }
        for client in clients { #expect(value(try await client.call("PING").first, "time") != nil) }
        try await server.stop()
    }

    /// Repeated AUTH failures from one address are answered more slowly: the delay is
    /// the server clock's, so the test moves that clock and measures how far it had to.
    @Test func authFailuresSlowDown() async throws {
        let floor = try await makeFloor()
        try floor.agent("ravi", team: "north")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) {
            $0.authFreeFailures = 2
            $0.authMaxDelay = 1
        }
        let c = try await server.connect()
        // At rest every background loop sleeps on the clock; an AUTH that is being
        // delayed is one more sleeper.
        try await Task.sleep(for: .milliseconds(200))
        /// Sends AUTH and, while it sleeps on the clock, moves the clock in 100 ms steps
        /// until the reply comes; returns the reply and how far the clock had to move.
        func auth(_ token: String) async throws -> (reply: String?, waited: Duration) {
            // The sleepers at rest are counted per AUTH (background passes come and go), and
            // a reply gets 250 ms of real time before the clock moves: under load a free AUTH
            // (one database round trip) can take longer than a few tens of milliseconds.
            let resting = server.clock.sleeperCount
            try await c.send("AUTH agent=ravi token=\(token)")
            var moved = Duration.zero
            while moved < .seconds(5) {
                do {
                    return (try await c.line(timeout: .milliseconds(250)), moved)
                } catch ProtocolClient.Failure.timedOut {
                    if server.clock.sleeperCount > resting {
                        server.clock.advance(by: .milliseconds(100))
                        moved += .milliseconds(100)
                    }
                }
            }
            return (nil, moved)
        }
        var waited: [Duration] = []
        for _ in 0..<5 {
            let (reply, moved) = try await auth("guess")
            #expect(code(reply) == "AUTH_FAILED", "\(reply ?? "nil")")
            waited.append(moved)
        }
        #expect(waited[0] == .zero && waited[1] == .zero, "the first failures are free: \(waited)")
        #expect(waited[2] >= .milliseconds(250), "third failure waits: \(waited)")
        #expect(waited[3] >= .milliseconds(500) && waited[4] >= .milliseconds(1000), "growing, up to the maximum: \(waited)")
        #expect(waited[4] <= .milliseconds(1100), "never beyond auth_max_delay: \(waited)")
        // A success (after its own delay) clears the address.
        #expect(try await auth("secret").reply?.hasPrefix("OK") == true)
        #expect(value(try await c.call("PING").first, "time") != nil)
        try await server.stop()
    }

    /// A disconnected holder keeps its lease; after a new AUTH, MINE shows it and the call
    /// can be finished.
    @Test func disconnectKeepsLeases() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        let lead = try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-60))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let first = try await server.login("asha")
        let claim = try await first.call("CLAIM")
        let lease = try #require(value(claim.first, "lease"))
        await first.close()
        try await Task.sleep(for: .milliseconds(300))
        let again = try await server.login("asha")
        let mine = try await again.call("MINE")
        #expect(mine.count == 3)
        #expect(value(mine[1], "lead") == String(lead) && value(mine[1], "lease") == lease)
        let done = try await again.call("DISPOSE lead=\(lead) lease=\(lease) code=wrong_number note=\"number belongs to someone else\"")
        #expect(done == ["OK lead=\(lead) code=wrong_number state=closed outcome=wrong_number"])
        try await server.stop()
    }

    /// GET /metrics over HTTP on the metrics port.
    @Test func metricsEndpoint() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-60))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let c = try await server.login("asha")
        _ = try await c.call("CLAIM")
        _ = try await c.call("NOPE")
        let port = try #require(server.metricsPort)
        let http = try await ProtocolClient.connect(port: port)
        try await http.sendRaw(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        var lines: [String] = []
        while let line = try await http.line() { lines.append(line) }
        #expect(lines.first == "HTTP/1.1 200 OK")
        #expect(lines.contains(#"leadline_claims_total{view="not_called"} 1"#))
        #expect(lines.contains(#"leadline_errors_total{code="UNKNOWN_VERB"} 1"#))
        #expect(lines.contains("leadline_connections 1.0"))
        #expect(lines.contains { $0.hasPrefix("leadline_claim_latency_seconds_count 1") })
        let missing = try await ProtocolClient.connect(port: port)
        try await missing.sendRaw(Array("GET / HTTP/1.0\r\n\r\n".utf8))
        #expect(try await missing.line() == "HTTP/1.1 404 Not Found")
        try await server.stop()
    }
}

/// The server's `GET /metrics` body, one line per element.
func scrape(_ server: TestServer) async throws -> [String] {
    let port = try #require(server.metricsPort)
    let http = try await ProtocolClient.connect(port: port)
    try await http.sendRaw(Array("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
    var lines: [String] = []
    while let line = try await http.line() { lines.append(line) }
    return lines
}

/// A small deterministic generator for the random-bytes test.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
