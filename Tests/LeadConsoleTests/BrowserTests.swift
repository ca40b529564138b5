import Foundation
import LeadConsole
import LeadTesting
import Synchronization
import Testing

/// The floor console in a real browser: a real server and console (real PostgreSQL, the
/// floor's ManualClock) driven by `browser/console_browser.py` — headless Chromium through
/// Selenium and chromium-driver, which `scripts/setup.sh` installs. The script logs in,
/// stars, pauses, claims, disposes, converts, reads the history and watches a breach
/// arrive live; when it asks (`ADVANCE n`), this test moves the floor clock and runs the
/// background passes.
///
/// The server's log, captured at trace level, must hold no token.
///
/// `LEADLINE_CONSOLE_SCREENSHOTS=DIR` makes the script save its screenshots there (the ones
/// in docs/ were made this way); `LEADLINE_PYTHON` picks the interpreter (default
/// /usr/bin/python3, whose python3-selenium Debian installs).
@Suite(.serialized) struct BrowserTests {
    @Test(.timeLimit(.minutes(5))) func consoleInChromium() async throws {
        let leadToken = "tok-lead-\(UInt32.random(in: 100_000...999_999))"
        let agentToken = "tok-agent-\(UInt32.random(in: 100_000...999_999))"
        let floor = try await makeConsoleFloor(tokens: ["north-lead": leadToken, "north-agent1": agentToken])
        let notCalled = 6
        for i in 0..<notCalled { try floor.lead(team: "north", createdAt: floor.ago(Double(600 + 60 * i))) }
        let highEnd = try floor.lead(team: "north", highEnd: true, createdAt: floor.ago(60))
        let south = try floor.lead(team: "south", createdAt: floor.ago(60))
        // No log line may hold the two logins' tokens or the wrong one the script tries.
        let log = CapturedLog()
        let test = try await ConsoleTestServer.start(floor, logger: log.logger)

        let environment = ProcessInfo.processInfo.environment
        let setup: [String: Any] = [
            "url": "http://127.0.0.1:\(test.consolePort)",
            "lead": ["name": "north-lead", "token": leadToken],
            "agent": ["name": "north-agent1", "token": agentToken],
            "north_agents": ["north-lead", "north-agent1", "north-agent2"],
            "south_lead": south,
            "high_end_lead": highEnd,
            "not_called": notCalled,
            "all_ready": notCalled + 1,
            // 2026-06-16 19:00 in Asia/Kolkata, the day after Floor.start.
            "callback_local": "2026-06-16T19:00",
            "callback_utc": "2026-06-16T13:30:00Z",
            // The High End lead's 15-minute SLA runs out within 20 minutes; a login idle
            // for more than 30 minutes has expired.
            "breach_after": 20 * 60,
            "expire_after": 32 * 60,
            "screenshots": environment["LEADLINE_CONSOLE_SCREENSHOTS"] ?? "",
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: setup), as: UTF8.self)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("browser/console_browser.py").path
        let python = environment["LEADLINE_PYTHON"] ?? (FileManager.default.fileExists(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3")

        let run = try BrowserRun(python: python, script: script, environment: environment.merging(["CONSOLE_TEST": json]) { $1 })
        var checks: [String] = []
        var done = false
        let deadline = ContinuousClock.now + .seconds(240)
        while let line = try await run.nextLine(until: deadline) {
            if line.hasPrefix("ADVANCE "), let seconds = Int(line.dropFirst(8)) {
                try await test.advance(by: .seconds(seconds))
                run.answer("OK")
            } else if line.hasPrefix("CHECK ") {
                checks.append(String(line.dropFirst(6)))
            } else if line.hasPrefix("BREACH_SECONDS ") {
                print("console browser test: breach shown \(line.dropFirst(15)) s after the pass ran")
            } else if line == "DONE" {
                done = true
            }
        }
        let status = await run.finish()
        let errors = run.errorOutput()
        #expect(status == 0, "the browser script failed (status \(status)); checks passed: \(checks)\n\(errors.suffix(4000))")
        #expect(done, "the browser script did not finish")
        #expect(checks.count == 19, "\(checks.count) checks: \(checks)")
        try await test.stop()
        // The server logged the logins (at trace level, everything it logs) but no token.
        let lines = log.all
        #expect(lines.contains { $0.contains("console login") && $0.contains("north-lead") }, "the login was logged")
        for secret in [leadToken, agentToken, "not-the-token"] {
            #expect(!lines.contains { $0.contains(secret) }, "a log line holds a token")
        }
    }
}

/// The browser script as a child process: its stdout as lines, its stdin for answers.
final class BrowserRun: @unchecked Sendable {  // one test owns it; its mutable state is behind the Mutex
    private let process: Process
    private let input: FileHandle
    private let box = Box()

    /// The child's output so far, shared with the pipes' handlers.
    final class Box: Sendable {
        let state = Mutex<(buffer: [UInt8], lines: [String], closed: Bool, errors: [UInt8])>(([], [], false, []))
    }

    init(python: String, script: String, environment: [String: String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python.hasPrefix("/") ? python : "/usr/bin/env")
        process.arguments = python.hasPrefix("/") ? [script] : [python, script]
        process.environment = environment
        let stdout = Pipe(), stdin = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardInput = stdin
        process.standardError = stderr
        self.process = process
        input = stdin.fileHandleForWriting
        let box = self.box
        stdout.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            box.state.withLock { s in
                if data.isEmpty {
                    s.closed = true
                    handle.readabilityHandler = nil
                    return
                }
                s.buffer += data
                while let newline = s.buffer.firstIndex(of: 10) {
                    s.lines.append(String(decoding: s.buffer[..<newline], as: UTF8.self))
                    s.buffer.removeSubrange(...newline)
                }
            }
        }
        stderr.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil; return }
            box.state.withLock { $0.errors += data }
        }
        try process.run()
    }

    /// The next line, or nil once the script closed its output (or at the deadline, when
    /// the script is stopped).
    func nextLine(until deadline: ContinuousClock.Instant) async throws -> String? {
        while true {
            let (line, closed) = box.state.withLock { s -> (String?, Bool) in
                if !s.lines.isEmpty { return (s.lines.removeFirst(), false) }
                return (nil, s.closed)
            }
            if let line { return line }
            if closed { return nil }
            if ContinuousClock.now > deadline {
                process.terminate()
                Issue.record("the browser script ran past its deadline")
                return nil
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    func answer(_ line: String) {
        input.write(Data((line + "\n").utf8))
    }

    /// Waits for the exit; returns the status.
    func finish() async -> Int32 {
        for _ in 0..<600 where process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    func errorOutput() -> String {
        box.state.withLock { String(decoding: $0.errors, as: UTF8.self) }
    }
}
