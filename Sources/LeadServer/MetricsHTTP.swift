import Logging
import NIOCore
import NIOPosix

/// A tiny HTTP/1.1 responder for Prometheus: `GET /metrics` returns the exposition text,
/// anything else 404 (or 405 for other methods), one request per connection. Hand-rolled
/// on raw bytes so the server needs no HTTP package; it reads at most 8 KiB of headers.
struct MetricsHTTP: Sendable {
    let metrics: ServerMetrics
    let logger: Logger

    /// Binds the listener; `run(_:)` then serves it until cancelled.
    func bind(host: String, port: Int) async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 64)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Serves scrapes until the task is cancelled, then closes the listener.
    func run(_ server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) async {
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

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head = ByteBuffer()
                for try await chunk in inbound {
                    var chunk = chunk
                    head.writeBuffer(&chunk)
                    if head.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) != nil
                        || head.readableBytesView.firstRange(of: Array("\n\n".utf8)) != nil { break }
                    if head.readableBytes > 8192 {
                        try await outbound.write(Self.response(status: "431 Request Header Fields Too Large", body: "too large\n"))
                        return
                    }
                }
                let text = String(decoding: head.readableBytesView, as: UTF8.self)
                let requestLine = text.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).first.map(String.init) ?? ""
                let parts = requestLine.split(separator: " ")
                guard parts.count >= 2 else {
                    try await outbound.write(Self.response(status: "400 Bad Request", body: "bad request\n"))
                    return
                }
                let method = parts[0]
                let path = parts[1].split(separator: "?").first.map(String.init) ?? ""
                guard method == "GET" || method == "HEAD" else {
                    try await outbound.write(Self.response(status: "405 Method Not Allowed", body: "GET /metrics\n"))
                    return
                }
                guard path == "/metrics" else {
                    try await outbound.write(Self.response(status: "404 Not Found", body: "try GET /metrics\n"))
                    return
                }
                let body = metrics.render()
                try await outbound.write(Self.response(status: "200 OK", body: body, headOnly: method == "HEAD",
                                                       type: "text/plain; version=0.0.4; charset=utf-8"))
            }
        } catch {
            logger.debug("metrics scrape failed", metadata: ["error": "\(error)"])
        }
    }

    static func response(status: String, body: String, headOnly: Bool = false, type: String = "text/plain; charset=utf-8") -> ByteBuffer {
        let bytes = Array(body.utf8)
        var out = ByteBuffer()
        out.writeString("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n")
        if !headOnly { out.writeBytes(bytes) }
        return out
    }
}
