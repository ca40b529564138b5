import Foundation
import Logging
import NIOConcurrencyHelpers

/// What a `PostgresListener` delivers.
public enum ListenerEvent: Sendable, Equatable {
    /// A NOTIFY on one of the listened channels.
    case notification(PostgresNotification)
    /// The LISTEN connection was (re)established and every channel listened again;
    /// notifications sent while it was down are lost, so consumers should poll once.
    case connected
}

/// A dedicated LISTEN connection on a thread of its own, delivering notifications as an
/// `AsyncSequence` and listening again after a reconnect.
///
/// NOTIFY is a hint, polling is the guarantee: consumers treat `.connected` as "you may
/// have missed something".
public final class PostgresListener: Sendable {
    public let events: AsyncStream<ListenerEvent>
    private let continuation: AsyncStream<ListenerEvent>.Continuation
    private let conninfo: String
    private let channels: NIOLockedValueBox<Set<String>>
    private let running = NIOLockedValueBox(true)
    private let pending = NIOLockedValueBox<[String]>([])
    private let logger: Logger
    private let done = NIOLockedValueBox<Bool>(false)

    public init(conninfo: String, channels: [String], logger: Logger = Logger(label: "leadline.listener")) {
        self.conninfo = conninfo
        self.channels = NIOLockedValueBox(Set(channels))
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: ListenerEvent.self, bufferingPolicy: .bufferingNewest(10_000))
        let thread = Thread { [self] in self.run() }
        thread.name = "leadline-listen"
        thread.start()
    }

    /// Adds a channel; takes effect within one poll interval.
    public func listen(_ channel: String) {
        let added = channels.withLockedValue { $0.insert(channel).inserted }
        if added { pending.withLockedValue { $0.append(channel) } }
    }

    /// Stops the thread and finishes the sequence.
    public func stop() {
        running.withLockedValue { $0 = false }
    }

    public var isStopped: Bool { done.withLockedValue { $0 } }

    private func run() {
        var backoff = 0.1
        defer {
            continuation.finish()
            done.withLockedValue { $0 = true }
        }
        while running.withLockedValue({ $0 }) {
            let connection: PostgresConnection
            do {
                connection = try PostgresConnection(conninfo: conninfo, applicationName: "leadline-listen")
                // LISTEN statements wait for their reply at most this long (a frozen server
                // must not hold the thread); the wait for notifications is a 100 ms poll.
                connection.timeout = .seconds(5)
                pending.withLockedValue { $0.removeAll() }
                for channel in channels.withLockedValue({ Array($0) }) {
                    try connection.query("LISTEN " + PostgresIdentifier.quote(channel))
                }
                backoff = 0.1
                continuation.yield(.connected)
            } catch {
                logger.debug("listen connection failed", metadata: ["error": "\(error)"])
                sleepWhileRunning(backoff)
                backoff = min(backoff * 2, 5)
                continue
            }
            do {
                while running.withLockedValue({ $0 }) {
                    for channel in pending.withLockedValue({ p in defer { p.removeAll() }; return p }) {
                        try connection.query("LISTEN " + PostgresIdentifier.quote(channel))
                    }
                    var pfd = pollfd(fd: connection.socket, events: Int16(POLLIN), revents: 0)
                    let ready = poll(&pfd, 1, 100)
                    if ready < 0 && errno != EINTR { throw PostgresError(kind: .connection, message: "poll failed") }
                    if ready > 0 {
                        for n in try connection.consumeNotifications() { continuation.yield(.notification(n)) }
                    }
                    if !connection.isHealthy { throw PostgresError(kind: .connection, message: "listen connection lost") }
                }
            } catch {
                logger.debug("listen connection lost; reconnecting", metadata: ["error": "\(error)"])
            }
            connection.close()
        }
    }

    private func sleepWhileRunning(_ seconds: Double) {
        var left = seconds
        while left > 0, running.withLockedValue({ $0 }) {
            Thread.sleep(forTimeInterval: min(left, 0.05))
            left -= 0.05
        }
    }
}

/// A NOTIFY received on a LISTEN connection.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    public let pid: Int32
}

/// Quotes an identifier (a LISTEN channel name) with libpq's own quoting rules.
public enum PostgresIdentifier {
    public static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
