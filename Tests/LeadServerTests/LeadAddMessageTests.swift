import Foundation
import LeadServer
import LeadTesting
import Testing

@Suite("LEAD ADD messages")
struct LeadAddMessageTests {
    /// A bad field is named once on the wire: `phone: expected …`, not `phone: phone: …`.
    @Test func badFieldsAreNamedOnce() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let asha = try await server.login("asha")
        let bad = try await asha.call("LEAD ADD phone=123 name=Ravi city=Pune pincode=0123 category=phone brand=Apple model=X variant=Y price=10 source=app team=north")
        #expect(bad == ["ERR BAD_ARG phone: expected a 10-digit mobile number, got 3 digits; pincode: must be 6 digits, not starting with 0"])
        let plus = try await asha.call("LEAD ADD phone=+19876543210 name=Ravi city=Pune pincode=411001 category=phone brand=Apple model=X variant=Y price=10 source=app team=north")
        #expect(plus == ["ERR BAD_ARG phone: only Indian numbers (+91 and 10 digits) are accepted"])
        await asha.close()
        try await server.stop()
    }
}
