import Foundation
import Histogram
import LeadClient
import LeadCore
import LeadStore
import NIOCore
import NIOPosix
import Postgres
import Synchronization

/// Wake-up latency: agents of an empty team wait in `CLAIM wait=`; another client ingests
/// one lead at a time (the service's `lead_add.sql`, which sends NOTIFY); the time from the
/// start of the insert until an agent's CLAIM reply holds that lead.
public struct WakeupBench: Sendable {
    public let conninfo: String
    public let port: Int
    public let waiters: Int
    public let inserts: Int

    public init(conninfo: String, port: Int, waiters: Int = 8, inserts: Int = 1000) {
        self.conninfo = conninfo
        self.port = port
        self.waiters = waiters
        self.inserts = inserts
    }

    /// The team and agents of the measurement (created once, tokens renewed).
    static func prepare(_ c: PostgresConnection, waiters: Int) throws -> [BenchAgent] {
        try c.query("""
            INSERT INTO teams (name, time_zone, call_window_start, call_window_end) VALUES ('benchwake', 'Asia/Kolkata', '00:00', '23:59:59')
            ON CONFLICT (name) DO NOTHING
            """)
        // Leads left from an earlier run are closed, so the team's queue is empty.
        try c.query("""
            UPDATE leads SET state = 'closed', outcome = 'not_interested', tier = NULL, closed_at = now()
            WHERE team_id = (SELECT id FROM teams WHERE name = 'benchwake') AND state <> 'closed' AND holder_agent_id IS NULL
            """)
        var out: [BenchAgent] = []
        for i in 0..<waiters {
            let name = String(format: "wake-%03d", i)
            let token: String
            do {
                token = try AgentDirectory().addAgent(c, name: name, team: "benchwake", role: "senior")
            } catch AgentDirectory.Failure.exists {
                token = try AgentDirectory().rotateToken(c, name: name)
            }
            let id = try c.query("SELECT id FROM agents WHERE name = $1::text", [name]).first?.int64("id") ?? 0
            out.append(BenchAgent(id: id, name: name, token: token))
        }
        return out
    }

    /// Runs the measurement; returns the latency summary (ms) and how many inserts were
    /// not claimed within 5 s.
    public func run() async throws -> (latency: LatencySummary, missed: Int) {
        let setup = try PostgresConnection(conninfo: conninfo)
        let agents = try Self.prepare(setup, waiters: waiters)
        setup.close()
        let board = WakeBoard()
        var clients: [ProtocolClient] = []
        for agent in agents {
            let client = try await ProtocolClient.connect(port: port)
            _ = try await client.line()
            let auth = try await client.call("AUTH agent=\(agent.name) token=\(agent.token)")
            guard auth.first?.hasPrefix("OK") == true else { throw BenchFailure("wake-up agent AUTH failed: \(auth)") }
            clients.append(client)
        }
        let inserter = try PostgresConnection(conninfo: conninfo)
        defer { inserter.close() }
        let inserts = self.inserts
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for client in clients {
                group.addTask {
                    while true {
                        guard let reply = try? await client.call("CLAIM wait=30", timeout: .seconds(40)) else { return }
                        let at = monotonicNanos()
                        let fields = ProtocolClient.fields(reply[0])
                        guard let lead = fields.first(where: { $0.key == "lead" })?.value,
                              let lease = fields.first(where: { $0.key == "lease" })?.value else { continue }
                        board.claimed(Int64(lead) ?? 0, at: at)
                        _ = try? await client.call("DISPOSE lead=\(lead) lease=\(lease) code=not_interested reason=other note=wakeup_bench")
                    }
                }
            }
            // The waiters loop until their connections close: close them on every way out.
            let measured: Result<(LatencySummary, Int), any Error>
            do {
                // Let every waiter's CLAIM register before the first insert.
                try await Task.sleep(for: .seconds(1))
                var histogram = microsecondHistogram()
                var missed = 0
                let stamp = Int(Date().timeIntervalSince1970) % 100_000
                for i in 0..<inserts {
                    var draft = LeadIntake.Draft()
                    draft.phone = String(format: "+919%04d%05d", stamp % 10_000, i % 100_000)
                    draft.name = "Wake Test"
                    draft.city = "Pune"
                    draft.pincode = "411001"
                    draft.category = "phone"
                    draft.brand = "Apple"
                    draft.model = "iPhone 12"
                    draft.variant = "64GB"
                    draft.price = "1500000"
                    draft.source = "web"
                    draft.team = "benchwake"
                    let start = monotonicNanos()
                    let added = try LeadIntakeStore().add(inserter, draft: draft, now: Date())
                    if let at = await board.wait(for: added.lead, timeout: .seconds(5)) {
                        _ = histogram.record(max(1, (at - start) / 1000))
                    } else {
                        missed += 1
                    }
                    // A short, varying gap so the waiters are back in CLAIM wait= and inserts do not align with polls.
                    try await Task.sleep(for: .milliseconds(5 + Int(i % 7)))
                }
                measured = .success((LatencySummary(histogram), missed))
            } catch {
                measured = .failure(error)
            }
            for client in clients { await client.close() }
            group.cancelAll()
            return try measured.get()
        }
    }
}

/// Claimed leads and when, with one waiter for a given lead.
final class WakeBoard: Sendable {
    private let state = Mutex<(claimed: [Int64: UInt64], waiter: (lead: Int64, continuation: CheckedContinuation<UInt64?, Never>)?)>(([:], nil))

    func claimed(_ lead: Int64, at: UInt64) {
        let waiter: CheckedContinuation<UInt64?, Never>? = state.withLock { s in
            if let w = s.waiter, w.lead == lead {
                s.waiter = nil
                return w.continuation
            }
            s.claimed[lead] = at
            return nil
        }
        waiter?.resume(returning: at)
    }

    func wait(for lead: Int64, timeout: Duration) async -> UInt64? {
        let timer = Task {
            try await Task.sleep(for: timeout)
            let w: CheckedContinuation<UInt64?, Never>? = self.state.withLock { s in
                guard let w = s.waiter, w.lead == lead else { return nil }
                s.waiter = nil
                return w.continuation
            }
            w?.resume(returning: nil)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            let ready: UInt64? = state.withLock { s in
                if let at = s.claimed.removeValue(forKey: lead) { return at }
                s.waiter = (lead, continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// Idle connections: opens `count` connections, authenticates each, then holds them idle
/// and reads the server's RSS. Per-connection cost = (RSS with them − RSS before) / count.
public struct IdleBench: Sendable {
    public let port: Int
    public let count: Int
    public let agents: [BenchAgent]

    public init(port: Int, count: Int, agents: [BenchAgent]) {
        self.port = port
        self.count = count
        self.agents = agents
    }

    /// Opens the connections (64 at a time), AUTH on each, and returns them open.
    public func open(group: MultiThreadedEventLoopGroup) async throws -> [Channel] {
        var out: [Channel] = []
        out.reserveCapacity(count)
        try await withThrowingTaskGroup(of: Channel.self) { tasks in
            for i in 0..<count {
                if i >= 64, let c = try await tasks.next() { out.append(c) }
                let agent = agents[i % agents.count]
                let port = self.port
                tasks.addTask {
                    let authed = EventLoopPromiseBox()
                    let channel = try await ClientBootstrap(group: group)
                        .connectTimeout(.seconds(30))
                        .channelInitializer { channel in
                            channel.eventLoop.makeCompletedFuture {
                                let promise = channel.eventLoop.makePromise(of: Bool.self)
                                authed.set(promise.futureResult)
                                try channel.pipeline.syncOperations.addHandler(IdleAuthHandler(agent: agent, done: promise))
                            }
                        }
                        .connect(host: "127.0.0.1", port: port).get()
                    guard let future = authed.get(), try await future.get() else {
                        throw BenchFailure("AUTH failed on an idle connection")
                    }
                    return channel
                }
            }
            for try await c in tasks { out.append(c) }
        }
        return out
    }
}

/// Holds a future across the channel initializer.
final class EventLoopPromiseBox: @unchecked Sendable {
    private let lock = NSLock()
    private var future: EventLoopFuture<Bool>?
    func set(_ f: EventLoopFuture<Bool>) { lock.withLock { future = f } }
    func get() -> EventLoopFuture<Bool>? { lock.withLock { future } }
}

/// Reads HELLO, sends AUTH, completes with whether it was OK; then stays idle.
final class IdleAuthHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let agent: BenchAgent
    let done: EventLoopPromise<Bool>
    var lines = 0
    var pending: [UInt8] = []
    var completed = false

    init(agent: BenchAgent, done: EventLoopPromise<Bool>) {
        self.agent = agent
        self.done = done
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            guard byte == UInt8(ascii: "\n") else { pending.append(byte); continue }
            let line = String(decoding: pending, as: UTF8.self)
            pending.removeAll()
            lines += 1
            if lines == 1 {
                var out = context.channel.allocator.buffer(capacity: 80)
                out.writeString("AUTH agent=\(agent.name) token=\(agent.token)\n")
                context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            } else if !completed {
                completed = true
                done.succeed(line.hasPrefix("OK"))
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !completed {
            completed = true
            done.succeed(false)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
