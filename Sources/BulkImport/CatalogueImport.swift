import Foundation
import LeadCore
import LeadStore
import Postgres

/// `leadline catalogue import devices.csv|pincodes.csv`: the catalogue from a file, in one
/// transaction, idempotent (an entry already in the catalogue, whatever its letter case and
/// spacing, is updated, never duplicated). Each row is checked with
/// `LeadCore.CatalogueEntry`; a bad row is reported with its line and reason and never stops
/// the good ones. Open leads of devices whose High End flag changed are re-tiered, and the
/// import is one audit row (`catalogue_changes`) with its counts.
///
/// Which file it is comes from the header: `category,brand,model,variant` (+ optional
/// `high_end`, `supported`) is devices; `pincode,category,city` is serviceable pincodes.
public struct CatalogueImport: Sendable {
    /// Device files: required columns, then optional.
    public static let deviceColumns = ["category", "brand", "model", "variant"]
    public static let deviceOptionalColumns = ["high_end", "supported"]
    /// Pincode files.
    public static let pincodeColumns = ["pincode", "category", "city"]

    /// What an import did.
    public struct Summary: Sendable {
        /// `devices` or `pincodes`.
        public var kind = ""
        public var rows = 0
        public var created = 0
        public var updated = 0
        public var unchanged = 0
        public var rejected = 0
        /// Open leads whose High End flag changed (devices only).
        public var retiered = 0
        /// Every rejected row: CSV line and reason.
        public var rejects: [(line: Int, reason: String)] = []
        public var seconds = 0.0
    }

    /// Why the file as a whole cannot be imported.
    public struct FileError: Error, CustomStringConvertible {
        public let description: String
    }

    public let batchSize: Int

    public init(batchSize: Int = 1000) {
        self.batchSize = max(1, batchSize)
    }

    /// Imports `path` as one transaction; `progress` after each batch; `actor` nil = the
    /// command line.
    public func run(path: String, into c: PostgresConnection, now: Date, actor: Int64? = nil,
                    progress: (Summary) -> Void = { _ in }) throws -> Summary {
        let started = ContinuousClock.now
        var reader: CSVReader
        do { reader = try CSVReader(path: path) } catch { throw FileError(description: "cannot read \(path)") }
        guard let header = reader.next() else { throw FileError(description: "the file has no header line") }
        let names = header.map { TextTrim.trimmingBlanks($0).lowercased() }
        let devices: Bool
        if Set(Self.deviceColumns).isSubset(of: names) {
            devices = true
            let unknown = names.filter { !(Self.deviceColumns + Self.deviceOptionalColumns).contains($0) }
            guard unknown.isEmpty else {
                throw FileError(description: "unknown column(s): \(unknown.joined(separator: ", ")) (a devices file has \((Self.deviceColumns + Self.deviceOptionalColumns).joined(separator: ",")))")
            }
        } else if Set(Self.pincodeColumns).isSubset(of: names) {
            devices = false
            let unknown = names.filter { !Self.pincodeColumns.contains($0) }
            guard unknown.isEmpty else {
                throw FileError(description: "unknown column(s): \(unknown.joined(separator: ", ")) (a pincodes file has \(Self.pincodeColumns.joined(separator: ",")))")
            }
        } else {
            throw FileError(description: "the header names neither a devices file (\(Self.deviceColumns.joined(separator: ",")) [,high_end,supported]) nor a pincodes file (\(Self.pincodeColumns.joined(separator: ",")))")
        }
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() { index[n] = i }

        var summary = Summary()
        summary.kind = devices ? "devices" : "pincodes"
        try c.transaction { c in
            try c.query(SQLFiles.query("catalogue_lock"))
            var deviceBatch: [(line: Int, device: CatalogueEntry.Device, highEnd: Bool?, supported: Bool?)] = []
            var pincodeBatch: [(line: Int, entry: CatalogueEntry.Pincode)] = []
            func flush() throws {
                if devices, !deviceBatch.isEmpty {
                    try applyDevices(c, deviceBatch, now: now, into: &summary)
                    deviceBatch.removeAll(keepingCapacity: true)
                    progress(summary)
                } else if !devices, !pincodeBatch.isEmpty {
                    try applyPincodes(c, pincodeBatch, into: &summary)
                    pincodeBatch.removeAll(keepingCapacity: true)
                    progress(summary)
                }
            }
            while let record = reader.next() {
                summary.rows += 1
                let line = reader.recordLine
                guard record.count == names.count else {
                    summary.rejected += 1
                    summary.rejects.append((line, "row: has \(record.count) fields, header has \(names.count)"))
                    continue
                }
                func cell(_ name: String) -> String? { index[name].map { record[$0] } }
                do throws(Refusal) {
                    if devices {
                        let device = try CatalogueEntry.device(category: cell("category"), brand: cell("brand"),
                                                               model: cell("model"), variant: cell("variant"))
                        let highEnd = try CatalogueEntry.flag(cell("high_end"), "high_end")
                        let supported = try CatalogueEntry.flag(cell("supported"), "supported")
                        deviceBatch.append((line, device, highEnd, supported))
                    } else {
                        pincodeBatch.append((line, try CatalogueEntry.pincode(cell("pincode"), category: cell("category"), city: cell("city"))))
                    }
                } catch {
                    summary.rejected += 1
                    summary.rejects.append((line, error.message))
                }
                if deviceBatch.count + pincodeBatch.count >= batchSize { try flush() }
            }
            try flush()
            try Catalogue().audit(c, now: now, actor: actor, action: devices ? "import_devices" : "import_pincodes",
                                  entry: Catalogue.json([
                                      "file": (path as NSString).lastPathComponent, "rows": summary.rows, "created": summary.created,
                                      "updated": summary.updated, "unchanged": summary.unchanged, "rejected": summary.rejected,
                                  ]), retiered: summary.retiered)
        }
        summary.seconds = (ContinuousClock.now - started).seconds
        return summary
    }

    private func applyDevices(_ c: PostgresConnection, _ batch: [(line: Int, device: CatalogueEntry.Device, highEnd: Bool?, supported: Bool?)],
                              now: Date, into summary: inout Summary) throws {
        let rows = try c.query(SQLFiles.query("catalogue_devices_upsert"), [
            batch.map(\.line), batch.map(\.device.category), batch.map(\.device.brand), batch.map(\.device.model),
            batch.map(\.device.variant), batch.map(\.highEnd), batch.map(\.supported), true,
        ], prepared: true)
        var flipped: [CatalogueEntry.Device] = []
        for row in rows.rows {
            let created = row.bool("created") ?? false
            let highEnd = row.bool("high_end") ?? false
            if created {
                summary.created += 1
                if highEnd { flipped.append(Self.device(row)) }
            } else if row.bool("high_end_before") != highEnd || row.bool("supported_before") != row.bool("supported") {
                summary.updated += 1
                if row.bool("high_end_before") != highEnd { flipped.append(Self.device(row)) }
            } else {
                summary.unchanged += 1
            }
        }
        // Rows folded into a later line of the same batch (the last one wins) count as unchanged.
        summary.unchanged += batch.count - rows.rows.count
        summary.retiered += try Catalogue().retier(c, flipped, now: now)
    }

    private func applyPincodes(_ c: PostgresConnection, _ batch: [(line: Int, entry: CatalogueEntry.Pincode)],
                               into summary: inout Summary) throws {
        let rows = try c.query(SQLFiles.query("catalogue_pincodes_upsert"), [
            batch.map(\.line), batch.map(\.entry.pincode), batch.map(\.entry.category), batch.map(\.entry.city),
        ], prepared: true)
        for row in rows.rows {
            if row.bool("created") == true {
                summary.created += 1
            } else if row["old_city"] != row["city"] {
                summary.updated += 1
            } else {
                summary.unchanged += 1
            }
        }
        summary.unchanged += batch.count - rows.rows.count
    }

    private static func device(_ row: Row) -> CatalogueEntry.Device {
        CatalogueEntry.Device(category: row["category"] ?? "", brand: row["brand"] ?? "", model: row["model"] ?? "",
                              variant: row["variant"] ?? "")
    }
}
