import Foundation
import LeadClient
import LeadServer
import LeadTesting
import Testing

/// The short version of `leadline bench fuzz`: the same driver, 20,000 random and mutated
/// lines against an in-process server, over connections logged in as an agent and as a
/// team lead and one that never logs in.
@Suite("Protocol fuzz against a live server")
struct ProtocolFuzzTests {
    @Test func twentyThousandLinesEachGetOneKnownReply() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior", capacity: 2)
        try floor.agent("tara", team: "north", role: "team_lead")
        try floor.agent("ravi", team: "north")
        try floor.leads(team: "north", count: 200, highEndEvery: 10, createdAt: Date().addingTimeInterval(-600))
        let ids = try floor.query("SELECT id FROM leads ORDER BY id").rows.compactMap { $0.int64("id") }
        // No AUTH deadline (its unsolicited NOAUTH would break the count of one reply per
        // line) and no AUTH slow-down (failed AUTHs are part of the fuzz).
        let server = try await TestServer.start(conninfo: floor.conninfo) {
            $0.authTimeout = 0
            $0.idleTimeout = 0  // the clock moves on during the run (below)
            $0.authMaxDelay = 0
            $0.metricsPort = -1
        }
        let asha = ProtocolFuzzer.Login(agent: "asha", token: "secret")
        let tara = ProtocolFuzzer.Login(agent: "tara", token: "secret")
        var settings = ProtocolFuzzer.Settings(port: server.port, lines: 20_000, connections: [asha, tara, nil, asha])
        settings.leadIDs = ids
        settings.agentNames = ["asha", "tara", "ravi"]
        settings.teams = ["north"]
        settings.replyTimeout = .seconds(30)
        // The server's clock moves on by itself here (a second every 100 ms), so a
        // `CLAIM wait=1` that finds nothing ends at its deadline instead of waiting for a
        // clock that stands still (the requests pipelined behind it would go unanswered).
        let ticker = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(100))
                server.clock.advance(by: .seconds(1))
            }
        }
        let report = await ProtocolFuzzer(settings).run()
        ticker.cancel()
        print(report.description)
        #expect(report.passed, "\(report.failures) failures: \(report.failureSamples.joined(separator: "\n"))")
        #expect(report.lines == 20_000)
        for code in ["OK", "BAD_FORMAT", "BAD_ARG", "UNKNOWN_VERB", "NOAUTH", "LINE_TOO_LONG"] {
            #expect(report.byCode[code, default: 0] > 0, "no \(code) reply in the run: the generator lost a case")
        }
        #expect(report.reconnects > 0, "QUIT and over-long lines reconnect")
        // The server is still up and serving.
        let after = try await server.login("asha")
        #expect(value(try await after.call("PING").first, "time") != nil)
        try await server.stop()
    }
}
