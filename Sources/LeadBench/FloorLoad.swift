import Foundation
import LeadProtocol
import NIOCore
import NIOPosix
import Synchronization

/// An agent's login for the load generator.
public struct BenchAgent: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let token: String

    public init(id: Int64, name: String, token: String) {
        self.id = id
        self.name = name
        self.token = token
    }
}

/// How a floor agent ends a call: the mix of a sales floor (weights out of 100).
public struct CallMix: Sendable {
    /// Not Reachable: retried later by the cadence.
    public var notReachable = 40
    /// A callback 1–48 h ahead.
    public var callback = 20
    /// Not interested (closes the lead, with a reason).
    public var notInterested = 15
    /// Will place the order (a follow-up).
    public var willPlaceOrder = 10
    /// CONVERT with every SOP field; a lead the catalogue refuses is disposed not_serviceable / device_not_supported.
    public var convert = 15

    public init() {}

    /// `not_reachable=40,callback=20,…`
    public var text: String {
        "not_reachable=\(notReachable),callback=\(callback),not_interested=\(notInterested),will_place_order=\(willPlaceOrder),convert=\(convert)"
    }
}

/// The floor load: N agent connections, each looping CLAIM → DISPOSE/CONVERT as fast as
/// the server answers (a closed loop, like pgbench), or with a think time between calls
/// (`think`: a realistic floor), for a fixed window after every agent has authenticated.
/// At the end of the window each agent finishes the call it holds (so no lease is left
/// behind) and says QUIT; an agent between calls says QUIT at once.
public final class FloorLoad: Sendable {
    public let agents: [BenchAgent]
    public let ports: [Int]
    public let host: String
    public let mix: CallMix
    public let recorder: LoadRecorder
    /// The pause between an agent's calls; nil: none (closed loop).
    public let think: ThinkTime?
    private let handlers = Mutex<[NIOLoopBound<FloorAgentHandler>]>([])
    private let ready = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let failedLogins = Atomic<Int>(0)

    /// The loopback address the agents connect from (nil: the system's choice, 127.0.0.1).
    public let source: String?

    public init(agents: [BenchAgent], host: String = "127.0.0.1", source: String? = nil, ports: [Int], seconds: Int,
                mix: CallMix = CallMix(), think: ThinkTime? = nil) {
        self.agents = agents
        self.think = think
        self.host = host
        self.source = source
        self.ports = ports
        self.mix = mix
        recorder = LoadRecorder(seconds: seconds)
    }

    /// Connects every agent (spread over `ports` round-robin), waits for all AUTHs, runs
    /// the window, waits for every agent to finish its call, and returns the figures.
    /// With `reportEvery`, `report` gets each interval's figures (cycles/s, claim latency)
    /// as soon as the interval is over.
    public func run(group: MultiThreadedEventLoopGroup, reportEvery: Int? = nil,
                    report: (@Sendable (IntervalFigures) -> Void)? = nil) async throws -> LoadSummary {
        let channels = try await withThrowingTaskGroup(of: Channel.self) { tasks in
            var out: [Channel] = []
            var index = 0
            // At most 64 connects in flight: the server's accept backlog is finite.
            for agent in agents {
                if index >= 64, let c = try await tasks.next() { out.append(c) }
                let port = ports[index % ports.count]
                index += 1
                tasks.addTask { try await self.connect(agent, port: port, group: group) }
            }
            for try await c in tasks { out.append(c) }
            return out
        }
        let deadline = ContinuousClock.now + .seconds(120)
        while ready.load(ordering: .relaxed) + failedLogins.load(ordering: .relaxed) < agents.count {
            guard ContinuousClock.now < deadline else { throw BenchFailure("only \(ready.load(ordering: .relaxed)) of \(agents.count) agents authenticated within 120 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
        if failedLogins.load(ordering: .relaxed) > 0 {
            throw BenchFailure("\(failedLogins.load(ordering: .relaxed)) agents failed to authenticate")
        }
        recorder.begin()
        for bound in handlers.withLock({ $0 }) {
            bound.eventLoop.execute { bound.value.go() }
        }
        if let every = reportEvery, every > 0, let report {
            // Each interval is reported a second after it ends (its last replies recorded).
            var start = 0
            while start < recorder.duration {
                let length = min(every, recorder.duration - start)
                let due = recorder.beganAt + UInt64(start + length) * 1_000_000_000
                let wait = Int64(bitPattern: due &- monotonicNanos())
                if wait > 0 { try await Task.sleep(for: .nanoseconds(wait)) }
                try await Task.sleep(for: .seconds(start + length < recorder.duration ? 1 : 0))
                report(recorder.interval(start: start, length: length))
                start += length
            }
        } else {
            try await Task.sleep(for: .seconds(recorder.duration))
        }
        // The window is over: agents waiting between calls quit now, not after their pause.
        for bound in handlers.withLock({ $0 }) {
            bound.eventLoop.execute { bound.value.windowOver() }
        }
        let drain = ContinuousClock.now + .seconds(60)
        while finished.load(ordering: .relaxed) < agents.count, ContinuousClock.now < drain {
            try await Task.sleep(for: .milliseconds(50))
        }
        if finished.load(ordering: .relaxed) < agents.count {
            recorder.error("AGENT_DID_NOT_FINISH")
        }
        for c in channels { _ = try? await c.close().get() }
        return recorder.summary()
    }

    private func connect(_ agent: BenchAgent, port: Int, group: MultiThreadedEventLoopGroup) async throws -> Channel {
        let mix = self.mix
        var bootstrap = ClientBootstrap(group: group)
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        return try await bootstrap
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(30))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = FloorAgentHandler(agent: agent, load: self, mix: mix)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    self.handlers.withLock { $0.append(NIOLoopBound(handler, eventLoop: channel.eventLoop)) }
                }
            }
            .connect(host: host, port: port).get()
    }

    func agentReady() { ready.add(1, ordering: .relaxed) }
    func agentFailed() { failedLogins.add(1, ordering: .relaxed) }
    func agentFinished() { finished.add(1, ordering: .relaxed) }
}

/// One agent's connection: a state machine on its event loop, no task per request.
final class FloorAgentHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Phase { case hello, auth, ready, thinking, claiming, disposing, converting, fallback, quitting, done }

    let agent: BenchAgent
    unowned let load: FloorLoad
    let recorder: LoadRecorder
    let mix: CallMix
    var phase = Phase.hello
    var pending: [UInt8] = []
    var context: ChannelHandlerContext?
    var rng: SplitMix
    var claimSent: UInt64 = 0
    var cycleStart: UInt64 = 0
    /// When the DISPOSE or CONVERT that ends the call was sent.
    var endSent: UInt64 = 0
    var lead = ""
    var lease = ""
    var outcome = ""
    var converts = 0
    /// The pause before the next CLAIM (think-time mode), on this channel's event loop.
    var pause: Scheduled<Void>?

    init(agent: BenchAgent, load: FloorLoad, mix: CallMix) {
        self.agent = agent
        self.load = load
        self.recorder = load.recorder
        self.mix = mix
        rng = SplitMix(seed: UInt64(bitPattern: agent.id) &* 0x9E37_79B9_7F4A_7C15 &+ monotonicNanos())
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelInactive(context: ChannelHandlerContext) {
        pause?.cancel()
        pause = nil
        if phase != .done && phase != .quitting {
            recorder.error("CONNECTION_CLOSED")
            if phase == .hello || phase == .auth { load.agentFailed() } else { load.agentFinished() }
        } else if phase == .quitting {
            load.agentFinished()
        }
        phase = .done
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { raw in
            var start = 0
            for i in 0..<raw.count where raw[i] == UInt8(ascii: "\n") {
                pending.append(contentsOf: raw[start..<i])
                start = i + 1
                let line = pending
                pending.removeAll(keepingCapacity: true)
                handle(line)
            }
            pending.append(contentsOf: raw[start..<raw.count])
        }
    }

    private func send(_ line: String) {
        guard let context else { return }
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 1)
        buffer.writeString(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }

    /// The window opened: start calling (in think-time mode after a random first pause,
    /// see `ThinkTime.firstClaimNanos`).
    func go() {
        guard phase == .ready else { return }
        if let think = load.think {
            wait(nanos: think.firstClaimNanos(rng.next()))
        } else {
            claim()
        }
    }

    /// A call ended: claim again at once (closed loop) or after the think time.
    private func next() {
        guard let think = load.think, !recorder.isOver else {
            claim()
            return
        }
        wait(nanos: think.pauseNanos(rng.next()))
    }

    /// Waits on the event loop's timer (no thread, no busy loop), then claims.
    private func wait(nanos: UInt64) {
        guard let context else { return }
        phase = .thinking
        pause = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(nanos))) { [self] in
            pause = nil
            claim()
        }
    }

    /// The measured window is over: an agent between calls quits now.
    func windowOver() {
        guard phase == .thinking else { return }
        pause?.cancel()
        pause = nil
        claim()
    }

    private func claim() {
        if recorder.isOver {
            phase = .quitting
            send("QUIT")
            return
        }
        phase = .claiming
        claimSent = monotonicNanos()
        cycleStart = claimSent
        send("CLAIM")
    }

    private func retryClaim(after ms: Int64) {
        guard let context else { return }
        phase = .claiming
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(ms)) { [self] in self.claim() }
    }

    private func handle(_ bytes: [UInt8]) {
        let parsed = ReplyLine.parse(bytes)
        switch phase {
        case .hello:
            phase = .auth
            send("AUTH agent=\(agent.name) token=\(agent.token)")
        case .auth:
            if case .success(.ok) = parsed {
                phase = .ready
                load.agentReady()
            } else {
                recorder.error("AUTH")
                load.agentFailed()
                phase = .done
                context?.close(promise: nil)
            }
        case .ready, .thinking, .done:
            break
        case .quitting:
            phase = .done
            load.agentFinished()
            context?.close(promise: nil)
        case .claiming:
            let now = monotonicNanos()
            switch parsed {
            case .success(.ok(_, let fields)):
                recorder.claim(micros: (now - claimSent) / 1000, at: now)
                call(fields)
            case .success(.error(_, let code, _)):
                if code == "EMPTY" {
                    recorder.expected(code)
                    retryClaim(after: 20)
                } else {
                    recorder.error("CLAIM:" + code)
                    retryClaim(after: 10)
                }
            default:
                recorder.error("CLAIM:MALFORMED")
                retryClaim(after: 10)
            }
        case .disposing, .fallback:
            let now = monotonicNanos()
            switch parsed {
            case .success(.ok):
                recorder.end(verb: "DISPOSE", micros: (now - endSent) / 1000, at: now)
                recorder.cycle(micros: (now - cycleStart) / 1000, outcome: outcome, at: now)
            case .success(.error(_, let code, _)):
                recorder.error("DISPOSE:" + code)
            default:
                recorder.error("DISPOSE:MALFORMED")
            }
            next()
        case .converting:
            let now = monotonicNanos()
            recorder.end(verb: "CONVERT", micros: (now - endSent) / 1000, at: now)
            switch parsed {
            case .success(.ok):
                recorder.cycle(micros: (now - cycleStart) / 1000, outcome: "convert", at: now)
                next()
            case .success(.error(_, let code, _)) where code == "NOT_SERVICEABLE" || code == "DEVICE_NOT_SUPPORTED":
                // The catalogue refused the order: the call ends with that disposition.
                recorder.expected(code)
                outcome = code == "NOT_SERVICEABLE" ? "not_serviceable" : "device_not_supported"
                phase = .fallback
                endSent = now
                send("DISPOSE lead=\(lead) lease=\(lease) code=\(outcome) note=catalogue_refused")
            case .success(.error(_, let code, _)):
                recorder.error("CONVERT:" + code)
                outcome = "not_interested"
                phase = .fallback
                endSent = now
                send("DISPOSE lead=\(lead) lease=\(lease) code=not_interested reason=other note=convert_failed")
            default:
                recorder.error("CONVERT:MALFORMED")
                next()
            }
        }
    }

    /// Ends the call the claim handed out, with an outcome drawn from the mix.
    private func call(_ fields: [Field]) {
        var values: [String: String] = [:]
        for f in fields { values[f.key] = f.value }
        lead = values["lead"] ?? ""
        lease = values["lease"] ?? ""
        var roll = Int(rng.next() % 100)
        endSent = monotonicNanos()
        let nowSeconds = Date().timeIntervalSince1970
        func stamp(_ seconds: Double) -> String {
            Field("at", Date(timeIntervalSince1970: (nowSeconds + seconds).rounded(.down))).value
        }
        if roll < mix.notReachable {
            outcome = "not_reachable"
            phase = .disposing
            send("DISPOSE lead=\(lead) lease=\(lease) code=not_reachable note=no_answer")
            return
        }
        roll -= mix.notReachable
        if roll < mix.callback {
            outcome = "callback"
            phase = .disposing
            let at = stamp(3600 + Double(rng.next() % 47) * 3600)
            send("DISPOSE lead=\(lead) lease=\(lease) code=callback at=\(at) note=asked_for_a_callback")
            return
        }
        roll -= mix.callback
        if roll < mix.notInterested {
            outcome = "not_interested"
            phase = .disposing
            send("DISPOSE lead=\(lead) lease=\(lease) code=not_interested reason=price_too_low note=price_too_low")
            return
        }
        roll -= mix.notInterested
        if roll < mix.willPlaceOrder {
            outcome = "will_place_order"
            phase = .disposing
            send("DISPOSE lead=\(lead) lease=\(lease) code=will_place_order note=will_order_online")
            return
        }
        outcome = "convert"
        phase = .converting
        converts += 1
        var line = "CONVERT lead=\(lead) lease=\(lease) idem=b\(agent.id)-\(lead)-\(converts) consent=1 price_confirmed=1"
        for key in ["category", "brand", "model", "variant", "pincode"] {
            line += " \(key)=" + Wire.encodeValue(values[key] ?? "")
        }
        let conditions = values["conditions"].flatMap { $0.isEmpty ? nil : $0 } ?? "good"
        line += " conditions=" + Wire.encodeValue(conditions)
        line += " address=\"12 MG Road, Flat 4\" landmark=\"near the temple\" slot=\(stamp(86_400)) payment=upi payment_ref=customer@okbank"
        send(line)
    }
}

/// A small, fast PRNG (SplitMix64) for the call mix.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A benchmark that could not run or whose check failed.
public struct BenchFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
