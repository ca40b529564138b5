import Foundation
import LeadServer
import LeadTesting
import Testing

/// Issue 13, item 11: a BI refresh that cannot run is not silent.
@Suite struct BIRefreshSkipTests {
    /// While another session holds the refresh lock, the server's BI loop counts every
    /// refresh it had to give up in `leadline_bi_refresh_skipped_total{reason="busy"}`
    /// (and logs a warning), and BI tools see it in `bi.freshness`.
    @Test func aRefreshThatCannotRunIsCountedAndShownToBI() async throws {
        let floor = try await makeFloor()
        let holder = try floor.connect()
        defer { holder.close() }
        try holder.query("BEGIN")
        _ = try holder.query("SELECT 1 FROM bi_refresh_state FOR UPDATE")
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.biRefreshInterval = 60 }
        let counted = try await eventually {
            try await scrape(server).contains { $0.hasPrefix(#"leadline_bi_refresh_skipped_total{reason="busy"}"#) }
        }
        #expect(counted, "no leadline_bi_refresh_skipped_total{reason=\"busy\"} in the metrics")
        let recorded = try await eventually {
            (try floor.query("SELECT refreshes_skipped FROM bi.freshness").first?.int("refreshes_skipped") ?? 0) > 0
        }
        #expect(recorded)
        #expect(try floor.query("SELECT last_skip_reason FROM bi.freshness").first?["last_skip_reason"] == "busy")
        try holder.query("ROLLBACK")
        // Once the lock is free the refresh runs again, at its next interval of the server clock.
        #expect(try await server.advance(by: .seconds(30), upTo: .seconds(600)) {
            try floor.query("SELECT refreshed_at FROM bi.freshness").first?["refreshed_at"] != nil
        })
        try await server.stop()
    }
}
