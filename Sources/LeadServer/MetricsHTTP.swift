import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Prometheus endpoint: `GET /metrics` (or `HEAD`) returns the exposition text; any
/// other path is 404, another method 405, bytes that are not an HTTP request 400, and
/// more than 8 KiB of header fields 431. One request per connection (`Connection: close`).
///
/// SwiftNIO's HTTP/1 codec (NIOHTTP1) parses requests and writes responses; this type
/// only decides the answer.
struct MetricsHTTP: Sendable {
    let metrics: ServerMetrics
    let logger: Logger

    /// Header fields beyond this many bytes get `431 Request Header Fields Too Large`.
    static let maxHeaderBytes = 8192

    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias Listener = NIOAsyncChannel<Connection, Never>

    /// Binds the listener; `run(_:)` then serves it until cancelled.
    func bind(host: String, port: Int) async throws -> Listener {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 64)
            // A client that half-closes after its request (`nc -N`) still gets the answer.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    var limits = NIOHTTPDecoderLimitConfiguration()
                    limits.maxHeaderFieldSize = Self.maxHeaderBytes
                    limits.maxHeaderListSize = Self.maxHeaderBytes
                    let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop,
                                                     limitConfiguration: limits)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(decoder))
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
                    return try Connection(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Serves scrapes until the task is cancelled, then closes the listener.
    func run(_ server: Listener) async {
        await withTaskCancellationHandler {
            do {
                try await server.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in inbound {
                            group.addTask { await self.serve(connection) }
                        }
                    }
                }
            } catch {
                logger.debug("metrics listener ended", metadata: ["error": "\(error)"])
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    /// What one connection gets: the answer to its first request, then the connection closes.
    private func serve(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                let answer: Answer
                do {
                    var requests = inbound.makeAsyncIterator()
                    if case .head(let head) = try await requests.next() {
                        answer = respond(to: head)
                    } else {
                        answer = Answer(.badRequest, "bad request\n")
                    }
                } catch let error as HTTPParserError {
                    answer = error == .headerOverflow ? Answer(.requestHeaderFieldsTooLarge, "too large\n") : Answer(.badRequest, "bad request\n")
                }
                try await outbound.write(contentsOf: answer.parts)
            }
        } catch {
            logger.debug("metrics scrape failed", metadata: ["error": "\(error)"])
        }
    }

    private func respond(to head: HTTPRequestHead) -> Answer {
        guard head.method == .GET || head.method == .HEAD else { return Answer(.methodNotAllowed, "GET /metrics\n") }
        let path = head.uri.split(separator: "?", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard path == "/metrics" else { return Answer(.notFound, "try GET /metrics\n") }
        return Answer(.ok, metrics.render(), headOnly: head.method == .HEAD, type: "text/plain; version=0.0.4; charset=utf-8")
    }

    /// A whole response: status, headers and body (none for HEAD, but its length).
    struct Answer {
        let status: HTTPResponseStatus
        let body: String
        var headOnly = false
        var type = "text/plain; charset=utf-8"

        init(_ status: HTTPResponseStatus, _ body: String, headOnly: Bool = false, type: String = "text/plain; charset=utf-8") {
            self.status = status
            self.body = body
            self.headOnly = headOnly
            self.type = type
        }

        var parts: [HTTPServerResponsePart] {
            let bytes = ByteBuffer(string: body)
            let headers = HTTPHeaders([("Content-Type", type), ("Content-Length", String(bytes.readableBytes)), ("Connection", "close")])
            var parts: [HTTPServerResponsePart] = [.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))]
            if !headOnly { parts.append(.body(.byteBuffer(bytes))) }
            parts.append(.end(nil))
            return parts
        }
    }
}
