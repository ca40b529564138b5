import Foundation
import LeadServer
import Testing

@Suite("metrics_port setting")
struct MetricsPortConfigTests {
    @Test(arguments: [("off", -1), ("OFF", -1), ("-1", -1), ("0", 0), ("9500", 9500)])
    func acceptsAPortOrOff(value: String, port: Int) throws {
        let (config, _) = try ServerConfig.resolve(flags: ["metrics_port": value], environment: [:], fileText: nil)
        #expect(config.metricsPort == port)
        let (fromFile, _) = try ServerConfig.resolve(flags: [:], environment: [:], fileText: "metrics_port = \(value)")
        #expect(fromFile.metricsPort == port)
    }

    @Test(arguments: ["-2", "65536", "on", ""])
    func refusesOtherValues(value: String) {
        #expect(throws: ServerConfig.Invalid.self) {
            try ServerConfig.resolve(flags: ["metrics_port": value], environment: [:], fileText: nil)
        }
    }

    /// The help says how to turn it off in a form the flag parser takes.
    @Test func helpShowsTheWorkingSpelling() throws {
        let help = try #require(ServerConfig.key("metrics_port")).help
        #expect(help.contains("--metrics-port=-1"))
        #expect(help.contains("off"))
    }
}
