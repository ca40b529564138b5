import Foundation

/// A realistic floor's pause between calls (`leadline bench floor --think 30-300`): after an
/// agent ends a call it waits a random time, uniform in [min, max] seconds, before its next
/// CLAIM, as agents on a floor talk to customers for minutes. Without it the floor is a
/// closed loop at saturation (each agent claims again as soon as its call is answered).
public struct ThinkTime: Sendable, Equatable, CustomStringConvertible {
    /// Shortest and longest pause, in seconds.
    public let min: Double
    public let max: Double

    /// The longest pause the flag accepts (an hour): a longer one is a typo, not a floor.
    public static let longest = 3600.0

    public init(min: Double, max: Double) throws {
        guard min.isFinite, max.isFinite, min >= 0 else { throw BenchFailure("--think: seconds must be numbers ≥ 0, like 30-300") }
        guard min <= max else { throw BenchFailure("--think: the first number (\(Self.format(min))) is above the second (\(Self.format(max))); expected MIN-MAX, like 30-300") }
        guard max > 0 else { throw BenchFailure("--think: 0-0 is no think time; leave the flag out for a closed loop") }
        guard max <= Self.longest else { throw BenchFailure("--think: at most \(Int(Self.longest)) seconds") }
        self.min = min
        self.max = max
    }

    /// Parses `MIN-MAX` in seconds (`30-300`, `0.5-2`; `60-60` is a fixed pause).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]) else {
            throw BenchFailure("--think: expected MIN-MAX in seconds, like 30-300 (got \"\(text)\")")
        }
        try self.init(min: low, max: high)
    }

    /// A pause drawn from `random` (any 64-bit value), in nanoseconds: uniform in [min, max].
    public func pauseNanos(_ random: UInt64) -> UInt64 {
        let unit = Double(random >> 11) / Double(1 << 53)  // [0, 1)
        return UInt64(((min + (max - min) * unit) * 1e9).rounded())
    }

    /// When an agent makes its first CLAIM after the window opens, in nanoseconds: uniform
    /// in [0, max], so the floor does not start with every agent claiming in the same
    /// millisecond (a thundering herd no real floor sees).
    public func firstClaimNanos(_ random: UInt64) -> UInt64 {
        let unit = Double(random >> 11) / Double(1 << 53)
        return UInt64((max * unit * 1e9).rounded())
    }

    /// `30-300`
    public var description: String { "\(Self.format(min))-\(Self.format(max))" }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// One reporting interval of a run (a minute of the soak): cycles/s and claim latency.
public struct IntervalFigures: Sendable, Equatable {
    /// Seconds into the window where the interval starts, and its length.
    public var start: Int
    public var seconds: Int
    public var cycles: Int
    public var claims: LatencySummary

    public init(start: Int, seconds: Int, cycles: Int, claims: LatencySummary) {
        self.start = start
        self.seconds = seconds
        self.cycles = cycles
        self.claims = claims
    }

    public var rate: Double { seconds > 0 ? Double(cycles) / Double(seconds) : 0 }

    /// `interval 60-120s cycles=… rate=…/s claim p50=… p99=…`
    public var line: String {
        let rate = (self.rate * 10).rounded() / 10
        return "interval \(start)-\(start + seconds)s cycles=\(cycles) rate=\(rate)/s claim \(claims.text)"
    }
}

/// The soak's verdict (`leadline bench soak`): the rate of the last full interval against
/// the first, and the overlap check. A run "decays" when the last interval's cycles/s is
/// more than `maxDrop` percent below the first's.
public struct DecayVerdict: Sendable, Equatable, CustomStringConvertible {
    public var firstRate: Double
    public var lastRate: Double
    /// How far the last interval fell below the first, in percent (negative: it rose).
    public var dropPercent: Double
    public var maxDropPercent: Double
    public var checkPassed: Bool
    /// Why the verdict could not be reached (too few intervals, nothing ran), if so.
    public var problem: String?

    public var decayed: Bool { problem == nil && dropPercent > maxDropPercent }
    public var passed: Bool { problem == nil && !decayed && checkPassed }

    /// The soak's default allowance: 10 % (see BENCHMARKS.md, "10-minute soak").
    public static let defaultMaxDropPercent = 10.0

    /// Judges the full intervals of a run (in order); a trailing shorter interval is left
    /// out (it is not comparable with a full one).
    public static func judge(_ intervals: [IntervalFigures], maxDropPercent: Double, checkPassed: Bool) -> DecayVerdict {
        var verdict = DecayVerdict(firstRate: 0, lastRate: 0, dropPercent: 0, maxDropPercent: maxDropPercent, checkPassed: checkPassed)
        guard let length = intervals.first?.seconds else {
            verdict.problem = "no interval to compare"
            return verdict
        }
        let full = intervals.filter { $0.seconds == length }
        guard full.count >= 2, let first = full.first, let last = full.last else {
            verdict.problem = "fewer than two full intervals"
            return verdict
        }
        verdict.firstRate = first.rate
        verdict.lastRate = last.rate
        guard first.rate > 0 else {
            verdict.problem = "no cycles in the first interval"
            return verdict
        }
        verdict.dropPercent = (first.rate - last.rate) * 100 / first.rate
        return verdict
    }

    public var description: String {
        let drop = (dropPercent * 10).rounded() / 10
        let head = "soak first=\(Int(firstRate.rounded()))/s last=\(Int(lastRate.rounded()))/s drop=\(drop)% allowed=\(ThinkTime.format(maxDropPercent))%"
        let check = checkPassed ? "check PASS" : "check FAIL"
        if let problem { return "\(head) \(check) FAIL (\(problem))" }
        return "\(head) \(check) \(passed ? "PASS" : (decayed ? "FAIL (decayed)" : "FAIL"))"
    }
}
