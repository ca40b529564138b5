import Foundation
import Logging
import Subprocess
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster in a directory of the project's: `initdb` once, `pg_ctl`
/// start and stop, listening only on a Unix socket inside that directory.
///
/// `leadline serve` uses it when no `DATABASE_URL` is given, and the test harness uses a
/// throwaway one per test process. PostgreSQL refuses to run as root, so when we are root
/// the cluster runs as the unprivileged `postgres` OS user (Debian's package creates it).
public struct EmbeddedCluster: Sendable {
    /// Tuning for the kind of use: durable for a service, fast and throwaway for tests.
    public enum Profile: Sendable {
        case service
        case throwaway
    }

    public let directory: String
    public let profile: Profile
    private let logger: Logger

    public init(directory: String, profile: Profile = .service, logger: Logger = Logger(label: "leadline.embedded")) {
        self.directory = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.profile = profile
        self.logger = logger
    }

    var dataDirectory: String { directory + "/pgdata" }
    /// The socket lives in the cluster's own directory (keep its path under ~100 bytes).
    public var socketDirectory: String { directory }

    /// A libpq conninfo for a database in this cluster.
    public func conninfo(database: String = "postgres") -> String {
        "host=\(socketDirectory) port=5432 user=postgres dbname=\(database)"
    }

    /// Creates the cluster if needed and starts it; returns once it accepts connections.
    /// Returns false when it was already running (someone else started it: leave it up).
    @discardableResult
    public func start() async throws -> Bool {
        let bin = try Self.binDirectory()
        let owner = try Self.runAsUser()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if let owner { try chownRecursively(directory, owner) }
        if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            logger.info("creating PostgreSQL cluster", metadata: ["dir": "\(dataDirectory)"])
            var args = ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
            if profile == .throwaway { args.append("--no-sync") }
            try await runTool(bin + "/initdb", args, as: owner)
        }
        if try await isRunning(bin: bin, owner: owner) { return false }
        var options = "-c listen_addresses='' -k '\(socketDirectory)' -c port=5432 -c max_connections=300"
        options += " -c shared_buffers=256MB -c autovacuum_naptime=10s"
        if profile == .throwaway {
            // Tests: many databases and connections at once, durability not needed.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=600"
        }
        try await runTool(bin + "/pg_ctl", ["-D", dataDirectory, "-l", directory + "/postgres.log", "-w", "-t", "60", "-o", options, "start"], as: owner)
        return true
    }

    /// Stops the cluster (fast shutdown: open sessions are rolled back).
    public func stop(mode: String = "fast") async throws {
        let bin = try Self.binDirectory()
        let owner = try Self.runAsUser()
        guard try await isRunning(bin: bin, owner: owner) else { return }
        try await runTool(bin + "/pg_ctl", ["-D", dataDirectory, "-m", mode, "-w", "stop"], as: owner)
    }

    /// Deletes the cluster's directory (for throwaway clusters).
    public func destroy() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func isRunning(bin: String, owner: (uid: UInt32, gid: UInt32)?) async throws -> Bool {
        guard FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") else { return false }
        let (exe, args) = Self.command(bin + "/pg_ctl", ["-D", dataDirectory, "status"], as: owner)
        let result = try await run(.path(.init(exe)), arguments: .init(args), output: .discarded, error: .discarded)
        return result.terminationStatus.isSuccess
    }

    private func runTool(_ path: String, _ arguments: [String], as owner: (uid: UInt32, gid: UInt32)?) async throws {
        // pg_ctl's server keeps running after pg_ctl exits: give it no pipes to hold open,
        // and read the server log when something fails.
        let outputFile = directory + "/\((path as NSString).lastPathComponent).out"
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        if let owner { chown(outputFile, owner.uid, owner.gid) }
        let fd = try FileDescriptor.open(FilePath(outputFile), .writeOnly, options: [.truncate])
        let (exe, args) = Self.command(path, arguments, as: owner)
        let result = try await run(.path(.init(exe)), arguments: .init(args),
                                   output: .fileDescriptor(fd, closeAfterSpawningProcess: false),
                                   error: .fileDescriptor(fd, closeAfterSpawningProcess: false))
        try? fd.close()
        guard result.terminationStatus.isSuccess else {
            let out = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOfFile: directory + "/postgres.log", encoding: .utf8)).map { String($0.suffix(2000)) } ?? ""
            throw EmbeddedClusterError.toolFailed(tool: (path as NSString).lastPathComponent, output: out + log)
        }
    }

    /// How to run a PostgreSQL tool: directly, or (as root) through `runuser -u postgres`.
    ///
    /// Not with swift-subprocess's userID/groupID options: those call setgid/setuid between
    /// fork and exec, which in glibc can deadlock a child forked from a multi-threaded
    /// process (setxid waits on a futex held at fork time). runuser does the switch in a
    /// fresh single-threaded process instead.
    private static func command(_ path: String, _ arguments: [String], as owner: (uid: UInt32, gid: UInt32)?) -> (String, [String]) {
        guard owner != nil else { return (path, arguments) }
        let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "runuser"
        return (runuser, ["-u", "postgres", "--", path] + arguments)
    }

    private func chownRecursively(_ path: String, _ owner: (uid: UInt32, gid: UInt32)) throws {
        chown(path, owner.uid, owner.gid)
        if let e = FileManager.default.enumerator(atPath: path) {
            for case let item as String in e { chown(path + "/" + item, owner.uid, owner.gid) }
        }
    }

    /// When running as root: the `postgres` OS user; otherwise nil (run as ourselves).
    static func runAsUser() throws -> (uid: UInt32, gid: UInt32)? {
        guard geteuid() == 0 else { return nil }
        guard let pw = getpwnam("postgres") else { throw EmbeddedClusterError.noPostgresUser }
        return (pw.pointee.pw_uid, pw.pointee.pw_gid)
    }

    /// PostgreSQL's server binaries: `$PG_BIN`, else `pg_config --bindir`, else the newest
    /// `/usr/lib/postgresql/*/bin` that has `pg_ctl`.
    public static func binDirectory() throws -> String {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["PG_BIN"], fm.fileExists(atPath: env + "/pg_ctl") { return env }
        let root = "/usr/lib/postgresql"
        let versions = ((try? fm.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        for v in versions where fm.fileExists(atPath: "\(root)/\(v)/bin/pg_ctl") { return "\(root)/\(v)/bin" }
        for dir in ["/usr/local/pgsql/bin", "/usr/local/bin", "/usr/bin"] where fm.fileExists(atPath: dir + "/pg_ctl") && fm.fileExists(atPath: dir + "/postgres") {
            return dir
        }
        throw EmbeddedClusterError.serverNotInstalled
    }
}

/// Why the embedded cluster could not start.
public enum EmbeddedClusterError: Error, CustomStringConvertible {
    case serverNotInstalled
    case noPostgresUser
    case toolFailed(tool: String, output: String)

    public var description: String {
        switch self {
        case .serverNotInstalled:
            return "PostgreSQL server binaries not found (install Debian's `postgresql` package, or set PG_BIN)"
        case .noPostgresUser:
            return "running as root, but there is no `postgres` OS user to run PostgreSQL as (install Debian's `postgresql` package)"
        case .toolFailed(let tool, let output):
            return "\(tool) failed:\n\(output)"
        }
    }
}

extension EmbeddedCluster {
    /// A command's use of the cluster: while attached, the cluster stays up. The last
    /// command to detach stops it, so two commands started at once (two `leadline
    /// migrate`, or a `seed` while `serve` runs) never stop it under each other.
    public final class Attachment: Sendable {
        public let cluster: EmbeddedCluster
        /// True when this attachment created or started the cluster.
        public let started: Bool
        private let usersFD: Int32

        init(cluster: EmbeddedCluster, started: Bool, usersFD: Int32) {
            self.cluster = cluster
            self.started = started
            self.usersFD = usersFD
        }

        /// Lets go; stops the cluster when no other command is attached.
        public func detach() async throws {
            let lockPath = cluster.directory + "/users.lock"
            close(usersFD)  // drops our shared lock
            let fd = open(lockPath, O_RDWR | O_CREAT, 0o644)
            guard fd >= 0 else { return }
            defer { close(fd) }
            // Exclusive without waiting: succeeds only when nobody else holds a shared lock.
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { return }
            try await cluster.stop()
        }
    }

    /// Starts the cluster if needed (serialised with other commands by a lock file, so
    /// two commands never run initdb or pg_ctl start at once) and attaches to it.
    public func attach() async throws -> Attachment {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let startFD = open(directory + "/start.lock", O_RDWR | O_CREAT, 0o644)
        guard startFD >= 0 else { throw EmbeddedClusterError.toolFailed(tool: "lock", output: "cannot open \(directory)/start.lock") }
        defer { close(startFD) }
        try await Self.lock(startFD, LOCK_EX)
        let usersFD = open(directory + "/users.lock", O_RDWR | O_CREAT, 0o644)
        guard usersFD >= 0 else { throw EmbeddedClusterError.toolFailed(tool: "lock", output: "cannot open \(directory)/users.lock") }
        do {
            try await Self.lock(usersFD, LOCK_SH)
            let started = try await start()
            flock(startFD, LOCK_UN)
            return Attachment(cluster: self, started: started, usersFD: usersFD)
        } catch {
            close(usersFD)
            throw error
        }
    }

    /// Waits for a flock without blocking a concurrency-pool thread for long.
    private static func lock(_ fd: Int32, _ operation: Int32) async throws {
        while flock(fd, operation | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                throw EmbeddedClusterError.toolFailed(tool: "lock", output: String(cString: strerror(errno)))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
