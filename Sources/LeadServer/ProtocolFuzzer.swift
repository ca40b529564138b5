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

/// Random request lines: valid verbs with random arguments, mutations of valid lines,
/// random bytes, invalid UTF-8, NUL, huge ids and values, over-long and blank lines.
/// Every line ends with `\n` (sometimes `\r\n`) and holds no other `\n`.
struct FuzzLineGenerator {
    var rng: FuzzRandom
    let settings: ProtocolFuzzer.Settings
    let loggedIn: Bool
    var counter = 0
    /// Leads and leases seen in replies (so some requests name a real lease).
    var seenLeads: Deque<String> = []
    var seenLeases: Deque<String> = []

    init(seed: UInt64, settings: ProtocolFuzzer.Settings, loggedIn: Bool) {
        rng = FuzzRandom(seed: seed)
        self.settings = settings
        self.loggedIn = loggedIn
    }

    mutating func burstSize() -> Int {
        rng.chance(0.4) ? 1 : Int.random(in: 2...48, using: &rng)
    }

    /// Remembers the lead and lease of an OK reply.
    mutating func learn(_ fields: [Field]) {
        if let lead = fields.value("lead") { remember(&seenLeads, lead) }
        if let lease = fields.value("lease") { remember(&seenLeases, lease) }
    }

    private func remember(_ list: inout Deque<String>, _ value: String) {
        if list.count >= 32 { list.removeFirst() }
        list.append(value)
    }

    /// One line, terminator included.
    mutating func line() -> [UInt8] {
        counter += 1
        var body: [UInt8]
        let roll = Int.random(in: 0..<1000, using: &rng)
        switch roll {
        case 0..<330: body = Array(request().utf8)
        case 330..<550: body = mutate(Array(request().utf8))
        case 550..<640: body = randomBytes(Int.random(in: 0...300, using: &rng))
        case 640..<720: body = withInvalidUTF8(Array(request().utf8))
        case 720..<770: body = withNUL()
        case 770..<820: body = Array(hugeValue().utf8)
        case 820..<825: body = overLong()
        case 825..<827: body = Array("\(tag()) QUIT".utf8)
        case 827..<880: body = blank()
        default: body = Array((rng.chance(0.5) ? "\(tag()) PING" : "\(tag()) HELP").utf8)
        }
        for i in body.indices where body[i] == 0x0A { body[i] = 0x0B }
        if rng.chance(0.1) { body.append(0x0D) }
        body.append(0x0A)
        return body
    }

    /// A readable tag most of the time, sometimes none or an invalid one.
    mutating func tag() -> String {
        let roll = Int.random(in: 0..<100, using: &rng)
        if roll < 80 { return "#f\(counter)" }
        if roll < 90 { return "" }
        return ["#", "#" + String(repeating: "t", count: 33), "#a/b", "#é", "##x"].randomElement(using: &rng)!
    }

    /// A request for a catalogue verb with random arguments: required keys mostly there,
    /// optional ones sometimes, now and then an unknown or repeated key.
    mutating func request() -> String {
        let spec = pickVerb()
        var words: [String] = []
        let t = tag()
        if !t.isEmpty { words.append(t) }
        var verb = spec.verb
        if rng.chance(0.1) { verb = verb.lowercased() }
        if rng.chance(0.05) { verb = verb.replacingOccurrences(of: " ", with: " \t ") }
        words.append(verb)
        var keys: [String] = []
        for key in spec.required where rng.chance(0.92) { keys.append(key) }
        for key in spec.optional where rng.chance(0.3) { keys.append(key) }
        if rng.chance(0.05) { keys.append(["colour", "Lead", "x", "lead_id", "a-b"].randomElement(using: &rng)!) }
        if rng.chance(0.03), let again = keys.randomElement(using: &rng) { keys.append(again) }
        if rng.chance(0.3) { keys.shuffle(using: &rng) }
        for key in keys { words.append("\(key)=\(encoded(value(for: key)))") }
        return words.joined(separator: rng.chance(0.05) ? "\t" : " ")
    }

    /// Verbs a connection's role may run, mostly; others (refused) sometimes.
    mutating func pickVerb() -> VerbSpec {
        let all = VerbCatalogue.all
        if !loggedIn, rng.chance(0.6) {
            let open = all.filter { $0.verb != "QUIT" && ($0.verb == "PING" || $0.verb == "HELP" || $0.verb == "AUTH") }
            return open.randomElement(using: &rng)!
        }
        // QUIT comes from line(), at its own rate; AUTH on a logged-in connection is DENIED.
        let choices = all.filter { $0.verb != "QUIT" && ($0.verb != "AUTH" || rng.chance(0.05)) }
        return choices.randomElement(using: &rng)!
    }

    /// A value for `key`: plausible most of the time, junk otherwise.
    mutating func value(for key: String) -> String {
        if rng.chance(0.12) { return junk() }
        switch key {
        case "lead":
            if !seenLeads.isEmpty, rng.chance(0.4) { return seenLeads.randomElement(using: &rng)! }
            if let id = settings.leadIDs.randomElement(using: &rng), rng.chance(0.8) { return String(id) }
            return ["0", "1", "-1", "99999999999999999999", "abc", ""].randomElement(using: &rng)!
        case "lease":
            if !seenLeases.isEmpty, rng.chance(0.5) { return seenLeases.randomElement(using: &rng)! }
            return String(Int.random(in: 0...40, using: &rng))
        case "wait":
            // Never a long wait: a CLAIM waits at most a second.
            return ["0", "0", "1", "-1", "301", "x", "", "1.5"].randomElement(using: &rng)!
        case "view": return ["high_end", "not_called", "callback", "all", "HIGH_END", "none"].randomElement(using: &rng)!
        case "code":
            return ["not_reachable", "callback", "not_interested", "will_place_order", "waiting_for_quote", "already_placed_order",
                    "sold_elsewhere", "wrong_number", "not_serviceable", "device_not_supported", "create_order", "maybe"]
                .randomElement(using: &rng)!
        case "reason":
            return ["price_too_low", "competitor_quote", "pickup_trust", "payment_delay", "busy_later", "no_pickup_area", "other", "why"]
                .randomElement(using: &rng)!
        case "at", "slot", "created_at", "before", "after":
            return ["2030-01-01T10:00:00Z", "2020-01-01T10:00:00Z", "2026-12-24T19:00:00+05:30", "2027-01-01T00:00:00.5Z",
                    "2026-13-01T00:00:00Z", "2026-12-24T19:00:00", "tomorrow", "2026-12-24T24:00:60Z"].randomElement(using: &rng)!
        case "to" where rng.chance(0.5):
            return ["cx", "ops", "pricing", "pool", "legal"].randomElement(using: &rng)!
        case "agent", "from", "to":
            if let name = settings.agentNames.randomElement(using: &rng), rng.chance(0.7) { return name }
            return ["pool", "nobody", "admin", ""].randomElement(using: &rng)!
        case "team":
            if let team = settings.teams.randomElement(using: &rng), rng.chance(0.7) { return team }
            return ["north", "nowhere", ""].randomElement(using: &rng)!
        case "token": return String(format: "%016llx", rng.next())
        case "idem":
            if rng.chance(0.1) { return hugeID() }
            return "i\(rng.next() % 5000)"
        case "phone": return rng.chance(0.8) ? "+9196\(String(format: "%08d", Int.random(in: 0..<100_000_000, using: &rng)))" : "12ab"
        case "price", "count", "limit", "capacity", "order", "lease_minutes", "callback_grace_minutes", "callback_horizon_days",
             "follow_up_hours", "attempts_per_day", "attempt_spacing_minutes", "unreachable_after_days", "events":
            return [String(Int.random(in: 0...50, using: &rng)), String(Int.random(in: 0...5_000_000, using: &rng)), "-5", "1e3",
                    "99999999999999999999"].randomElement(using: &rng)!
        case "consent", "price_confirmed", "senior", "force", "starred_mode", "junior_high_ends":
            return ["1", "yes", "true", "0", "no", "FALSE", "maybe"].randomElement(using: &rng)!
        case "category": return ["phone", "laptop", "tablet", "toaster"].randomElement(using: &rng)!
        case "brand": return ["Apple", "Samsung", "Nokia", "Acme"].randomElement(using: &rng)!
        case "model": return ["iPhone 15 Pro", "Galaxy A54", "3310", "Z"].randomElement(using: &rng)!
        case "variant": return ["256GB", "128GB", "basic", ""].randomElement(using: &rng)!
        case "pincode": return ["560001", "400001", "411001", "000000", "5600"].randomElement(using: &rng)!
        case "city", "cities": return ["Bengaluru", "Mumbai", "Pune, New Delhi", "a,,b", ""].randomElement(using: &rng)!
        case "devices", "languages": return ["phone", "phone,laptop", "hindi,english", "", ",,"].randomElement(using: &rng)!
        case "conditions": return ["screen=good", "screen:ok,body:minor_dents", "", "x"].randomElement(using: &rng)!
        case "payment": return ["upi", "bank", "cash"].randomElement(using: &rng)!
        case "payment_ref": return ["customer@okbank", "IFSC0001:1234", ""].randomElement(using: &rng)!
        case "kind": return ["online", "price_recheck", "payment_failed", "magic"].randomElement(using: &rng)!
        case "status": return ["open", "resolved", "closed"].randomElement(using: &rng)!
        case "source": return ["web", "app", "walk_in", "test"].randomElement(using: &rng)!
        case "shift_end": return ["18:00", "none", "25:00", "", "09:30:15"].randomElement(using: &rng)!
        case "call_window": return ["00:00-23:59", "09:00-21:00", "21:00-09:00", "x"].randomElement(using: &rng)!
        case "verb": return VerbCatalogue.all.randomElement(using: &rng)!.verb.lowercased()
        default: return text()
        }
    }

    /// Free text: words, punctuation that needs quoting, escapes, non-ASCII.
    mutating func text() -> String {
        let pieces = ["busy", "call at 7 PM", "\"quoted\"", "back\\slash", "line\nbreak", "tab\there", "₹18,500", "नमस्ते",
                      "🇮🇳", "e\u{301}", "=", "#", ",", "", " ", "\u{7f}", "\u{1b}[0m"]
        return (0..<Int.random(in: 0...4, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined(separator: " ")
    }

    /// A value the encoder may not produce: broken quoting, stray backslashes, bad escapes.
    mutating func junk() -> String {
        ["\"unterminated", "a\"b", "x\\y", "\"\\q\"", "\"\\xff\"", "\"a\"b", "\"\\x0\"", String(repeating: "z", count: 300)]
            .randomElement(using: &rng)!
    }

    /// Values are sent encoded (§4) most of the time; junk goes raw.
    mutating func encoded(_ value: String) -> String {
        if value.hasPrefix("\"") || value.contains("\\") && rng.chance(0.5) { return value }
        return Wire.encodeValue(value)
    }

    /// An id of 129–300 code points (BAD_ARG), ASCII or emoji.
    mutating func hugeID() -> String {
        let count = Int.random(in: 129...300, using: &rng)
        return rng.chance(0.5) ? String(repeating: "k", count: count) : String(repeating: "🇮🇳", count: (count + 1) / 2)
    }

    /// A request with a huge idem or a value near the line limit.
    mutating func hugeValue() -> String {
        if rng.chance(0.5) {
            return "\(tag()) NOTE lead=\(value(for: "lead")) text=busy idem=\(Wire.encodeValue(hugeID()))"
        }
        let room = max(16, settings.maxLineLength - 64)
        return "\(tag()) NOTE lead=\(value(for: "lead")) text=\(String(repeating: "n", count: Int.random(in: room / 2...room, using: &rng)))"
    }

    /// Flips, drops, inserts or duplicates a few bytes.
    mutating func mutate(_ line: [UInt8]) -> [UInt8] {
        var out = line
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !out.isEmpty else { break }
            let i = Int.random(in: 0..<out.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: out[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: out.remove(at: i)
            case 2: out.insert([0x22, 0x5C, 0x3D, 0x20, 0x23, 0x09, 0x0D, 0x00].randomElement(using: &rng)!, at: i)
            case 3: out.insert(contentsOf: out[i..<min(out.count, i + 8)], at: i)
            default: out[i] ^= 0x20
            }
        }
        return out
    }

    mutating func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A request with an invalid UTF-8 sequence spliced in.
    mutating func withInvalidUTF8(_ line: [UInt8]) -> [UInt8] {
        let bad: [[UInt8]] = [[0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0x80]]
        var out = line
        out.insert(contentsOf: bad.randomElement(using: &rng)!, at: Int.random(in: 0...out.count, using: &rng))
        return out
    }

    /// NUL as a raw byte (BAD_FORMAT) or escaped in a quoted value (BAD_ARG).
    mutating func withNUL() -> [UInt8] {
        if rng.chance(0.5) { return Array("\(tag()) NOTE lead=1 text=\"a\\x00b\"".utf8) }
        var out = Array("\(tag()) PING".utf8)
        out.insert(0x00, at: Int.random(in: 0...out.count, using: &rng))
        return out
    }

    /// Just past the line limit (LINE_TOO_LONG, then the server closes).
    mutating func overLong() -> [UInt8] {
        Array("NOTE lead=1 text=".utf8) + [UInt8](repeating: 0x61, count: settings.maxLineLength + Int.random(in: 1...3000, using: &rng))
    }

    /// Empty, or spaces and tabs only: no reply.
    mutating func blank() -> [UInt8] {
        (0..<Int.random(in: 0...6, using: &rng)).map { _ in rng.chance(0.5) ? 0x20 : 0x09 }
    }
}

/// SplitMix64: small, fast, seedable.
struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}

/// A non-blocking TCP client socket driven with poll(2): send what the kernel takes, read
/// what has arrived, split it into lines.
final class FuzzSocket {
    private let fd: Int32
    private var received: [UInt8] = []
    private var head = 0
    private var buffer = [UInt8](repeating: 0, count: 65536)
    /// False once the server closed (EOF or reset) or a send failed.
    private(set) var isOpen = true

    init?(host: String, port: Int) {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let connected = withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            return nil
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    /// Waits up to 50 ms for the socket, sends what it takes of `send`, reads what arrived.
    /// Returns false once the connection is over.
    func pump(send out: inout ArraySlice<UInt8>) -> Bool {
        guard isOpen else { return false }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN) | (out.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)
        guard poll(&pfd, 1, 50) > 0 else { return true }
        if !out.isEmpty, pfd.revents & Int16(POLLOUT) != 0 {
            let n = out.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                out = out.dropFirst(n)
            } else if n < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
                out = []  // the server closed: what was not sent is dropped; read what it said
            }
        }
        if pfd.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                received.append(contentsOf: buffer[0..<n])
            } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                isOpen = false
            }
        }
        return isOpen
    }

    /// The next complete line received (without `\n`), or nil.
    func nextLine() -> String? {
        guard let end = received[head...].firstIndex(of: 0x0A) else {
            if head > 0 {
                received.removeFirst(head)
                head = 0
            }
            return nil
        }
        let line = String(decoding: received[head..<end], as: UTF8.self)
        head = end + 1
        return line
    }

    /// Waits for one line until `deadline`.
    func readLine(until deadline: ContinuousClock.Instant) -> String? {
        var nothing = ArraySlice<UInt8>()
        while ContinuousClock.now < deadline {
            if let line = nextLine() { return line }
            guard pump(send: &nothing) else { return nextLine() }
        }
        return nil
    }
}
