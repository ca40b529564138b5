import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

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
