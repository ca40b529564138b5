import Foundation
import LeadServer
import Testing

@Suite("Server configuration")
struct ConfigTests {
    @Test func defaults() {
        let config = ServerConfig()
        #expect(config.host == "127.0.0.1" && config.port == 7878 && config.metricsPort == 9464)
        #expect(config.maxLineLength == 8192 && config.pipelineDepth == 32 && config.maxClaimWait == 300)
    }

    /// Flags beat the environment, which beats the file, which beats the defaults.
    @Test func precedence() throws {
        let file = """
            # leadline.conf
            port = 7000
            max_connections = 50   # trailing comment
            idle_timeout = 60
            database_url = "postgresql://db/leadline"
            """
        let (config, extras) = try ServerConfig.resolve(
            flags: ["port": "7100"],
            environment: ["LEADLINE_MAX_CONNECTIONS": "70", "LEADLINE_PIPELINE_DEPTH": "8", "PATH": "/bin"],
            fileText: file)
        #expect(config.port == 7100)
        #expect(config.maxConnections == 70)
        #expect(config.pipelineDepth == 8)
        #expect(config.idleTimeout == 60)
        #expect(config.host == "127.0.0.1")
        #expect(extras["database_url"] == "postgresql://db/leadline")
    }

    @Test func refusals() {
        #expect(throws: ServerConfig.Invalid.self) { try ServerConfig.resolve(flags: ["port": "99999"], environment: [:], fileText: nil) }
        #expect(throws: ServerConfig.Invalid.self) { try ServerConfig.resolve(flags: [:], environment: [:], fileText: "colour = red") }
        #expect(throws: ServerConfig.Invalid.self) { try ServerConfig.resolve(flags: [:], environment: [:], fileText: "port 7878") }
        #expect(throws: ServerConfig.Invalid.self) {
            try ServerConfig.resolve(flags: [:], environment: ["LEADLINE_IDLE_TIMEOUT": "-1"], fileText: nil)
        }
        #expect(ServerConfig.key("max-connections")?.environment == "LEADLINE_MAX_CONNECTIONS")
        #expect(ServerConfig.key("max_connections")?.flag == "--max-connections")
    }

    /// deploy/leadline.conf names every setting, with the default value.
    @Test func exampleConfigMatchesDefaults() throws {
        let here = URL(fileURLWithPath: #filePath)
        let file = here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy/leadline.conf")
        let text = try String(contentsOf: file, encoding: .utf8)
        let (config, extras) = try ServerConfig.resolve(flags: [:], environment: [:], fileText: text)
        #expect(config == ServerConfig())
        #expect(extras.isEmpty)
        for key in ServerConfig.keys {
            #expect(text.contains("\n\(key.name) = "), "deploy/leadline.conf lacks \(key.name)")
        }
    }
}
