import LeadBench
import Testing

/// `leadline bench floor --think MIN-MAX`: what the flag accepts and the pauses it draws.
@Suite struct ThinkTimeTests {
    @Test func parsesMinAndMaxInSeconds() throws {
        let t = try ThinkTime(parsing: "30-300")
        #expect(t.min == 30 && t.max == 300)
        #expect(t.description == "30-300")
        let fractional = try ThinkTime(parsing: "0.5-2")
        #expect(fractional.min == 0.5 && fractional.max == 2)
        #expect(fractional.description == "0.5-2")
        let fixed = try ThinkTime(parsing: " 60 - 60 ")
        #expect(fixed.min == 60 && fixed.max == 60)
    }

    @Test(arguments: ["", "30", "30-", "-300", "30-300-600", "a-b", "300-30", "0-0", "-5-10", "30-3601", "nan-1", "1-inf"])
    func refusesWhatIsNotAThinkTime(_ text: String) {
        #expect(throws: BenchFailure.self) { try ThinkTime(parsing: text) }
    }

    @Test func aReversedRangeSaysWhichNumberIsWrong() {
        do {
            _ = try ThinkTime(parsing: "300-30")
            Issue.record("300-30 accepted")
        } catch {
            #expect("\(error)".contains("(300) is above the second (30)"))
        }
    }

    @Test func pausesStayInsideTheRangeAndSpanIt() throws {
        let t = try ThinkTime(parsing: "30-300")
        #expect(t.pauseNanos(0) == 30_000_000_000)
        #expect(t.pauseNanos(UInt64.max) <= 300_000_000_000)
        #expect(t.pauseNanos(UInt64.max) > 299_999_000_000)
        #expect(abs(Int64(t.pauseNanos(UInt64.max / 2)) - 165_000_000_000) < 1_000)
        var state: UInt64 = 42
        var low = UInt64.max, high: UInt64 = 0
        for _ in 0..<10_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let p = t.pauseNanos(state)
            low = Swift.min(low, p)
            high = Swift.max(high, p)
        }
        #expect(low >= 30_000_000_000 && low < 32_000_000_000)
        #expect(high <= 300_000_000_000 && high > 298_000_000_000)
    }

    @Test func firstClaimsSpreadOverTheFirstMaxSeconds() throws {
        let t = try ThinkTime(parsing: "30-300")
        #expect(t.firstClaimNanos(0) == 0)
        #expect(t.firstClaimNanos(UInt64.max) <= 300_000_000_000)
        #expect(abs(Int64(t.firstClaimNanos(UInt64.max / 2)) - 150_000_000_000) < 1_000)
    }
}

/// `leadline bench soak`: the decay verdict over per-minute intervals.
@Suite struct SoakVerdictTests {
    func minutes(_ rates: [Int], last: Int? = nil) -> [IntervalFigures] {
        var out = rates.enumerated().map { IntervalFigures(start: $0.offset * 60, seconds: 60, cycles: $0.element * 60, claims: LatencySummary()) }
        if let last { out.append(IntervalFigures(start: rates.count * 60, seconds: 30, cycles: last * 30, claims: LatencySummary())) }
        return out
    }

    @Test func aSteadyRunPasses() {
        let v = DecayVerdict.judge(minutes([2000, 1950, 2050, 1980, 1900]), maxDropPercent: 10, checkPassed: true)
        #expect(v.firstRate == 2000 && v.lastRate == 1900)
        #expect(abs(v.dropPercent - 5) < 1e-9)
        #expect(!v.decayed && v.passed)
        #expect(v.description.hasSuffix("check PASS PASS"))
    }

    @Test func aDropBeyondTheAllowanceFails() {
        let v = DecayVerdict.judge(minutes([2000, 1900, 1800, 1790]), maxDropPercent: 10, checkPassed: true)
        #expect(abs(v.dropPercent - 10.5) < 1e-9)
        #expect(v.decayed && !v.passed)
        #expect(v.description.contains("FAIL (decayed)"))
    }

    @Test func exactlyTheAllowanceStillPasses() {
        let v = DecayVerdict.judge(minutes([2000, 1800]), maxDropPercent: 10, checkPassed: true)
        #expect(v.passed)
    }

    @Test func onlyTheFirstAndLastFullMinutesCount() {
        // A dip in the middle and a short trailing interval do not decide the verdict.
        let v = DecayVerdict.judge(minutes([2000, 900, 1950], last: 100), maxDropPercent: 10, checkPassed: true)
        #expect(v.lastRate == 1950)
        #expect(v.passed)
    }

    @Test func aRisingRateIsNoDecay() {
        let v = DecayVerdict.judge(minutes([1500, 2000]), maxDropPercent: 0, checkPassed: true)
        #expect(v.dropPercent < 0 && v.passed)
    }

    @Test func aFailedCheckFailsASteadyRun() {
        let v = DecayVerdict.judge(minutes([2000, 2000]), maxDropPercent: 10, checkPassed: false)
        #expect(!v.decayed && !v.passed)
        #expect(v.description.contains("check FAIL"))
    }

    @Test func tooLittleToCompareIsAFailureNotAPass() {
        #expect(!DecayVerdict.judge([], maxDropPercent: 10, checkPassed: true).passed)
        #expect(!DecayVerdict.judge(minutes([2000]), maxDropPercent: 10, checkPassed: true).passed)
        #expect(!DecayVerdict.judge(minutes([0, 0]), maxDropPercent: 10, checkPassed: true).passed)
        #expect(DecayVerdict.judge(minutes([2000]), maxDropPercent: 10, checkPassed: true).problem == "fewer than two full intervals")
    }
}
