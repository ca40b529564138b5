import Foundation
import LeadDemo
import LeadStore
import LeadTesting
import Postgres
import Testing

/// A demo restarted on its database re-tokens only the demo's own agents.
@Suite struct DemoTokenTests {
    @Test func onlyTheDemoAgentsGetFreshTokens() async throws {
        let floor = try await Floor.make()
        let c = try floor.connect()
        defer { c.close() }
        let seeded = try DemoData(leads: 0).load(into: c, now: floor.now)
        #expect(Set(seeded.agents.map(\.name)) == Set(DemoData.agentNames))
        #expect(DemoData.agentNames.count == 19)
        #expect(DemoData.agentNames.contains("south-lead") && DemoData.agentNames.contains("west-agent3")
                && DemoData.agentNames.contains("admin"))

        // An operator's agent (`leadline agent add`), and a demo agent the operator disabled.
        let directory = AgentDirectory()
        let operatorToken = try directory.addAgent(c, name: "priya", team: "north", role: "senior")
        try directory.disable(c, name: "west-agent3")

        let reissued = try DemoData.reissueTokens(c)
        #expect(Set(reissued.map(\.name)) == Set(DemoData.agentNames).subtracting(["west-agent3"]))
        #expect(!reissued.contains { $0.name == "priya" })

        // The operator's token still works; every demo agent's new token works, its old one does not.
        #expect(try directory.authenticate(c, name: "priya", token: operatorToken)?.name == "priya")
        let old = Dictionary(uniqueKeysWithValues: seeded.agents.map { ($0.name, $0.token) })
        for agent in reissued {
            #expect(try directory.authenticate(c, name: agent.name, token: agent.token)?.name == agent.name)
            #expect(try directory.authenticate(c, name: agent.name, token: old[agent.name] ?? "") == nil)
            #expect(agent.team == (agent.name == "admin" ? "south" : String(agent.name.prefix { $0 != "-" })))
        }
    }
}
