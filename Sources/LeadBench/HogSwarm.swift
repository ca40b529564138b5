import Foundation
import Synchronization

/// Hostile connections: many raw TCP sockets from one loopback address, driven by one
/// thread with poll(2). Each reads the server's first line (HELLO, or the refusal sent
/// instead), logs in if given a login (reading that one reply), and then, depending on
/// `behaviour`, either pipelines requests as fast as the server takes them and never reads
/// another byte (a small SO_RCVBUF, so the replies back up at once), or sits idle.
/// When the server closes one, it connects again after `reconnectDelay` (a persistent
/// attacker), until `stop()`.
public final class HogSwarm: Sendable {
    /// What a hog does once it is in.
    public enum Behaviour: Sendable {
        /// Sends request lines whenever the socket takes them; never reads a reply.
        case pipeline
        /// Sends nothing more and reads nothing.
        case idle
    }

    /// The swarm's shape.
    public struct Settings: Sendable {
        public var port: Int
        public var count: Int
        /// The loopback address the hogs connect from.
        public var source = "127.0.0.1"
        /// Logins, used round-robin (empty: the hogs never AUTH).
        public var logins: [BenchAgent] = []
        public var behaviour = Behaviour.pipeline
        /// What a pipelining hog sends, over and over.
        public var burst = "PING\n"
        /// SO_RCVBUF of every hog, set before connecting.
        public var receiveBuffer: Int32 = 4096
        public var reconnectDelay: Duration = .seconds(1)

        public init(port: Int, count: Int) {
            self.port = port
            self.count = count
        }
    }

    /// What happened to the hogs so far.
    public struct Counts: Sendable {
        /// Connection attempts (first ones and reconnections).
        public var connects = 0
        /// Got HELLO.
        public var admitted = 0
        /// Got an error line (TOO_MANY_CONNECTIONS) instead of HELLO.
        public var refused = 0
        /// AUTH answered OK / not OK.
        public var loggedIn = 0
        public var authFailed = 0
        /// Admitted connections the server ended later (EOF or reset), and how long each had lived, seconds.
        public var closedByServer = 0
        public var lifetimes: [Double] = []
        /// Connects that failed or got nothing at all.
        public var failedConnects = 0
        /// Bytes of requests the kernel accepted from hogs (most of them wait in the socket
        /// buffers of both ends, unread by the server).
        public var bytesSent = 0
        /// Hogs in (admitted and not closed) now, and the most at once.
        public var inNow = 0
        public var mostIn = 0

        /// `min/median/max` of the lifetimes, seconds.
        public var lifetimeText: String {
            guard !lifetimes.isEmpty else { return "-" }
            let sorted = lifetimes.sorted()
            return String(format: "%.1f/%.1f/%.1fs", sorted.first!, sorted[sorted.count / 2], sorted.last!)
        }

        public var text: String {
            "connects=\(connects) admitted=\(admitted) refused=\(refused) logged_in=\(loggedIn) auth_failed=\(authFailed) "
                + "closed_by_server=\(closedByServer) lifetime(min/median/max)=\(lifetimeText) failed_connects=\(failedConnects) "
                + String(format: "most_in_at_once=%d request_bytes_sent=%.1fMB", mostIn, Double(bytesSent) / 1_048_576)
        }
    }

    public let settings: Settings
    private let counts = Mutex(Counts())
    private let stopping = Atomic<Bool>(false)
    private let stopped = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let finished = Atomic<Bool>(false)

    public init(_ settings: Settings) {
        self.settings = settings
    }

    /// Starts the swarm's thread; every hog connects (at most 64 on their way in at once).
    public func start() {
        Thread.detachNewThread { [self] in
            var loop = HogLoop(swarm: self)
            loop.run()
            finished.store(true, ordering: .releasing)
            stopped.withLock { $0?.resume(); $0 = nil }
        }
    }

    /// The counts so far.
    public var current: Counts { counts.withLock { $0 } }

    /// Stops the swarm (closing every hog) and returns the final counts.
    public func stop() async -> Counts {
        stopping.store(true, ordering: .releasing)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = stopped.withLock { slot -> Bool in
                if finished.load(ordering: .acquiring) { return true }
                slot = continuation
                return false
            }
            if done { continuation.resume() }
        }
        return current
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    func record(_ change: (inout Counts) -> Void) { counts.withLock { change(&$0) } }
}

/// The swarm's poll loop (one thread, no locks but the counters').
struct HogLoop {
    enum Phase { case waiting, connecting, greeting, authReply, hogging }

    struct Hog {
        var fd: Int32 = -1
        var phase = Phase.waiting
        var wakeAt: UInt64 = 0
        var admittedAt: UInt64 = 0
        var line: [UInt8] = []
        var loginIndex = 0
        var sent = 0
    }

    let swarm: HogSwarm
    let settings: HogSwarm.Settings
    var hogs: [Hog]
    let burst: [UInt8]
    /// POLLRDHUP (Linux): the peer closed its side.
    let rdhup: Int16 = 0x2000

    init(swarm: HogSwarm) {
        self.swarm = swarm
        settings = swarm.settings
        hogs = (0..<settings.count).map { Hog(loginIndex: $0) }
        // A burst of a few KiB, so one send fills what the kernel takes.
        let one = Array(settings.burst.utf8)
        burst = Array((0..<max(1, 4096 / max(1, one.count))).map { _ in one }.joined())
    }

    mutating func run() {
        var pfds: [pollfd] = []
        var owners: [Int] = []
        while !swarm.isStopping {
            let now = monotonicNanos()
            // At most 64 hogs on their way in (connecting, greeted, logging in) at once.
            var connecting = hogs.reduce(0) { $0 + ([.connecting, .greeting, .authReply].contains($1.phase) ? 1 : 0) }
            for i in hogs.indices where hogs[i].phase == .waiting && hogs[i].wakeAt <= now && connecting < 64 {
                open(i)
                connecting += 1
            }
            pfds.removeAll(keepingCapacity: true)
            owners.removeAll(keepingCapacity: true)
            for (i, hog) in hogs.enumerated() where hog.fd >= 0 {
                let events: Int16
                switch hog.phase {
                case .connecting: events = Int16(POLLOUT)
                case .greeting, .authReply: events = Int16(POLLIN) | rdhup
                case .hogging: events = (settings.behaviour == .pipeline ? Int16(POLLOUT) : 0) | rdhup
                case .waiting: continue
                }
                pfds.append(pollfd(fd: hog.fd, events: events, revents: 0))
                owners.append(i)
            }
            let ready = pfds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 100) }
            guard ready > 0 else { continue }
            for (k, pfd) in pfds.enumerated() where pfd.revents != 0 {
                handle(owners[k], revents: pfd.revents)
            }
        }
        for i in hogs.indices where hogs[i].fd >= 0 { close(hogs[i].fd) }
    }

    /// A new non-blocking connection from the swarm's source address.
    mutating func open(_ i: Int) {
        swarm.record { $0.connects += 1 }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return retry(i, failed: true) }
        var size = settings.receiveBuffer
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, settings.source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(settings.port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 || errno == EINPROGRESS else {
            close(fd)
            return retry(i, failed: true)
        }
        hogs[i].fd = fd
        hogs[i].phase = connected == 0 ? .greeting : .connecting
        hogs[i].line = []
    }

    mutating func handle(_ i: Int, revents: Int16) {
        let fd = hogs[i].fd
        switch hogs[i].phase {
        case .waiting:
            return
        case .connecting:
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error != 0 { return retry(i, failed: true) }
            hogs[i].phase = .greeting
        case .greeting, .authReply:
            guard let line = readLine(i) else { return }
            if line.isEmpty { return hogs[i].phase == .greeting ? retry(i, failed: true) : closedByServer(i) }
            if hogs[i].phase == .greeting {
                guard line.hasPrefix("HELLO") else {
                    swarm.record { $0.refused += 1 }
                    return retry(i, failed: false)
                }
                hogs[i].admittedAt = monotonicNanos()
                swarm.record {
                    $0.admitted += 1
                    $0.inNow += 1
                    $0.mostIn = max($0.mostIn, $0.inNow)
                }
                if settings.logins.isEmpty {
                    hogs[i].phase = .hogging
                } else {
                    let agent = settings.logins[hogs[i].loginIndex % settings.logins.count]
                    let auth = Array("AUTH agent=\(agent.name) token=\(agent.token)\n".utf8)
                    _ = auth.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                    hogs[i].phase = .authReply
                }
            } else if line.hasPrefix("OK") {
                swarm.record { $0.loggedIn += 1 }
                hogs[i].phase = .hogging
            } else {
                swarm.record { $0.authFailed += 1 }
                closedByServer(i)
            }
        case .hogging:
            if revents & (Int16(POLLHUP) | Int16(POLLERR) | rdhup) != 0 { return closedByServer(i) }
            guard revents & Int16(POLLOUT) != 0 else { return }
            let n = burst.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if n > 0 {
                swarm.record { $0.bytesSent += n }
            } else if n < 0, errno != EAGAIN, errno != EWOULDBLOCK, errno != EINTR {
                closedByServer(i)
            }
        }
    }

    /// Reads what has arrived of the first line: the line once complete, "" when the
    /// connection ended, nil while incomplete.
    mutating func readLine(_ i: Int) -> String? {
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = buffer.withUnsafeMutableBytes { recv(hogs[i].fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n == 0 { return "" }
        if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? nil : "" }
        hogs[i].line += buffer[0..<n]
        guard let end = hogs[i].line.firstIndex(of: 0x0A) else { return nil }
        let line = String(decoding: hogs[i].line[..<end], as: UTF8.self)
        hogs[i].line = []
        return line.isEmpty ? " " : line
    }

    mutating func closedByServer(_ i: Int) {
        let lived = Double(monotonicNanos() - hogs[i].admittedAt) / 1e9
        swarm.record {
            $0.closedByServer += 1
            $0.lifetimes.append(lived)
            $0.inNow -= 1
        }
        retry(i, failed: false)
    }

    /// Closes hog `i` and schedules its next connection.
    mutating func retry(_ i: Int, failed: Bool) {
        if failed { swarm.record { $0.failedConnects += 1 } }
        if hogs[i].fd >= 0 { close(hogs[i].fd) }
        hogs[i].fd = -1
        hogs[i].phase = .waiting
        let delay = settings.reconnectDelay.components
        hogs[i].wakeAt = monotonicNanos() + UInt64(delay.seconds) * 1_000_000_000 + UInt64(delay.attoseconds / 1_000_000_000)
    }
}
