import ArgumentParser
import Foundation
import LeadClient
import LeadProtocol

struct CLICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cli",
        abstract: "Talk to a Leadline server: interactively (like redis-cli), or run one command and exit.",
        discussion: """
            Interactive: prints the server's HELLO, then reads request lines at a prompt and prints \
            every reply line (multi-row replies in full). `help` lists the verbs, `help VERB` shows one \
            (`help claim`, `help lead add`: the server's HELP verb=), `history` the lines sent, `quit` \
            leaves. With --agent and --token it logs in first.

            One command: `leadline cli --agent asha --token T -- CLAIM wait=5` or `-c "CLAIM wait=5"` \
            (one of the two, not both). The exit status is 1 when the reply is ERR (or AUTH fails), \
            2 when the server cannot be reached.
            """)

    @Option(help: "Server address (default $LEADLINE_HOST or 127.0.0.1).")
    var host: String?

    @Option(help: "Server port (default $LEADLINE_PORT or 7878).")
    var port: Int?

    @Option(help: "Log in as this agent first (default $LEADLINE_AGENT).")
    var agent: String?

    @Option(help: "The agent's token (default $LEADLINE_TOKEN).")
    var token: String?

    @Option(name: .short, help: "Run this one request line and exit.")
    var command: String?

    @Option(help: "Seconds to wait for a reply (a CLAIM's wait= is added).")
    var timeout: Double = 15

    @Flag(help: "Connect with TLS, checking the server against the system's trust store (a server run with --tls-cert).")
    var tls = false

    @Option(name: .customLong("tls-ca"), help: "Connect with TLS, trusting the CA (or self-signed certificate) in this PEM file; the host name is not checked.")
    var tlsCA: String?

    @Flag(name: .customLong("tls-insecure"), help: "Connect with TLS without checking the server's certificate (testing only).")
    var tlsInsecure = false

    @Argument(parsing: .postTerminator, help: "A request to run, after `--` (e.g. -- CLAIM wait=5).")
    var words: [String] = []

    func validate() throws {
        if command != nil, !words.isEmpty {
            throw ValidationError("give the request either with -c or after --, not both (-c \"\(command ?? "")\" and -- \(words.joined(separator: " ")))")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let host = host ?? environment["LEADLINE_HOST"] ?? "127.0.0.1"
        let port = port ?? environment["LEADLINE_PORT"].flatMap { Int($0) } ?? 7878
        let agent = agent ?? environment["LEADLINE_AGENT"]
        let token = token ?? environment["LEADLINE_TOKEN"]
        let oneShot = command ?? (words.isEmpty ? nil : words.joined(separator: " "))

        let client: ProtocolClient
        do {
            let trust: ProtocolClient.Trust? = if let tlsCA { .caFile(tlsCA) } else if tlsInsecure { .insecure } else if tls { .system } else { nil }
            client = try await ProtocolClient.connect(host: host, port: port, tls: trust)
        } catch {
            Self.fail("cannot connect to \(host):\(port): \(error)")
            throw ExitCode(2)
        }
        guard let hello = try await client.line(timeout: .seconds(timeout)) else {
            Self.fail("the server closed the connection")
            throw ExitCode(2)
        }
        if oneShot == nil { print(hello) }
        if ProtocolClient.errorCode(hello) != nil {
            if oneShot != nil { Self.fail(hello) }
            throw ExitCode(1)
        }
        if let agent {
            guard let token else {
                Self.fail("--agent needs --token (or LEADLINE_TOKEN)")
                throw ExitCode(1)
            }
            let reply = try await client.call(Request(verb: "AUTH", args: [Field("agent", agent), Field("token", token)]).encode()
                                                .trimmingCharacters(in: .newlines), timeout: .seconds(timeout))
            if oneShot == nil || reply.contains(where: { ProtocolClient.errorCode($0) != nil }) {
                reply.forEach { print($0) }
            }
            if reply.contains(where: { ProtocolClient.errorCode($0) != nil }) { throw ExitCode(1) }
        }
        if let oneShot {
            let lines = try await exchange(client, Self.helpRequest(oneShot) ?? oneShot)
            lines.forEach { print($0) }
            await client.close()
            if lines.isEmpty || lines.contains(where: { ProtocolClient.errorCode($0) != nil }) { throw ExitCode(1) }
            return
        }
        try await interactive(client)
        await client.close()
    }

    /// Sends one line and reads its reply; the read waits as long as a CLAIM may.
    private func exchange(_ client: ProtocolClient, _ line: String) async throws -> [String] {
        var wait = 0.0
        if case .success(let request) = RequestParser.parse(line), request.verb == "CLAIM", let w = request["wait"] {
            wait = Double(w) ?? 0
        }
        do {
            return try await client.call(line, timeout: .milliseconds(Int((timeout + wait) * 1000)))
        } catch ProtocolClient.Failure.closed {
            return []
        }
    }

    private func interactive(_ client: ProtocolClient) async throws {
        let tty = isatty(STDIN_FILENO) == 1
        var history: [String] = []
        let input = Self.stdinLines()
        var iterator = input.makeAsyncIterator()
        while true {
            if tty {
                print("leadline> ", terminator: "")
                fflush(nil)
            }
            guard let raw = await iterator.next() else { break }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            switch line.lowercased() {
            case "help", "?":
                Self.printHelp()
                continue
            case "history":
                for (i, entry) in history.enumerated() { print(String(format: "%4d  %@", i + 1, entry)) }
                continue
            case "exit", "quit":
                _ = try? await exchange(client, "QUIT")
                return
            default:
                break
            }
            history.append(line)
            let reply = try await exchange(client, Self.helpRequest(line) ?? line)
            reply.forEach { print($0) }
            if client.isClosedByServer || reply.isEmpty {
                print("(connection closed by the server)")
                return
            }
        }
        _ = try? await exchange(client, "QUIT")
    }

    /// Standard input, line by line, read on a thread of its own (never on the Swift
    /// concurrency pool, which the client's replies need).
    static func stdinLines() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let thread = Thread {
            while let line = readLine(strippingNewline: true) { continuation.yield(line) }
            continuation.finish()
        }
        thread.name = "leadline-cli-stdin"
        thread.start()
        return stream
    }

    static func printHelp() {
        print("verbs (level: none < agent < team_lead < admin):")
        for spec in VerbCatalogue.all {
            print("  " + spec.usage.padding(toLength: max(spec.usage.count, 44), withPad: " ", startingAt: 0)
                  + "  [\(spec.role.rawValue)] " + spec.summary)
        }
        print("cli: help, help VERB (e.g. help lead add), history, quit. Values with spaces go in quotes: NOTE lead=7 text=\"call after 6\"")
    }

    /// `help VERB` (or `? VERB`), any case, verbs of one or two words: the server's
    /// `HELP verb="VERB"` request line (docs/PROTOCOL.md, HELP). Nil for any other line,
    /// including a bare `help` and a HELP that already has keys (`HELP verb=claim`),
    /// which go to the server as typed.
    static func helpRequest(_ line: String) -> String? {
        var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var tag: String?
        if let first = words.first, first.hasPrefix("#") {
            tag = String(first.dropFirst())
            words.removeFirst()
        }
        guard let first = words.first, ["help", "?"].contains(first.lowercased()), words.count > 1,
              !words.dropFirst().contains(where: { $0.contains("=") || $0.contains("\"") }) else { return nil }
        let verb = words.dropFirst().joined(separator: " ").uppercased()
        return Request(tag: tag, verb: "HELP", args: [Field("verb", verb)]).encode().trimmingCharacters(in: .newlines)
    }

    static func fail(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
