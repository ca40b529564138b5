import Foundation
import LeadServer
import LeadTesting
import Testing

@Suite("Waiting claims, shutdown and concurrency")
struct ClaimWaitTests {
    private static let addLead = "LEAD ADD phone=9876543210 name=\"Ravi Kumar\" city=Bengaluru pincode=560001 category=phone brand=Samsung model=\"Galaxy A54\" variant=128GB price=1850000 source=app team=north conditions=screen:ok,body:ok"

    /// A waiting CLAIM is woken by a LEAD ADD on another connection (through NOTIFY), long
    /// before the fallback poll would have found it.
    @Test func waitingClaimWokenByLeadAdd() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        try floor.agent("ravi", team: "north")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.claimPoll = 30 }
        let waiter = try await server.login("asha")
        let adder = try await server.login("ravi")
        try await waiter.send("#w CLAIM wait=20")
        try await server.waitForClaimWaiters(1)
        let start = ContinuousClock.now
        let added = try await adder.call(Self.addLead)
        let leadID = try #require(value(added.first, "lead"))
        #expect(value(added.first, "created") == "1" && value(added.first, "high_end") == "0" && value(added.first, "state") == "new")
        let claimed = try await waiter.line(timeout: .seconds(10))
        let delay = ContinuousClock.now - start
        print("CLAIM wait= answered \(delay) after LEAD ADD was sent on another connection (fallback poll set to 30 s)")
        #expect(value(claimed, "lead") == leadID, "\(claimed ?? "nil")")
        #expect(claimed?.hasPrefix("OK #w ") == true)
        #expect(delay < .seconds(2))
        // The same customer and device again: the open lead is updated, not duplicated.
        let again = try await adder.call(Self.addLead)
        #expect(value(again.first, "lead") == leadID && value(again.first, "created") == "0")
        try await server.stop()
    }

    /// One lead, three waiters: exactly one gets it, the others keep waiting (no herd),
    /// and the next lead goes to the next waiter.
    @Test func oneWaiterPerLead() async throws {
        let floor = try await makeFloor()
        for name in ["a1", "a2", "a3"] { try floor.agent(name, team: "north") }
        try floor.agent("adder", team: "north")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.claimPoll = 30 }
        var waiters: [ProtocolClient] = []
        for name in ["a1", "a2", "a3"] {
            let c = try await server.login(name)
            try await c.send("CLAIM wait=15")
            waiters.append(c)
        }
        try await server.waitForClaimWaiters(3)
        let adder = try await server.login("adder")
        for n in 0..<2 {
            let phone = "98765432\(10 + n)"
            _ = try await adder.call(Self.addLead.replacingOccurrences(of: "9876543210", with: phone))
        }
        var got: [String] = []
        try await withThrowingTaskGroup(of: String?.self) { group in
            for c in waiters {
                group.addTask { try? await c.line(timeout: .seconds(3)) }
            }
            for try await line in group { if let line { got.append(line) } }
        }
        #expect(got.count == 2, "\(got)")
        #expect(Set(got.compactMap { value($0, "lead") }).count == 2)
        try await server.stop()
    }

    /// A waiting CLAIM whose connection closes stops waiting and claims nothing.
    @Test func disconnectedWaiterClaimsNothing() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        try floor.agent("ravi", team: "north")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.claimPoll = 0.2 }
        let waiter = try await server.login("asha")
        try await waiter.send("CLAIM wait=30")
        try await server.waitForClaimWaiters(1)
        await waiter.close()
        #expect(try await eventually { try server.claimWaiters() == 0 }, "the wait ended with its connection")
        let adder = try await server.login("ravi")
        let lead = try #require(value(try await adder.call(Self.addLead).first, "lead"))
        // Give a wrongly surviving waiter its chances: the NOTIFY, and fallback polls
        // (0.2 s of floor time each). Proving an absence takes a little real time.
        for _ in 0..<5 {
            server.clock.advance(by: .milliseconds(250))
            try await Task.sleep(for: .milliseconds(200))
        }
        let holder = try floor.query("SELECT holder_agent_id FROM leads WHERE id = $1::bigint", [Int64(lead)!]).first?["holder_agent_id"]
        #expect(holder == nil, "nobody claimed lead \(lead)")
        try await server.stop()
    }

    /// A second CLAIM with wait>0 behind a waiting one is BUSY (answered in its turn);
    /// requests behind a waiting CLAIM are held up until it is answered.
    @Test func secondWaitingClaimIsBusy() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let c = try await server.login("asha")
        try await c.sendRaw(Array("#1 CLAIM wait=1\n#2 CLAIM wait=5\n#3 PING\n".utf8))
        try await server.waitForClaimWaiters(1)
        server.clock.advance(by: .seconds(1))  // the first CLAIM's wait is over
        let first = try await c.line()
        let second = try await c.line()
        let third = try await c.line()
        #expect(first?.hasPrefix("ERR #1 EMPTY") == true, "\(first ?? "nil")")
        #expect(second?.hasPrefix("ERR #2 BUSY") == true, "\(second ?? "nil")")
        #expect(third?.hasPrefix("OK #3 time=") == true)
        try await server.stop()
    }

    /// SIGTERM-equivalent shutdown: a waiting claimer gets SHUTTING_DOWN, an idle connection
    /// is closed, new connections are refused, and the server returns.
    @Test func gracefulShutdownWakesWaiters() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let waiter = try await server.login("asha")
        let idle = try await server.connect()
        try await waiter.send("#w CLAIM wait=60")
        try await server.waitForClaimWaiters(1)
        let started = ContinuousClock.now
        try await server.stop()
        #expect(ContinuousClock.now - started < .seconds(5))
        let reply = try await waiter.line()
        #expect(reply?.hasPrefix("ERR #w SHUTTING_DOWN") == true, "\(reply ?? "nil")")
        #expect(try await waiter.line() == nil)
        #expect(try await idle.line() == nil)
        await #expect(throws: (any Error).self) {
            let late = try await ProtocolClient.connect(port: server.port)
            _ = try await late.call("PING")
        }
    }

    /// 64 agents on 64 connections claim at once: every lead goes to exactly one agent.
    @Test func sixtyFourConcurrentClaimers() async throws {
        let floor = try await makeFloor()
        for i in 0..<64 { try floor.agent("agent\(i)", team: "north", capacity: 3) }
        try floor.leads(team: "north", count: 150, createdAt: floor.now.addingTimeInterval(-3600))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.poolSize = 8 }
        let claims = try await withThrowingTaskGroup(of: [String].self) { group in
            for i in 0..<64 {
                group.addTask {
                    let c = try await server.login("agent\(i)")
                    var leads: [String] = []
                    for _ in 0..<3 {
                        let reply = try await c.call("CLAIM")
                        if let lead = value(reply.first, "lead") {
                            leads.append(lead)
                        } else if code(reply.first) != "EMPTY" {
                            leads.append("unexpected: \(reply.first ?? "nil")")
                        }
                    }
                    await c.close()
                    return leads
                }
            }
            var all: [[String]] = []
            for try await leads in group { all.append(leads) }
            return all
        }
        let flat = claims.flatMap { $0 }
        #expect(!flat.contains { $0.hasPrefix("unexpected") }, "\(flat.filter { $0.hasPrefix("unexpected") })")
        #expect(flat.count == 150, "every lead handed out once")
        #expect(Set(flat).count == flat.count, "no lead handed to two agents")
        let held = try floor.query("SELECT count(*) AS n FROM leads WHERE holder_agent_id IS NOT NULL").first?.int("n")
        #expect(held == 150)
        try await server.stop()
    }
}
