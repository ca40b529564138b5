import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Postgres
import ServiceLifecycle
import Synchronization

/// `leadline serve` as one swift-service-lifecycle `Service`: the protocol listener (a
/// `SessionHandler` per connection, a task only while it has requests), the waiting-claim waker on LISTEN `leadline_ready`, the
/// background passes and the Prometheus endpoint.
///
/// On graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`) it stops accepting, lets
/// every connection finish the request it is running, answers waiting CLAIMs with
/// `SHUTTING_DOWN`, closes the connections (forcibly after `shutdown_grace`), then stops
/// the background work and closes the database pool.
public final class LeadServer: Service, Sendable {
    /// Where the server ended up listening (ports resolved when configured as 0).
    public struct Addresses: Sendable, Equatable {
        public let host: String
        public let port: Int
        /// Nil when the metrics endpoint is disabled.
        public let metricsPort: Int?
    }

    let context: ServerContext
    private let listener: PostgresListener

    /// SO_SNDBUF of protocol connections (Linux doubles it): unread replies the kernel
    /// holds per connection, beyond the one reply the server is writing. Small, because
    /// it is also how much work a client that never reads gets out of the server before
    /// its writes stall (a PING reply is ~40 bytes: 32 KiB is ~800 of them); a reply
    /// larger than this is written as the client reads it.
    static let sendBufferBytes = 16 * 1024
    /// SO_RCVBUF of protocol connections (set on the listening socket, so accepted ones
    /// have it from the handshake on; Linux doubles it): requests the kernel holds for a
    /// connection whose pipeline is full. Without it the kernel autotunes to megabytes per
    /// connection, and 1,000 clients that send without reading park gigabytes there.
    static let receiveBufferBytes = 64 * 1024
    private let addresses = Mutex<(value: Addresses?, waiting: [CheckedContinuation<Addresses, Never>])>((nil, []))

    /// - Parameters:
    ///   - config: the settings (`ServerConfig.resolve`).
    ///   - conninfo: the database (a URL or libpq keyword string), already migrated.
    ///   - clock: the one source of time for the server and its background passes (tests
    ///     pass a `ManualClock`).
    public init(config: ServerConfig, conninfo: String, logger: Logger = Logger(label: "leadline.server"),
                clock: any FloorClock = SystemClock()) {
        let metrics = ServerMetrics()
        let pool = PostgresPool(conninfo: conninfo, size: config.poolSize,
                                acquireTimeout: .milliseconds(Int(config.poolTimeout * 1000)),
                                queryTimeout: config.queryTimeout > 0 ? .milliseconds(Int(config.queryTimeout * 1000)) : nil,
                                applicationName: "leadline-serve", logger: logger)
        context = ServerContext(config: config, pool: pool, metrics: metrics, logger: logger, clock: clock)
        listener = PostgresListener(conninfo: conninfo, channels: [LeadQueue.readyChannel, FloorControl.agentChannel], logger: logger)
    }

    /// The server's metrics (also served at `GET /metrics`).
    public var metrics: ServerMetrics { context.metrics }

    /// The database pool the server uses.
    public var pool: PostgresPool { context.pool }

    /// Waits until the listeners are bound and returns their addresses.
    public func listening() async -> Addresses {
        await withCheckedContinuation { continuation in
            addresses.withLock { state in
                if let value = state.value { continuation.resume(returning: value) } else { state.waiting.append(continuation) }
            }
        }
    }

    private func announce(_ value: Addresses) {
        let waiting = addresses.withLock { state in
            state.value = value
            defer { state.waiting.removeAll() }
            return state.waiting
        }
        for continuation in waiting { continuation.resume(returning: value) }
    }

    public func run() async throws {
        let config = context.config
        let logger = context.logger
        let tls = try ProtocolTLS.serverContext(config)
        let context = self.context
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.socketOption(.so_rcvbuf), value: LeadServer.receiveBufferBytes)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // A fixed send buffer (no autotuning to megabytes): replies a client leaves
            // unread fill it quickly, so the server stops at once instead of queueing
            // megabytes in the kernel, and `reply_timeout` sees a stuck reply.
            .childChannelOption(.socketOption(.so_sndbuf), value: LeadServer.sendBufferBytes)
            // Request lines are short: start each connection's read buffer small (it grows
            // for clients that pipeline, to 16 KiB: a full pipeline of 32 requests is a few
            // KiB), so idle connections do not each hold 2 KiB and a connection whose
            // pipeline is full holds at most one read's bytes.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 16384))
            // One read per readiness event: a client that pipelines faster than it is
            // answered leaves at most one read (16 KiB) pending, not four.
            .childChannelOption(.maxMessagesPerRead, value: 1)
            .bind(host: config.host, port: config.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.addHandler(SessionHandler(server: context))
                }
            }
        let http = MetricsHTTP(metrics: context.metrics, logger: logger)
        var metricsServer: MetricsHTTP.Listener?
        if config.metricsPort >= 0 {
            do {
                metricsServer = try await http.bind(host: config.metricsHost, port: config.metricsPort)
            } catch {
                server.channel.close(promise: nil)
                throw error
            }
        }
        let bound = Addresses(host: config.host, port: server.channel.localAddress?.port ?? config.port,
                              metricsPort: metricsServer?.channel.localAddress?.port)
        logger.info("leadline listening", metadata: [
            "host": "\(bound.host)", "port": "\(bound.port)",
            "metrics_port": "\(bound.metricsPort.map(String.init) ?? "off")",
            "max_connections": "\(config.maxConnections)", "pipeline_depth": "\(config.pipelineDepth)",
            "pool_size": "\(config.poolSize)", "tls": "\(tls == nil ? "off" : "on")",
        ])
        announce(bound)

        let listener = self.listener
        await withDiscardingTaskGroup { background in
            background.addTask {
                try? await BackgroundPasses(pool: context.pool, interval: config.tickInterval, biInterval: config.biRefreshInterval,
                                            metrics: context.metrics, clock: context.clock, logger: logger).run()
            }
            background.addTask {
                await context.waiters.run(listener: listener, logger: logger) { change in
                    switch change {
                    case .agent(let agent): await context.recheckLogins(agent: agent)
                    case .reconnected: await context.recheckLogins(agent: nil)
                    }
                }
            }
            background.addTask { await Session.sweep(context: context) }
            background.addTask { await context.checkLoginsPeriodically() }
            if let metricsServer { background.addTask { await http.run(metricsServer) } }

            await withGracefulShutdownHandler {
                do {
                    // Each accepted connection runs in its SessionHandler (on its event loop)
                    // and a short-lived executor task per burst of requests: nothing to do here.
                    try await server.executeThenClose { inbound in
                        for try await _ in inbound {}
                    }
                } catch {
                    logger.error("protocol listener failed", metadata: ["error": "\(error)"])
                    context.closeAllSessions()
                }
                await context.allSessionsClosed()
                logger.info("all connections closed")
            } onGracefulShutdown: {
                logger.info("shutting down: no new connections; finishing in-flight requests")
                context.beginShutdown()
                server.channel.close(promise: nil)
                let deadline = Task {
                    // Requests already running finish; meanwhile (and for a moment after,
                    // `shutdownLinger`) every other request is answered SHUTTING_DOWN rather
                    // than cut off by EOF. The grace period bounds it all.
                    let drained = Task {
                        await context.requestsDrained()
                        try await context.clock.sleep(for: .milliseconds(Int(min(config.shutdownGrace, ServerContext.shutdownLinger) * 1000)))
                        logger.info("in-flight requests finished; closing the connections")
                        context.closeAllSessions()
                    }
                    defer { drained.cancel() }
                    try await context.clock.sleep(for: .milliseconds(Int(config.shutdownGrace * 1000)))
                    logger.warning("shutdown grace period over; closing the remaining connections")
                    context.closeAllSessions()
                }
                context.setShutdownDeadline(deadline)
            }
            context.setShutdownDeadline(nil)
            background.cancelAll()
        }
        listener.stop()
        for _ in 0..<40 where !listener.isStopped { try? await Task.sleep(for: .milliseconds(25)) }
        await context.pool.shutdown()
        logger.info("leadline stopped")
    }
}
