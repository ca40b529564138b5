import EmbeddedPostgres
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Freezes a private test cluster the way a hung database host does: SIGSTOP to the
/// postmaster and every process it started (backends, checkpointer, …), so connections
/// stay open and nothing answers. `thaw` (SIGCONT) undoes it; `thaw(after:)` arms a
/// timer that thaws on its own, so a test that hangs on the frozen server still ends.
///
/// Never point it at the shared `TestCluster`: other tests use that one.
public final class ClusterFreezer: Sendable {
    private let dataDirectory: String
    private let frozen = Mutex<[Int32]>([])

    public init(cluster: EmbeddedCluster) {
        dataDirectory = cluster.directory + "/pgdata"
    }

    /// The postmaster's pid (postmaster.pid's first line).
    public func postmasterPID() throws -> Int32 {
        let text = try String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        guard let first = text.split(separator: "\n").first, let pid = Int32(first) else {
            throw EmbeddedClusterError.toolFailed(tool: "freeze", output: "no pid in \(dataDirectory)/postmaster.pid")
        }
        return pid
    }

    /// Stops the postmaster first (so it starts no new process), then its children.
    /// - Returns: the pids stopped.
    @discardableResult
    public func freeze() throws -> [Int32] {
        let postmaster = try postmasterPID()
        guard kill(postmaster, SIGSTOP) == 0 else {
            throw EmbeddedClusterError.toolFailed(tool: "freeze", output: "kill -STOP \(postmaster): \(String(cString: strerror(errno)))")
        }
        var pids = [postmaster]
        frozen.withLock { $0 = pids }
        for child in Self.children(of: postmaster) where kill(child, SIGSTOP) == 0 {
            pids.append(child)
        }
        frozen.withLock { $0 = pids }
        return pids
    }

    /// SIGCONT to every process `freeze` stopped (safe to call more than once).
    public func thaw() {
        let pids = frozen.withLock { p in defer { p.removeAll() }; return p }
        for pid in pids.reversed() { kill(pid, SIGCONT) }
    }

    /// Thaws after `seconds` on a thread of its own, whatever the test is doing then.
    public func thaw(after seconds: Double) {
        Thread.detachNewThread { [self] in
            Thread.sleep(forTimeInterval: seconds)
            self.thaw()
        }
    }

    /// The pids whose parent is `parent` (from /proc/<pid>/stat).
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> Int32? in
            guard let pid = Int32(name),
                  let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            // After "pid (comm) ": state, then ppid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == parent else { return nil }
            return pid
        }
    }
}
