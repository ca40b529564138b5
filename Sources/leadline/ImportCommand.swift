import ArgumentParser
import BulkImport
import Foundation
import LeadCore
import LeadStore
import Postgres

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import leads from a CSV file (COPY in batches; bad rows are reported, never fatal).",
        discussion: """
            The header names the columns, with the same names as the protocol's LEAD ADD:
              required: \(LeadImport.requiredColumns.joined(separator: ","))
              optional: \(LeadImport.optionalColumns.joined(separator: ","))
            price is in minor units (paise); created_at is ISO 8601 with an offset (default: now), at most
            5 minutes in the future; conditions is a list of answers such as screen:ok;body:minor_dents
            (separated by ; or by , inside a quoted field). A returning customer (same phone and device while a
            lead of the same team is open) updates that lead instead of creating a duplicate; a row whose open
            lead belongs to another team is rejected and that lead left alone (docs/RULES.md §12).
            """)

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The CSV file.")
    var file: String

    @Option(help: "Rows per COPY batch (one transaction per session; they commit together).")
    var batch: Int = 25_000

    @Option(help: "Database sessions that share each batch (rows split by customer).")
    var connections: Int = 2

    @Flag(help: "No progress lines.")
    var quiet = false

    func run() async throws {
        let (path, size, sessions, silent) = (file, batch, connections, quiet)
        guard FileManager.default.isReadableFile(atPath: path) else { throw CommandFailure("cannot read \(path)") }
        let summary = try await database.withDatabase(logger: commandLogger("leadline.import")) { conninfo in
            // libpq blocks: the import runs on a thread of its own, not the concurrency pool.
            try await onOwnThread {
                let c = try PostgresConnection(conninfo: conninfo)
                defer { c.close() }
                let started = Date()
                do {
                    return try LeadImport(batchSize: size, connections: sessions).run(path: path, into: c, now: SystemClock().now()) { s in
                        guard !silent else { return }
                        let elapsed = Date().timeIntervalSince(started)
                        FileHandle.standardError.write(Data(String(
                            format: "progress rows=%d created=%d updated=%d rejected=%d rate=%.0f/s\n",
                            s.rows, s.created, s.updated, s.rejected, elapsed > 0 ? Double(s.rows) / elapsed : 0).utf8))
                    }
                } catch let e as LeadImport.FileError {
                    throw CommandFailure(e.description)
                }
            }
        }
        print(String(format: "imported rows=%d created=%d updated=%d rejected=%d seconds=%.2f rate=%.0f/s",
                     summary.rows, summary.created, summary.updated, summary.rejected, summary.seconds,
                     summary.seconds > 0 ? Double(summary.rows) / summary.seconds : 0))
        for (reason, count) in summary.reasons.sorted(by: { $0.value > $1.value }) {
            print("rejected count=\(count) reason=\"\(reason)\"")
        }
        for sample in summary.samples {
            print("rejected line=\(sample.line) reason=\"\(sample.reason)\"")
        }
    }
}

/// Runs blocking work on a new thread and waits for it without holding a concurrency-pool thread.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
