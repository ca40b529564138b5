import Foundation
import LeadServer
import Testing

/// `GET /metrics` over a real socket (plain POSIX, so a test can send what no HTTP
/// client would): the scrape, the refusals, a malformed request, oversized headers, and a
/// slow client that must not hold up the others.
@Suite struct MetricsHTTPTests {
    /// Runs blocking socket work on a thread of its own: the server under test serves on
    /// Swift's cooperative pool (two threads on two cores), which a blocked `poll` would starve.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }

    /// One raw exchange: send `request` (then half-close if asked), read to EOF.
    static func exchange(_ port: Int, _ request: String, halfClose: Bool = false) async throws -> (head: [String], body: String) {
        let (text, closed) = try await offPool { () throws -> (String, Bool) in
            let socket = try RawSocket(port: port)
            var sent = 0
            let bytes = Array(request.utf8)
            while sent < bytes.count {
                let n = socket.sendNow(Array(bytes[sent...]))
                guard n >= 0 else { return ("", true) }
                sent += n
            }
            if halfClose { shutdown(socket.fd, Int32(SHUT_WR)) }
            return socket.readUntilClosed(timeout: .seconds(10))
        }
        #expect(closed, "one request per connection: the server closes after its answer")
        guard let split = text.range(of: "\r\n\r\n") else { return (text.components(separatedBy: "\r\n"), "") }
        return (text[..<split.lowerBound].components(separatedBy: "\r\n"), String(text[split.upperBound...]))
    }

    static func header(_ head: [String], _ name: String) -> String? {
        head.dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    @Test func scrapesAndRefusals() async throws {
        let floor = try await makeFloor()
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let port = try #require(server.metricsPort)

        let ok = try await Self.exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(ok.head.first == "HTTP/1.1 200 OK")
        #expect(Self.header(ok.head, "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(Self.header(ok.head, "Connection") == "close")
        #expect(Self.header(ok.head, "Content-Length") == String(ok.body.utf8.count))
        #expect(ok.body.contains("leadline_connections "))

        // A query string is ignored; HTTP/1.0 is answered too.
        let query = try await Self.exchange(port, "GET /metrics?name=x HTTP/1.0\r\n\r\n")
        #expect(query.head.first == "HTTP/1.1 200 OK")

        // HEAD: the length of the body, no body.
        let head = try await Self.exchange(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(head.head.first == "HTTP/1.1 200 OK")
        #expect(Int(Self.header(head.head, "Content-Length") ?? "") ?? 0 > 0)
        #expect(head.body.isEmpty)

        let missing = try await Self.exchange(port, "GET / HTTP/1.0\r\n\r\n")
        #expect(missing.head.first == "HTTP/1.1 404 Not Found")
        #expect(missing.body == "try GET /metrics\n")

        let post = try await Self.exchange(port, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        #expect(post.head.first == "HTTP/1.1 405 Method Not Allowed")
        #expect(post.body == "GET /metrics\n")
        try await server.stop()
    }

    @Test func malformedAndOversizedRequests() async throws {
        let floor = try await makeFloor()
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let port = try #require(server.metricsPort)

        for garbage in ["PING\r\n\r\n", "GET\r\n\r\n", "\u{1}\u{2}\u{3} not http\r\n\r\n", "GET /metrics HTTP/1.1\r\nbad header line\r\n\r\n"] {
            let answer = try await Self.exchange(port, garbage)
            #expect(answer.head.first == "HTTP/1.1 400 Bad Request", "\(garbage.debugDescription)")
            #expect(answer.body == "bad request\n")
        }
        // A request cut short by the client's half-close, and a connection that sends nothing.
        let cut = try await Self.exchange(port, "GET /metr", halfClose: true)
        #expect(cut.head.first == "HTTP/1.1 400 Bad Request")
        let empty = try await Self.exchange(port, "", halfClose: true)
        #expect(empty.head.first == "HTTP/1.1 400 Bad Request")

        // More than 8 KiB of header fields.
        let big = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Filler: " + String(repeating: "a", count: 9000) + "\r\n\r\n"
        let tooLarge = try await Self.exchange(port, big)
        #expect(tooLarge.head.first == "HTTP/1.1 431 Request Header Fields Too Large")
        // Just under the cap is fine.
        let fits = "GET /metrics HTTP/1.1\r\nX-Filler: " + String(repeating: "a", count: 7000) + "\r\n\r\n"
        #expect(try await Self.exchange(port, fits).head.first == "HTTP/1.1 200 OK")

        // The endpoint still serves after all that.
        #expect(try await Self.exchange(port, "GET /metrics HTTP/1.1\r\n\r\n").head.first == "HTTP/1.1 200 OK")
        try await server.stop()
    }

    /// A client that dribbles its request a few bytes at a time is answered once it is
    /// complete, and others are served meanwhile.
    @Test func slowClientDoesNotHoldUpOthers() async throws {
        let floor = try await makeFloor()
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let port = try #require(server.metricsPort)

        let slow = try RawSocket(port: port)
        let request = Array("GET /metrics HTTP/1.1\r\nHost: slow\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count - 4 {
            let chunk = Array(request[sent..<min(sent + 3, request.count - 4)])
            #expect(slow.sendNow(chunk) == chunk.count)
            sent += chunk.count
            try await Task.sleep(for: .milliseconds(20))
            if sent == 12 {
                // Mid-request: a fast scrape on another connection is answered now.
                let fast = try await Self.exchange(port, "GET /metrics HTTP/1.1\r\n\r\n")
                #expect(fast.head.first == "HTTP/1.1 200 OK")
            }
        }
        // Nothing is answered before the request is complete.
        let early = try await Self.offPool { slow.readUntilClosed(timeout: .milliseconds(200)) }
        #expect(early.text.isEmpty && !early.closed)
        #expect(slow.sendNow(Array(request[sent...])) == request.count - sent)
        let (text, closed) = try await Self.offPool { slow.readUntilClosed(timeout: .seconds(10)) }
        #expect(closed)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("leadline_connections "))
        try await server.stop()
    }
}
