import Foundation
import LeadCore
import LeadStore
import Logging
import Postgres
import ServiceLifecycle

/// The clock of the floor: every ~300 ms it runs `LeadQueue.tick` (lease reaper, callback
/// promoter, reservation expiry, SLA watcher) so callbacks come due on time and leases of
/// agents who went away return to the queue, then FloorControl's passes (SIGNAL boosts
/// that ran out, each team's end-of-shift unstar at its local time); every few seconds it
/// refreshes the queue-depth gauge. Alongside, once a minute, it refreshes the BI rollups
/// (`BIRollup`, docs/BI.md) so the views stay current, and every half second (real time) it folds the
/// board's change log into the kept queue counts (`BoardTally`, behind QUEUES and the
/// console's board). Several instances may run it at once (the SQL skips locked rows; a
/// fold already running elsewhere makes this one's a no-op).
///
/// Time comes from the injected `FloorClock`: each pass runs at `clock.now()` and the tick
/// and BI intervals are slept on the clock, so a test with a `ManualClock` runs the passes
/// by advancing time. (Only the queue-depth gauge's and the board fold's pacing use real
/// time: they bound the real cost of the database work.)
public struct BackgroundPasses: Service {
    let pool: PostgresPool
    let interval: Double
    let metrics: ServerMetrics
    let logger: Logger
    let clock: any FloorClock
    /// Seconds between queue-depth refreshes, at least; on a large queue the count itself
    /// takes long (0.6 s for 900k ready leads), so the next one waits 20 times as long as
    /// the last took: the gauge never costs more than ~5 % of one database connection.
    let depthInterval = 5.0
    /// The BI refresh's statement limit instead of `query_timeout`: it takes up to ~11 s
    /// after a busy minute at 1M leads; ten minutes still frees its connection from a
    /// frozen database.
    static let biRefreshTimeout = PostgresTimeout.after(.seconds(600))
    /// Seconds between BI rollup refreshes; 0 = none from this instance.
    let biInterval: Double
    /// Seconds between board folds: a change reaches an open board within this plus the
    /// feed's refresh (docs/CONSOLE.md "Performance").
    static let boardFoldInterval = 0.5

    public init(pool: PostgresPool, interval: Double, biInterval: Double = 60, metrics: ServerMetrics,
                clock: any FloorClock, logger: Logger) {
        self.pool = pool
        self.clock = clock
        self.interval = max(0.05, interval)
        self.biInterval = biInterval
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runTicks() }
            group.addTask { await self.runBoardFold() }
            if biInterval > 0 { group.addTask { await self.runBIRefresh() } }
        }
    }

    /// The BI rollups: a separate loop so a refresh (up to ~1 s at 1M leads) never delays
    /// callbacks or the lease reaper. Another instance refreshing at the same time makes
    /// this one skip (BIRollup returns nil).
    private func runBIRefresh() async {
        var failing = false
        let clock = self.clock
        while !Task.isCancelled {
            let now = clock.now()
            do {
                // Up to ~11 s after a busy minute at 1M leads: not under query_timeout.
                let refresh = try await pool.withConnection(timeout: Self.biRefreshTimeout) { c in try BIRollup().refresh(c, now: now) }
                if let refresh {
                    logger.debug("BI rollups refreshed", metadata: ["leads": "\(refresh.leads)", "seconds": "\(refresh.seconds)"])
                } else {
                    await biRefreshSkipped(reason: "busy", now: now)  // BIRefreshSkips.swift
                }
                failing = false
            } catch {
                if Task.isCancelled { return }  // stopping, not failing
                metrics.backgroundFailures.increment()
                await biRefreshSkipped(reason: "failed", error: error, now: now, logged: !failing)
                failing = true
            }
            do {
                try await clock.sleep(for: .seconds(biInterval * Double.random(in: 0.9...1.1)))
            } catch {
                return
            }
        }
    }

    /// The board fold: its own loop, so a long first fold after a bulk import (50,000 log
    /// entries per pass) never delays the lease reaper. A full batch is followed at once by
    /// the next one.
    private func runBoardFold() async {
        var failing = false
        let clock = self.clock
        while !Task.isCancelled {
            var full = false
            do {
                let fold = try await pool.withConnection(timeout: BoardTally.foldTimeout) { c in try BoardTally().fold(c, now: clock.now()) }
                full = fold.folded >= BoardTally.defaultBatch
                if failing { logger.info("board fold running again") }
                failing = false
            } catch {
                if Task.isCancelled { return }
                metrics.backgroundFailures.increment()
                if !failing { logger.warning("board fold failed; retrying", metadata: ["error": "\(error)"]) }
                failing = true
            }
            if full { continue }
            // Paced in real time, not on the floor clock: the pace bounds the database's
            // work (like the queue-depth gauge), and a test's ManualClock then sees no
            // sleeper come and go (the fold's `now` is still the floor clock's).
            do {
                try await Task.sleep(for: .milliseconds(Int(Self.boardFoldInterval * Double.random(in: 0.8...1.2) * 1000)))
            } catch {
                return
            }
        }
    }

    private func runTicks() async {
        var lastDepth = ContinuousClock.now - .seconds(depthInterval)
        var depthEvery = Duration.seconds(depthInterval)
        var failing = false
        let clock = self.clock
        while !Task.isCancelled {
            do {
                let passes = try await pool.withConnection { c in try LeadQueue().tick(c, now: clock.now()) }
                let floor = try await pool.withConnection { c in
                    let now = clock.now()
                    return (boosts: try FloorControl().expireBoosts(c, now: now), shiftEnds: try FloorControl().unstarAtShiftEnd(c, now: now))
                }
                for team in floor.shiftEnds {
                    logger.info("end of shift: leads unstarred", metadata: ["team": "\(team.team)", "unstarred": "\(team.unstarred)"])
                }
                if passes.expired > 0 { metrics.leasesExpired.increment(by: Int64(passes.expired)) }
                if passes.promoted > 0 { metrics.callbacksPromoted.increment(by: Int64(passes.promoted)) }
                if passes.breached > 0 { metrics.slaBreaches.increment(by: Int64(passes.breached)) }
                if passes.expired + passes.promoted + passes.pooled + passes.breached + floor.boosts > 0 {
                    logger.debug("background pass", metadata: [
                        "expired": "\(passes.expired)", "promoted": "\(passes.promoted)",
                        "pooled": "\(passes.pooled)", "breached": "\(passes.breached)", "boosts_ended": "\(floor.boosts)",
                    ])
                }
                if ContinuousClock.now - lastDepth >= depthEvery {
                    lastDepth = ContinuousClock.now
                    let depth = try await pool.withConnection { c in try LeadCards().queueDepth(c) }
                    for (view, n) in depth { metrics.queueDepth(view: view, n) }
                    depthEvery = max(.seconds(depthInterval), (ContinuousClock.now - lastDepth) * 20)
                }
                metrics.backgroundPasses.increment()
                if failing { logger.info("background passes running again") }
                failing = false
            } catch {
                if Task.isCancelled { return }  // stopping, not failing
                metrics.backgroundFailures.increment()
                if !failing { logger.warning("background pass failed; retrying", metadata: ["error": "\(error)"]) }
                failing = true
            }
            let jitter = Double.random(in: 0.8...1.2)
            do {
                try await clock.sleep(for: .milliseconds(Int(interval * jitter * 1000)))
            } catch {
                return
            }
        }
    }
}
