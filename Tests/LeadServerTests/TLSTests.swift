import Foundation
import LeadServer
import LeadTesting
import Testing

/// TLS on the protocol port (`tls_cert` / `tls_key`): a TLS client that trusts the
/// certificate gets the usual session; a plain-text client gets nothing readable; a
/// half-configured or unreadable setup is refused at start-up with the key's name.
@Suite struct TLSTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let cert = fixtures.appendingPathComponent("test-cert.pem").path
    static let key = fixtures.appendingPathComponent("test-key.pem").path

    @Test func aSessionOverTLS() async throws {
        let floor = try await makeFloor()
        try floor.agent("asha", team: "north", role: "senior")
        try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-60))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) {
            $0.tlsCert = Self.cert
            $0.tlsKey = Self.key
        }
        let client = try await ProtocolClient.connect(port: server.port, tls: .caFile(Self.cert))
        #expect(try await client.line() == "HELLO leadline proto=1")
        #expect(try await client.call("AUTH agent=asha token=secret").first?.hasPrefix("OK agent=asha ") == true)
        let claim = try await client.call("CLAIM")
        #expect(claim.first?.hasPrefix("OK lead=") == true, "\(claim)")
        await client.close()

        // A client that trusts nothing but the system store refuses the self-signed server.
        let untrusting = try await ProtocolClient.connect(port: server.port, tls: .system)
        #expect(try await untrusting.line(timeout: .seconds(5)) == nil, "handshake refused: no HELLO")

        // Plain text on a TLS port: no HELLO, and a request is not understood as one.
        let plain = try await ProtocolClient.connect(port: server.port)
        try? await plain.send("PING")
        let answer = try? await plain.line(timeout: .seconds(3))
        #expect(answer != "HELLO leadline proto=1" && answer?.hasPrefix("OK") != true, "\(answer ?? "nil")")
        await plain.close()
        try await server.stop()
    }

    @Test func tlsSettingsAreCheckedAtStartUp() throws {
        #expect(throws: ServerConfig.Invalid.self) {
            try ServerConfig.resolve(flags: ["tls_cert": Self.cert], environment: [:], fileText: nil, fileName: "config")
        }
        let (both, _) = try ServerConfig.resolve(flags: ["tls_cert": Self.cert, "tls_key": Self.key], environment: [:],
                                                 fileText: nil, fileName: "config")
        #expect(try ProtocolTLS.serverContext(both) != nil)
        #expect(try ProtocolTLS.serverContext(ServerConfig()) == nil, "plain TCP by default")
        var missing = both
        missing.tlsKey = "/nonexistent/key.pem"
        #expect {
            _ = try ProtocolTLS.serverContext(missing)
        } throws: { error in
            "\(error)".hasPrefix("tls_key:")
        }
    }
}
