import DequeModule
import LeadProtocol
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A client connection to a Leadline server: raw lines out, reply lines in. `leadline cli`,
/// the benchmarks and the tests speak the protocol through it (tests also send raw, even
/// invalid, bytes). Its own module, so a client does not link the server.
public final class ProtocolClient: Sendable {
    /// How a client checks the server's TLS certificate.
    public enum Trust: Sendable {
        /// The system's trust store, and the host name.
        case system
        /// Certificates signed by the CA (or the self-signed certificate) in this PEM file;
        /// the host name is not checked (agents often dial an IP address).
        case caFile(String)
        /// No check at all (testing only: anyone in the middle can read the session).
        case insecure
    }

    /// A client TLS context for `trust`.
    public static func tlsContext(_ trust: Trust) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch trust {
        case .system:
            break
        case .caFile(let file):
            tls.trustRoots = .file(file)
            tls.certificateVerification = .noHostnameVerification
        case .insecure:
            tls.certificateVerification = .none
        }
        return try NIOSSLContext(configuration: tls)
    }

    /// Why a read gave up.
    public enum Failure: Error, CustomStringConvertible, Equatable {
        case timedOut
        case closed
        case malformed(String)

        public var description: String {
            switch self {
            case .timedOut: "timed out waiting for the server"
            case .closed: "the server closed the connection"
            case .malformed(let line): "not a protocol reply: \(line)"
            }
        }
    }

    private let channel: Channel
    private let inbox: LineInbox

    private init(channel: Channel, inbox: LineInbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Connects (over TLS with `tls`); the HELLO line (or a refusal) is the first line to read.
    public static func connect(host: String = "127.0.0.1", port: Int, tls: Trust? = nil) async throws -> ProtocolClient {
        let inbox = LineInbox()
        let context = try tls.map(tlsContext)
        let serverName: String? = host.contains(where: { $0.isLetter }) && !host.contains(":") ? host : nil
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                    }
                    try channel.pipeline.syncOperations.addHandler(LineCollector(inbox: inbox))
                }
            }
            .connect(host: host, port: port).get()
        return ProtocolClient(channel: channel, inbox: inbox)
    }

    /// Sends one request line (a `\n` is added).
    public func send(_ line: String) async throws {
        try await sendRaw(Array((line + "\n").utf8))
    }

    /// Sends bytes exactly as given.
    public func sendRaw(_ bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer).get()
    }

    /// The next line from the server, without its `\n`; nil once the server closed.
    public func line(timeout: Duration = .seconds(10)) async throws -> String? {
        try await inbox.next(timeout: timeout)
    }

    /// One whole reply: one line, or a multi-row reply's `OK rows=N`, N `ROW`s and `END`.
    /// - Throws: `Failure.closed` if the server closed first.
    public func reply(timeout: Duration = .seconds(10)) async throws -> [String] {
        guard let first = try await line(timeout: timeout) else { throw Failure.closed }
        var lines = [first]
        guard case .success(.ok(_, let fields)) = ReplyLine.parse(first), fields.first?.key == "rows",
              let count = Int(fields.first?.value ?? "") else { return lines }
        for _ in 0..<(count + 1) {
            guard let next = try await line(timeout: timeout) else { throw Failure.closed }
            lines.append(next)
        }
        return lines
    }

    /// Sends a request and returns its reply.
    public func call(_ request: String, timeout: Duration = .seconds(10)) async throws -> [String] {
        try await send(request)
        return try await reply(timeout: timeout)
    }

    /// Closes the sending side only (like `printf 'PING\n' | nc`): the server answers what
    /// it read, then closes.
    public func closeOutput() async throws {
        try await channel.close(mode: .output).get()
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close().get()
    }

    /// True once the server has closed its side (all lines read).
    public var isClosedByServer: Bool { inbox.isFinished }

    /// The `key=value` fields of a reply line (`OK`, `ROW`, `HELLO`), or [] for an ERR/END.
    public static func fields(_ line: String) -> [Field] {
        switch ReplyLine.parse(line) {
        case .success(.ok(_, let fields)), .success(.row(let fields)), .success(.hello(_, let fields)): fields
        default: []
        }
    }

    /// The error code of an `ERR` line, or nil.
    public static func errorCode(_ line: String) -> String? {
        if case .success(.error(_, let code, _)) = ReplyLine.parse(line) { return code }
        return nil
    }
}

/// Lines received and not yet read, with at most one reader waiting.
final class LineInbox: Sendable {
    private struct State {
        var lines: Deque<String> = []
        var finished = false
        var waiter: (id: Int, continuation: CheckedContinuation<String?, any Error>)?
        var nextID = 0
    }

    private let state = Mutex(State())

    var isFinished: Bool { state.withLock { $0.finished && $0.lines.isEmpty } }

    func push(_ line: String) {
        state.withLock { s in
            if let waiter = s.waiter {
                s.waiter = nil
                waiter.continuation.resume(returning: line)
            } else {
                s.lines.append(line)
            }
        }
    }

    func finish() {
        state.withLock { s in
            s.finished = true
            if let waiter = s.waiter {
                s.waiter = nil
                waiter.continuation.resume(returning: nil)
            }
        }
    }

    func next(timeout: Duration) async throws -> String? {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            self?.expire(id)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            state.withLock { s in
                if let line = s.lines.popFirst() {
                    continuation.resume(returning: line)
                } else if s.finished {
                    continuation.resume(returning: nil)
                } else {
                    s.waiter = (id, continuation)
                }
            }
        }
    }

    private func expire(_ id: Int) {
        state.withLock { s in
            if let waiter = s.waiter, waiter.id == id {
                s.waiter = nil
                waiter.continuation.resume(throwing: ProtocolClient.Failure.timedOut)
            }
        }
    }
}

/// Splits what the server sends into lines for the inbox.
final class LineCollector: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let inbox: LineInbox
    private var pending: [UInt8] = []

    init(inbox: LineInbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            if byte == UInt8(ascii: "\n") {
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                inbox.push(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { inbox.finish() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        inbox.finish()
        context.close(promise: nil)
    }
}
