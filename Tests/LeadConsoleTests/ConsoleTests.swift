import Foundation
@testable import LeadConsole
import LeadCore
import LeadProtocol
import LeadServer
import LeadTesting
import Synchronization
import Testing

/// The console's own pieces: the time-picker translation, logins and verbs run in-process
/// (the protocol's roles and team boundary), and the shared live feed.
@Suite(.serialized) struct ConsoleTests {
    @Test func localTimeUsesTheTeamsOffset() {
        #expect(ConsoleVerbs.localTime("2026-06-16T19:00", timeZone: "Asia/Kolkata") == "2026-06-16T19:00:00+05:30")
        #expect(ConsoleVerbs.localTime("2026-01-16T19:00", timeZone: "Europe/London") == "2026-01-16T19:00:00+00:00")
        #expect(ConsoleVerbs.localTime("2026-07-16T19:00", timeZone: "Europe/London") == "2026-07-16T19:00:00+01:00")
        #expect(ConsoleVerbs.localTime("tomorrow", timeZone: "Asia/Kolkata") == nil)
    }

    @Test func jsonEscapesWhatAPageMustNotRun() {
        #expect(JSON.string("a\"b</script>\n") == #""a\"b\u003c/script\u003e\n""#)
        #expect(JSON.object([("lead", "1"), ("name", "Ravi")]) == #"{"lead":"1","name":"Ravi"}"#)
    }

    @Test func aFormIsTheVerbsOwnRequest() async throws {
        let floor = try await makeConsoleFloor()
        let southLead = try floor.lead(team: "south", createdAt: floor.ago(60))
        let northLead = try floor.lead(team: "north", createdAt: floor.ago(60))
        let test = try await ConsoleTestServer.start(floor)
        do {
            let server = test.server
            // The protocol's AUTH: a wrong token is AUTH_FAILED.
            guard case .failure(let refusal) = await server.logIn(agent: "north-lead", token: "wrong", remote: "127.0.0.9") else {
                Issue.record("a wrong token logged in")
                return
            }
            #expect(refusal.code == "AUTH_FAILED")
            guard case .success(var lead) = await server.logIn(agent: "north-lead", token: "secret", remote: "127.0.0.9"),
                  case .success(var agent) = await server.logIn(agent: "north-agent1", token: "secret", remote: "127.0.0.9") else {
                Issue.record("login failed")
                return
            }
            #expect(lead.oversees && !agent.oversees)
            #expect(lead.feedScope == .team(lead.teamID))

            // The team boundary and the levels are the verbs' own.
            let other = await ConsoleVerbs.run(verb: "ASSIGN", args: [("lead", "\(southLead)"), ("agent", "north-agent1")],
                                               timeZone: "Asia/Kolkata", server: server, login: &lead)
            #expect(other.contains("\"ok\":false") && (other.contains("DENIED") || other.contains("NOT_FOUND")), "\(other)")
            let queues = await ConsoleVerbs.run(verb: "QUEUES", args: [], timeZone: "Asia/Kolkata", server: server, login: &agent)
            #expect(queues.contains("\"code\":\"DENIED\""), "\(queues)")
            let auth = await server.perform(Request(verb: "AUTH", args: [Field("agent", "x"), Field("token", "y")]), as: &agent)
            #expect(auth == .error(tag: nil, code: "DENIED", message: "the console logs in and out itself"))
            let unknown = await ConsoleVerbs.run(verb: "STAR", args: [("colour", "red")], timeZone: "Asia/Kolkata", server: server, login: &lead)
            #expect(unknown.contains("\"code\":\"BAD_ARG\""), "\(unknown)")

            // An empty field is an unsent key; a callback time on the team's clock.
            let assigned = await ConsoleVerbs.run(verb: "ASSIGN", args: [("lead", "\(northLead)"), ("agent", "north-agent1"), ("force", " ")],
                                                  timeZone: "Asia/Kolkata", server: server, login: &lead)
            #expect(assigned.contains("\"ok\":true"), "\(assigned)")
            let claim = await ConsoleVerbs.run(verb: "CLAIM", args: [], timeZone: "Asia/Kolkata", server: server, login: &agent)
            #expect(claim.contains("\"lead\":\"\(northLead)\""), "\(claim)")
            let dispose = await ConsoleVerbs.run(
                verb: "DISPOSE",
                args: [("lead", "\(northLead)"), ("lease", "1"), ("code", "callback"), ("note", "call at 7"), ("at_local", "2026-06-16T19:00")],
                timeZone: "Asia/Kolkata", server: server, login: &agent)
            #expect(dispose.contains("\"next_at\":\"2026-06-16T13:30:00Z\""), "\(dispose)")

            // A disabled agent's console login is no longer current.
            #expect(try await server.isCurrent(agent))
            _ = try floor.query("UPDATE agents SET status = 'disabled' WHERE name = 'north-agent1'")
            #expect(try await server.isCurrent(agent) == false)

            // Audited as on the protocol: the ASSIGN is in the floor-action log.
            let audit = await ConsoleVerbs.run(verb: "AUDIT", args: [], timeZone: "Asia/Kolkata", server: server, login: &lead)
            #expect(audit.contains("\"action\":\"assign\""), "\(audit)")
        } catch {
            Issue.record(error)
        }
        try await test.stop()
    }

    @Test func sessionsExpireOnTheFloorClock() {
        let sessions = ConsoleSessions(idleLimit: 1800)
        let start = Floor.start
        let login = ConsoleLogin.placeholderForTests()
        let (id, entry) = sessions.create(login, timeZone: "Asia/Kolkata", now: start)
        #expect(entry.csrf.count == 64 && id.count == 64 && id != entry.csrf)
        #expect(sessions.find(id, now: start.addingTimeInterval(1700)) != nil)
        // The request at 1,700 s counted as activity: 1,800 s after it, still 100 s to go.
        #expect(sessions.find(id, now: start.addingTimeInterval(3400), touch: false) != nil)
        #expect(sessions.find(id, now: start.addingTimeInterval(3600)) == nil)
        #expect(sessions.find(id, now: start.addingTimeInterval(10)) == nil, "an expired login is forgotten")
        #expect(ConsoleSessions.same("abc", "abc") && !ConsoleSessions.same("abc", "abd") && !ConsoleSessions.same("abc", "ab"))
    }

    /// Many open boards share one refresh per change, and each sees the change.
    @Test func oneFeedForManyBoards() async throws {
        let floor = try await makeConsoleFloor()
        try floor.leads(team: "north", count: 50, createdAt: floor.ago(600))
        let test = try await ConsoleTestServer.start(floor, feedFallback: .seconds(600))
        do {
            let feed = test.console.feed
            guard case .success(var lead) = await test.server.logIn(agent: "north-lead", token: "secret", remote: "127.0.0.9") else {
                Issue.record("login failed")
                return
            }
            let boards = 100
            let seenPaused = Counter()
            let firstMessages = Counter()
            let subscriptions = (0..<boards).map { _ in feed.subscribe(scope: lead.feedScope, board: true) }
            let readers = subscriptions.map { subscription in
                Task {
                    var first = true
                    for await message in subscription.messages {
                        if first, message.hasPrefix("event: floor") {
                            first = false
                            firstMessages.add()
                        }
                        if message.contains("\"agent\":\"north-agent2\""), message.contains("\"status\":\"paused\"") {
                            seenPaused.add()
                            return
                        }
                    }
                }
            }
            #expect(try await eventually { firstMessages.value == boards }, "every board got the floor")
            #expect(feed.subscriberCount == boards)
            let before = feed.refreshCount
            let started = ContinuousClock.now
            let reply = await test.server.perform(Request(verb: "PAUSE", args: [Field("agent", "north-agent2")]), as: &lead)
            guard case .ok = reply else {
                Issue.record("PAUSE: \(reply)")
                return
            }
            #expect(try await eventually { seenPaused.value == boards }, "every board saw the agent paused")
            // The figure on a quiet machine is in BENCHMARKS.md; here the bound only catches a
            // feed that waits for its fallback refresh (disabled: 600 s) instead of the NOTIFY.
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(5), "the change reached \(boards) boards in \(elapsed)")
            print("console feed: PAUSE reached \(boards) boards in \(elapsed)")
            let refreshes = feed.refreshCount - before
            #expect(refreshes >= 1 && refreshes <= 3, "\(refreshes) refreshes for one change and \(boards) boards")
            for reader in readers { reader.cancel() }
            for subscription in subscriptions { feed.unsubscribe(subscription.id) }
            #expect(feed.subscriberCount == 0)
        } catch {
            Issue.record(error)
        }
        try await test.stop()
    }

    /// An SLA breach recorded by the background pass reaches an open board through
    /// NOTIFY leadline_breach; a desk (an agent's feed) is not sent breaches.
    @Test func breachesArriveAsTheyHappen() async throws {
        let floor = try await makeConsoleFloor()
        let highEnd = try floor.lead(team: "north", highEnd: true, createdAt: floor.ago(60))
        let test = try await ConsoleTestServer.start(floor, feedFallback: .seconds(600))
        do {
            let feed = test.console.feed
            guard case .success(let lead) = await test.server.logIn(agent: "north-lead", token: "secret", remote: "127.0.0.9") else {
                Issue.record("login failed")
                return
            }
            let board = feed.subscribe(scope: lead.feedScope, board: true)
            let desk = feed.subscribe(scope: lead.feedScope, board: false)
            let breach = Task { () -> String? in
                for await message in board.messages where message.hasPrefix("event: breach") { return message }
                return nil
            }
            let deskBreaches = Task { () -> Int in
                var n = 0
                for await message in desk.messages where message.hasPrefix("event: breach") { n += 1 }
                return n
            }
            try await test.advance(by: .seconds(20 * 60))
            let arrived = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask { await breach.value }
                group.addTask { try await Task.sleep(for: .seconds(10)); return nil }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            #expect(arrived?.contains("\"lead\":\"\(highEnd)\"") == true, "\(arrived ?? "no breach")")
            #expect(arrived?.contains("\"view\":\"high_end\"") == true)
            #expect(arrived?.contains("\"kind\":\"sla_breached\"") == true)
            feed.unsubscribe(board.id)
            feed.unsubscribe(desk.id)
            #expect(await deskBreaches.value == 0)
        } catch {
            Issue.record(error)
        }
        try await test.stop()
    }
}

extension ConsoleLogin {
    /// A login value for the session table's own tests (no server behind it).
    static func placeholderForTests() -> ConsoleLogin {
        ConsoleLogin.anonymous(remote: "127.0.0.9")
    }
}

/// A count shared between tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
