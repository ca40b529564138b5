import DequeModule
import Foundation
import LeadCore
import LeadProtocol
import Synchronization

/// A protocol fuzzer: sends random and mutated request lines to a live server over several
/// connections (logged in as an agent, as a team lead, or never logged in) and checks the
/// answers, line by line.
///
/// The checks, for every line sent:
/// - it gets exactly one reply, in order, carrying the line's tag when the line had a
///   readable one — except blank lines (no reply), and lines after a `QUIT` or an over-long
///   line (the server closes: docs/PROTOCOL.md §2, §12 QUIT), after which the connection
///   must end with nothing more said, and the fuzzer reconnects (and logs in again);
/// - the reply is a well-formed `OK` (single or multi-row) or `ERR` with a code of §13,
///   never `INTERNAL`;
/// - a line the framer, parser or catalogue refuses gets exactly that code (the fuzzer
///   predicts it with the same `LeadProtocol` code the server uses).
///
/// Used by `leadline bench fuzz` (a million lines against `leadline serve`) and by the test
/// suite (a short run against an in-process server). Each connection runs on a thread of
/// its own with blocking-free POSIX sockets (poll), so it never occupies the Swift
/// concurrency pool the server under test may share. Traffic goes only to `host`
/// (127.0.0.1 by default).
public struct ProtocolFuzzer: Sendable {
    /// Who a fuzz connection logs in as.
    public struct Login: Sendable, Equatable {
        public let agent: String
        public let token: String

        public init(agent: String, token: String) {
            self.agent = agent
            self.token = token
        }
    }

    /// What to send, where, and the names the random arguments draw from.
    public struct Settings: Sendable {
        public var host = "127.0.0.1"
        public var port: Int
        /// Lines to send in all. The connections take them from one pool a burst at a
        /// time, so a connection whose verbs are slow (the team lead's) sends fewer.
        public var lines: Int
        /// One connection per entry: its login, or nil for a connection that never logs in.
        public var connections: [Login?]
        public var seed: UInt64 = 0x5EED
        /// The server's `max_line_length` (over-long lines are made just past it).
        public var maxLineLength = LineFramer.defaultMaxLineLength
        /// Lead ids, agent and team names arguments are drawn from (mixed with junk).
        public var leadIDs: [Int64] = []
        public var agentNames: [String] = []
        public var teams: [String] = []
        /// Longest wait for one reply before the line counts as unanswered.
        public var replyTimeout: Duration = .seconds(60)

        public init(port: Int, lines: Int, connections: [Login?]) {
            self.port = port
            self.lines = lines
            self.connections = connections
        }
    }

    /// What a run saw.
    public struct Report: Sendable, CustomStringConvertible {
        /// Lines sent (blank ones included).
        public var lines = 0
        /// Lines the protocol leaves unanswered: blank lines, lines after QUIT or an over-long line.
        public var silent = 0
        /// Replies read (a multi-row reply counts once).
        public var replies = 0
        /// Replies by code; `OK` for successes.
        public var byCode: [String: Int] = [:]
        /// Connections opened again after the server closed one (QUIT, LINE_TOO_LONG) or after a failure.
        public var reconnects = 0
        /// Check failures (each one described in `failureSamples`, the first 20).
        public var failures = 0
        public var failureSamples: [String] = []
        public var seconds = 0.0

        public var passed: Bool { failures == 0 && lines > 0 }
        public var linesPerSecond: Double { seconds > 0 ? Double(lines) / seconds : 0 }

        public var description: String {
            let codes = byCode.sorted { $0.value > $1.value }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
            return String(format: "fuzz lines=%d rate=%.0f/s replies=%d silent=%d reconnects=%d failures=%d codes=%@ %@",
                          lines, linesPerSecond, replies, silent, reconnects, failures, codes, passed ? "PASS" : "FAIL")
        }

        mutating func fail(_ what: String) {
            failures += 1
            if failureSamples.count < 20 { failureSamples.append(what) }
        }

        mutating func merge(_ other: Report) {
            lines += other.lines
            silent += other.silent
            replies += other.replies
            for (code, n) in other.byCode { byCode[code, default: 0] += n }
            reconnects += other.reconnects
            failures += other.failures
            failureSamples += other.failureSamples.prefix(max(0, 20 - failureSamples.count))
        }
    }

    public let settings: Settings

    public init(_ settings: Settings) {
        self.settings = settings
    }

    /// Runs every connection to its share of lines and returns the merged report.
    public func run() async -> Report {
        let started = ContinuousClock.now
        let pool = FuzzLinePool(settings.lines)
        var reports: [Report] = []
        await withTaskGroup(of: Report.self) { group in
            for (index, login) in settings.connections.enumerated() {
                let settings = self.settings
                let seed = settings.seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
                group.addTask {
                    await withCheckedContinuation { continuation in
                        Thread.detachNewThread {
                            var run = FuzzConnection(settings: settings, login: login, pool: pool, seed: seed)
                            continuation.resume(returning: run.run())
                        }
                    }
                }
            }
            for await report in group { reports.append(report) }
        }
        var total = Report()
        for r in reports { total.merge(r) }
        let elapsed = ContinuousClock.now - started
        total.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return total
    }
}

/// The lines still to send, shared by the connections.
final class FuzzLinePool: Sendable {
    private let left: Atomic<Int>

    init(_ lines: Int) { left = Atomic(lines) }

    /// Takes up to `wanted` lines; 0 once the pool is empty.
    func take(_ wanted: Int) -> Int {
        while true {
            let now = left.load(ordering: .relaxed)
            let taken = min(now, wanted)
            if taken <= 0 { return 0 }
            if left.compareExchange(expected: now, desired: now - taken, ordering: .relaxed).exchanged { return taken }
        }
    }
}

/// What the fuzzer expects for one line it sent.
struct FuzzExpectation {
    /// The tag the reply must carry (nil: none).
    var tag: String?
    /// The code the protocol layer must answer with (nil: whatever the verb says).
    var code: String?
    /// The server closes the connection after this reply.
    var closes = false
}

/// One fuzz connection's run, on its own thread.
struct FuzzConnection {
    let settings: ProtocolFuzzer.Settings
    let login: ProtocolFuzzer.Login?
    let pool: FuzzLinePool
    var generator: FuzzLineGenerator
    var report = ProtocolFuzzer.Report()
    static let knownCodes = Set(ErrorCode.allCases.map(\.rawValue))

    init(settings: ProtocolFuzzer.Settings, login: ProtocolFuzzer.Login?, pool: FuzzLinePool, seed: UInt64) {
        self.settings = settings
        self.login = login
        self.pool = pool
        generator = FuzzLineGenerator(seed: seed, settings: settings, loggedIn: login != nil)
    }

    mutating func run() -> ProtocolFuzzer.Report {
        var socket: FuzzSocket?
        var framer = LineFramer(maxLineLength: settings.maxLineLength)
        var connectFailures = 0
        var size = pool.take(generator.burstSize())
        while size > 0 {
            if socket == nil {
                socket = open()
                framer = LineFramer(maxLineLength: settings.maxLineLength)
                if socket == nil {
                    connectFailures += 1
                    if connectFailures >= 5 { report.fail("cannot connect or log in 5 times in a row; giving up"); break }
                    Thread.sleep(forTimeInterval: 0.2)
                    continue
                }
                connectFailures = 0
            }
            // One burst: 1–48 lines sent back to back (pipelined), then all their replies.
            var bytes: [UInt8] = []
            var expected: [FuzzExpectation] = []
            var closing = false
            for _ in 0..<size {
                let line = generator.line()
                bytes += line
                report.lines += 1
                // Frame it exactly as the server will, and predict what it answers.
                let events = framer.feed(line)
                if closing || events.isEmpty {
                    report.silent += 1
                    continue
                }
                for event in events {
                    let expectation: FuzzExpectation
                    switch event {
                    case .tooLong: expectation = FuzzExpectation(tag: nil, code: ErrorCode.lineTooLong.rawValue, closes: true)
                    case .line(let text): expectation = Self.expectation(for: text)
                    }
                    expected.append(expectation)
                    if expectation.closes { closing = true; break }
                }
            }
            let ok = exchange(socket!, bytes: bytes, expected: expected, closing: closing)
            if closing || !ok {
                socket = nil
                report.reconnects += 1
            }
            size = pool.take(generator.burstSize())
        }
        return report
    }

    /// What the server must answer to a framed line (Session.classify's first steps).
    static func expectation(for line: [UInt8]) -> FuzzExpectation {
        let request: Request
        switch RequestParser.parse(line) {
        case .failure(let error): return FuzzExpectation(tag: error.tag, code: error.code.rawValue)
        case .success(let parsed): request = parsed
        }
        do throws(ProtocolError) {
            _ = try VerbCatalogue.validate(request)
        } catch {
            return FuzzExpectation(tag: request.tag, code: error.code.rawValue)
        }
        return FuzzExpectation(tag: request.tag, code: nil, closes: request.verb == "QUIT")
    }

    /// Connects, reads HELLO and logs in if this connection does.
    mutating func open() -> FuzzSocket? {
        guard let socket = FuzzSocket(host: settings.host, port: settings.port) else { return nil }
        let deadline = ContinuousClock.now + .seconds(30)
        guard let hello = socket.readLine(until: deadline), hello == Wire.greeting else {
            report.fail("no HELLO on connect")
            return nil
        }
        if let login {
            var out = ArraySlice(Array("AUTH agent=\(login.agent) token=\(login.token)\n".utf8))
            while !out.isEmpty, ContinuousClock.now < deadline, socket.pump(send: &out) {}
            guard let reply = socket.readLine(until: deadline), reply.hasPrefix("OK") else {
                report.fail("AUTH as \(login.agent) failed")
                return nil
            }
        }
        return socket
    }

    /// Sends a burst while reading its replies; checks each against its expectation.
    /// Returns false when the connection is no longer usable.
    mutating func exchange(_ socket: FuzzSocket, bytes: [UInt8], expected: [FuzzExpectation], closing: Bool) -> Bool {
        var out = ArraySlice(bytes)
        var next = 0
        var rowsLeft = -1  // rows still to read of a multi-row reply; 0 = its END next
        var rowsTag: String?
        let deadline = ContinuousClock.now + settings.replyTimeout
        var alive = true
        while true {
            while next < expected.count || rowsLeft >= 0, let text = socket.nextLine() {
                if rowsLeft > 0 {
                    if !text.hasPrefix("ROW") { report.fail("expected ROW, got \(Self.preview(text))") }
                    rowsLeft -= 1
                    continue
                }
                if rowsLeft == 0 {
                    if case .success(.end(let tag)) = ReplyLine.parse(text), tag == rowsTag {} else {
                        report.fail("expected END \(rowsTag.map { "#" + $0 } ?? ""), got \(Self.preview(text))")
                    }
                    rowsLeft = -1
                    continue
                }
                rowsLeft = check(text, against: expected[next])
                rowsTag = expected[next].tag
                next += 1
            }
            if next == expected.count && rowsLeft < 0 && out.isEmpty { break }
            if !alive { break }
            if ContinuousClock.now >= deadline {
                report.fail("no reply within \(settings.replyTimeout) (\(expected.count - next) of \(expected.count) owed)")
                return false
            }
            alive = socket.pump(send: &out)
        }
        if next < expected.count || rowsLeft >= 0 {
            report.fail("connection closed with \(expected.count - next) replies owed")
            return false
        }
        guard closing else { return alive }
        // The server must close now, without another word.
        let end = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < end, socket.pump(send: &out) {
            while let text = socket.nextLine() { report.fail("a reply after the closing one: \(Self.preview(text))") }
        }
        while let text = socket.nextLine() { report.fail("a reply after the closing one: \(Self.preview(text))") }
        if socket.isOpen { report.fail("the connection stayed open after QUIT / LINE_TOO_LONG") }
        return false
    }

    /// Checks one reply's first line; returns the rows a multi-row reply announces, or -1.
    mutating func check(_ text: String, against expected: FuzzExpectation) -> Int {
        report.replies += 1
        switch ReplyLine.parse(text) {
        case .success(.ok(let tag, let fields)):
            report.byCode["OK", default: 0] += 1
            if tag != expected.tag { report.fail("tag \(tag ?? "none") for \(expected.tag ?? "none"): \(Self.preview(text))") }
            if let code = expected.code { report.fail("OK where \(code) was due: \(Self.preview(text))") }
            generator.learn(fields)
            if fields.first?.key == "rows" {
                guard let rows = Int(fields.first!.value), rows >= 0 else {
                    report.fail("bad rows= in \(Self.preview(text))")
                    return -1
                }
                return rows
            }
        case .success(.error(let tag, let code, _)):
            report.byCode[code, default: 0] += 1
            if tag != expected.tag { report.fail("tag \(tag ?? "none") for \(expected.tag ?? "none"): \(Self.preview(text))") }
            if code == ErrorCode.internal.rawValue { report.fail("INTERNAL: \(Self.preview(text))") }
            if !Self.knownCodes.contains(code) { report.fail("unknown code: \(Self.preview(text))") }
            if let due = expected.code, due != code { report.fail("\(code) where \(due) was due: \(Self.preview(text))") }
        default:
            report.byCode["MALFORMED", default: 0] += 1
            report.fail("not a reply: \(Self.preview(text))")
        }
        return -1
    }

    static func preview(_ text: String) -> String {
        text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}
