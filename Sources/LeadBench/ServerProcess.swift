import Foundation

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

/// Starts a child process with posix_spawn, stdout and stderr into a log file.
public final class ChildProcess: Sendable {
    public let pid: Int32
    public let logPath: String

    /// - Parameters:
    ///   - executable: an absolute path.
    ///   - arguments: without argv[0].
    ///   - environment: extra variables on top of ours.
    public init(executable: String, arguments: [String], environment: [String: String] = [:], logPath: String) throws {
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // The child starts with no blocked signals and default handlers: a spawning thread
        // of this process may block some (pgbench's -T relies on SIGALRM).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in [SIGALRM, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &fileActions, &attributes, argv, envp)
        guard rc == 0 else { throw BenchFailure("cannot start \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
        self.logPath = logPath
    }

    /// Sends a signal.
    public func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for the process to exit (polling, so no thread blocks); returns its status,
    /// or nil after `timeout` (then it is killed with SIGKILL).
    @discardableResult
    public func wait(timeout: Duration = .seconds(30)) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return (status >> 8) & 0xff }
            if r < 0 { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
        return nil
    }

    /// Exited already?
    public var hasExited: Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == pid
    }

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
        let process = try ChildProcess(executable: executable, arguments: args, logPath: logPath)
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
