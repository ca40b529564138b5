import Foundation
import Histogram
import Synchronization

/// Monotonic nanoseconds (CLOCK_MONOTONIC), the time base of every benchmark measurement.
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Latency percentiles in milliseconds, from an HdrHistogram of microseconds.
public struct LatencySummary: Sendable, Equatable {
    public var count: UInt64 = 0
    public var p50 = 0.0
    public var p99 = 0.0
    public var p999 = 0.0
    public var max = 0.0

    /// Reads the percentiles of a microsecond histogram.
    public init(_ h: Histogram<UInt64>) {
        count = h.totalCount
        guard count > 0 else { return }
        p50 = Double(h.valueAtPercentile(50)) / 1000
        p99 = Double(h.valueAtPercentile(99)) / 1000
        p999 = Double(h.valueAtPercentile(99.9)) / 1000
        max = Double(h.max) / 1000
    }

    public init() {}

    /// `p50=…ms p99=…ms p99.9=…ms`
    public var text: String {
        String(format: "p50=%.2fms p99=%.2fms p99.9=%.2fms max=%.1fms", p50, p99, p999, max)
    }
}

/// A new microsecond histogram (1 µs … 10 min, 3 significant digits).
func microsecondHistogram() -> Histogram<UInt64> {
    Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
}

/// What a timed load records, per second of the run: completed cycles, claim latencies
/// (HdrHistogram), and errors by code. Thread-safe; event-loop threads record into it.
public final class LoadRecorder: Sendable {
    struct Second {
        var cycles = 0
        var claims = microsecondHistogram()
    }

    struct State {
        var seconds: [Second]
        var all = microsecondHistogram()
        var cycle = microsecondHistogram()
        /// Latency of the request that ends a call, by verb (DISPOSE, CONVERT).
        var ends: [String: Histogram<UInt64>] = [:]
        var errors: [String: Int] = [:]
        var expected: [String: Int] = [:]
        var cyclesTotal = 0
        var outcomes: [String: Int] = [:]
    }

    private let state: Mutex<State>
    /// The measured window: [start, start + duration).
    private let startNanos = Atomic<UInt64>(0)
    public let duration: Int

    public init(seconds: Int) {
        duration = seconds
        state = Mutex(State(seconds: Array(repeating: Second(), count: seconds)))
    }

    var startNanosValue: UInt64 { startNanos.load(ordering: .acquiring) }

    /// The measured window begins now.
    public func begin() { startNanos.store(monotonicNanos(), ordering: .releasing) }

    /// Seconds since `begin`, or nil before it or after the window.
    func second(at nanos: UInt64) -> Int? {
        let start = startNanos.load(ordering: .acquiring)
        guard start > 0, nanos >= start else { return nil }
        let s = Int((nanos - start) / 1_000_000_000)
        return s < duration ? s : nil
    }

    /// True once the measured window is over.
    public var isOver: Bool {
        let start = startNanos.load(ordering: .acquiring)
        return start > 0 && monotonicNanos() >= start + UInt64(duration) * 1_000_000_000
    }

    /// A claim answered with a lead after `micros`.
    public func claim(micros: UInt64, at nanos: UInt64) {
        guard let s = second(at: nanos) else { return }
        state.withLock { st in
            _ = st.seconds[s].claims.record(max(1, micros))
            _ = st.all.record(max(1, micros))
        }
    }

    /// A CLAIM → DISPOSE/CONVERT cycle completed (`outcome` = the disposition code used).
    public func cycle(micros: UInt64, outcome: String, at nanos: UInt64) {
        guard let s = second(at: nanos) else { return }
        state.withLock { st in
            st.seconds[s].cycles += 1
            st.cyclesTotal += 1
            st.outcomes[outcome, default: 0] += 1
            _ = st.cycle.record(max(1, micros))
        }
    }

    /// The DISPOSE or CONVERT that ended a call was answered after `micros`.
    public func end(verb: String, micros: UInt64, at nanos: UInt64) {
        guard second(at: nanos) != nil else { return }
        state.withLock { st in
            _ = st.ends[verb, default: microsecondHistogram()].record(max(1, micros))
        }
    }

    /// An unexpected error reply or failure.
    public func error(_ code: String) {
        state.withLock { $0.errors[code, default: 0] += 1 }
    }

    /// An expected refusal the floor handles (EMPTY, NOT_SERVICEABLE, …): counted apart.
    public func expected(_ code: String) {
        state.withLock { $0.expected[code, default: 0] += 1 }
    }

    /// The figures of seconds [start, start + length) of the window (clamped to it).
    public func interval(start: Int, length: Int) -> IntervalFigures {
        state.withLock { st in
            let r = (start..<(start + length)).clamped(to: 0..<st.seconds.count)
            var h = microsecondHistogram()
            var cycles = 0
            for s in r {
                cycles += st.seconds[s].cycles
                h.add(st.seconds[s].claims)
            }
            return IntervalFigures(start: r.lowerBound, seconds: r.count, cycles: cycles, claims: LatencySummary(h))
        }
    }

    /// The window cut into intervals of `every` seconds (the last one shorter when `every`
    /// does not divide the window).
    public func intervals(every: Int) -> [IntervalFigures] {
        guard every > 0 else { return [] }
        return stride(from: 0, to: duration, by: every).map { interval(start: $0, length: Swift.min(every, duration - $0)) }
    }

    /// The figures of the run.
    public func summary() -> LoadSummary {
        state.withLock { st in
            func window(_ range: Range<Int>) -> (rate: Double, claims: LatencySummary) {
                let r = range.clamped(to: 0..<st.seconds.count)
                guard !r.isEmpty else { return (0, LatencySummary()) }
                var h = microsecondHistogram()
                var cycles = 0
                for s in r {
                    cycles += st.seconds[s].cycles
                    h.add(st.seconds[s].claims)
                }
                return (Double(cycles) / Double(r.count), LatencySummary(h))
            }
            let first = window(0..<min(10, duration))
            let last = window(max(0, duration - 10)..<duration)
            return LoadSummary(
                seconds: duration, cycles: st.cyclesTotal, rate: Double(st.cyclesTotal) / Double(max(1, duration)),
                claims: LatencySummary(st.all), cycleLatency: LatencySummary(st.cycle),
                ends: st.ends.mapValues(LatencySummary.init),
                firstRate: first.rate, lastRate: last.rate, firstClaims: first.claims, lastClaims: last.claims,
                errors: st.errors, expected: st.expected, outcomes: st.outcomes,
                perSecond: st.seconds.map(\.cycles))
        }
    }
}

/// The figures of one timed load.
public struct LoadSummary: Sendable {
    public var seconds: Int
    public var cycles: Int
    /// Cycles per second over the whole window.
    public var rate: Double
    public var claims: LatencySummary
    public var cycleLatency: LatencySummary
    /// Latency of the request that ended each call, by verb (DISPOSE, CONVERT).
    public var ends: [String: LatencySummary]
    /// Cycles/s over the first and the last 10 s.
    public var firstRate: Double
    public var lastRate: Double
    public var firstClaims: LatencySummary
    public var lastClaims: LatencySummary
    public var errors: [String: Int]
    public var expected: [String: Int]
    public var outcomes: [String: Int]
    public var perSecond: [Int]

    public var errorCount: Int { errors.values.reduce(0, +) }

    /// `dispose_p50=…ms dispose_p99=…ms convert_p50=…ms convert_p99=…ms`
    public var endsText: String {
        ends.sorted { $0.key < $1.key }.map {
            String(format: "%@_p50=%.2fms %@_p99=%.2fms", $0.key.lowercased(), $0.value.p50, $0.key.lowercased(), $0.value.p99)
        }.joined(separator: " ")
    }

    static func describe(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "0" : counts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}
