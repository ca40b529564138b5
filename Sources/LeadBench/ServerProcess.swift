import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// CPU time and memory of a process, from /proc/<pid>/stat and /proc/<pid>/status.
public struct ProcessSample: Sendable {
    /// utime + stime, seconds.
    public var cpuSeconds: Double
    /// VmRSS and VmHWM (peak), bytes.
    public var rss: Int
    public var peakRSS: Int
    public var at: UInt64

    /// Reads the sample of `pid`; nil when the process is gone.
    public static func read(pid: Int32) -> ProcessSample? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let rest = stat[stat.index(after: close)...].split(separator: " ")
        guard rest.count > 13, let utime = Double(rest[11]), let stime = Double(rest[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        func kB(_ key: String) -> Int {
            for line in status.split(separator: "\n") where line.hasPrefix(key) {
                let digits = line.split(separator: " ").compactMap { Int($0) }
                return (digits.first ?? 0) * 1024
            }
            return 0
        }
        return ProcessSample(cpuSeconds: (utime + stime) / ticks, rss: kB("VmRSS:"), peakRSS: kB("VmHWM:"), at: monotonicNanos())
    }

    /// CPU used between two samples, as a share of one core (1.0 = one core busy).
    public static func cores(from a: ProcessSample, to b: ProcessSample) -> Double {
        let wall = Double(b.at - a.at) / 1e9
        return wall > 0 ? (b.cpuSeconds - a.cpuSeconds) / wall : 0
    }
}

/// A child process of the harness (`leadline serve`, pgbench), started with
/// swift-subprocess: stdin from /dev/null, stdout and stderr into a log file. The child
/// starts with no blocked signals and default handlers (swift-subprocess resets them; a
/// thread of this process may block some, and pgbench's -T relies on SIGALRM), and
/// swift-subprocess reaps it.
public final class ChildProcess: Sendable {
    public let pid: Int32
    public let logPath: String
    /// nil while it runs; then its exit code (128 + the signal if a signal ended it).
    private final class ExitCode: Sendable {
        let value = Mutex<Int32?>(nil)
    }
    private let exitCode: ExitCode
    private let run: Task<Void, Never>

    private init(pid: Int32, logPath: String, exitCode: ExitCode, run: Task<Void, Never>) {
        self.pid = pid
        self.logPath = logPath
        self.exitCode = exitCode
        self.run = run
    }

    /// Starts `executable` and returns once it is running.
    /// - Parameters:
    ///   - executable: an absolute path.
    ///   - arguments: without argv[0].
    ///   - environment: extra variables on top of ours.
    public static func start(executable: String, arguments: [String], environment: [String: String] = [:],
                             logPath: String) async throws -> ChildProcess {
        let fd = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchFailure("cannot open \(logPath): \(String(cString: strerror(errno)))") }
        let log = FileDescriptor(rawValue: fd)
        var updates: [Environment.Key: String?] = [:]
        for (k, v) in environment { if let key = Environment.Key(rawValue: k) { updates[key] = v } }
        let (started, pidSink) = AsyncThrowingStream<Int32, any Error>.makeStream()
        let exitCode = ExitCode()
        let run = Task {
            do {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments), environment: .inherit.updating(updates),
                    input: .none, output: .fileDescriptor(log, closeAfterSpawningProcess: true), error: .combinedWithOutput
                ) { execution in
                    pidSink.yield(execution.processIdentifier.value)
                }
                let code: Int32 = switch result.terminationStatus {
                case .exited(let code): code
                case .signaled(let signal): 128 + signal
                }
                exitCode.value.withLock { $0 = code }
                pidSink.finish()
            } catch {
                exitCode.value.withLock { $0 = $0 ?? -1 }
                pidSink.finish(throwing: error)
            }
        }
        do {
            for try await pid in started {
                return ChildProcess(pid: pid, logPath: logPath, exitCode: exitCode, run: run)
            }
        } catch {
            throw BenchFailure("cannot start \(executable): \(error)")
        }
        throw BenchFailure("cannot start \(executable)")
    }

    /// Sends a signal.
    public func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for the process to exit; returns its exit code, or nil after `timeout` (then
    /// it is killed with SIGKILL).
    @discardableResult
    public func wait(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let code = exitCode.value.withLock({ $0 }) { return code }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        await run.value
        return nil
    }

    /// Exited already?
    public var hasExited: Bool { exitCode.value.withLock { $0 != nil } }

    /// The last `bytes` of the log (for error messages).
    public func logTail(_ bytes: Int = 2000) -> String {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(bytes).description
    }
}

/// A `leadline serve` started by the harness (this same binary), on a port of its own.
public final class ServeInstance: Sendable {
    public let process: ChildProcess
    public let port: Int

    /// The client limits the load benchmarks run with: room for 10,000 connections, and no
    /// idle or AUTH deadline or per-address cap (a benchmark opens its connections faster
    /// than a floor does). The hostile-client benchmarks pass their own.
    public static let benchmarkLimits = ["--max-connections", "20000", "--idle-timeout", "0", "--auth-timeout", "0",
                                         "--max-unauthenticated-per-address", "0", "--auth-free-failures", "1000"]

    /// Starts `leadline serve` and waits until it accepts connections.
    /// - Parameter limits: flags for the client limits (`benchmarkLimits`; [] = the server's defaults).
    public static func start(executable: String, conninfo: String, port: Int, poolSize: Int, extra: [String] = [],
                             limits: [String] = benchmarkLimits, logPath: String) async throws -> ServeInstance {
        let args = ["serve", "--database-url", conninfo, "--host", "127.0.0.1", "--port", String(port),
                    "--metrics-port=-1", "--pool-size", String(poolSize), "--log-level", "warning"] + limits + extra
        let process = try await ChildProcess.start(executable: executable, arguments: args, logPath: logPath)
        let instance = ServeInstance(process: process, port: port)
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if process.hasExited { throw BenchFailure("leadline serve exited at start:\n\(process.logTail())") }
            if Self.canConnect(port: port) { return instance }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.signal(SIGKILL)
        throw BenchFailure("leadline serve did not listen on \(port) within 60 s:\n\(process.logTail())")
    }

    private init(process: ChildProcess, port: Int) {
        self.process = process
        self.port = port
    }

    /// Stops it with SIGTERM (graceful), then SIGKILL after 20 s.
    public func stop() async {
        process.signal(SIGTERM)
        await process.wait(timeout: .seconds(20))
    }

    public var sample: ProcessSample? { ProcessSample.read(pid: process.pid) }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// The path of the running executable (to start `leadline serve` from the same build).
public func currentExecutable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// Raises the soft open-files limit to the hard limit (10,000 connections need it).
@discardableResult
public func raiseOpenFileLimit() -> Int {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    return Int(limit.rlim_cur)
}
