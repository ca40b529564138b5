import ArgumentParser
import BulkImport
import Foundation
import LeadCore
import LeadStore
import Postgres

/// `leadline catalogue import|list`: the operator's way to the catalogue (devices, the High
/// End list, serviceable pincodes), beside the admin verbs DEVICE ADD … PINCODE RETIRE.
struct CatalogueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalogue", abstract: "Import or list the catalogue: devices, the High End list, serviceable pincodes.",
        subcommands: [Import.self, List.self])

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import devices.csv or pincodes.csv (idempotent; bad rows are reported, never fatal).",
            discussion: """
                The header says which file it is:
                  devices:  \(CatalogueImport.deviceColumns.joined(separator: ",")) [,\(CatalogueImport.deviceOptionalColumns.joined(separator: ","))]
                  pincodes: \(CatalogueImport.pincodeColumns.joined(separator: ","))
                high_end and supported are 1/0, yes/no or true/false (empty: keep; a new device is \
                high_end=0 supported=1). A device or pincode already in the catalogue (letter case and \
                white space ignored) is updated, never duplicated, so importing a file twice changes \
                nothing. Open leads of a device whose High End flag changed are re-tiered \
                (docs/RULES.md §13). One transaction; one audit row.
                """)

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The CSV file.") var file: String
        @Flag(help: "No progress lines.") var quiet = false

        func run() async throws {
            let (path, silent) = (file, quiet)
            guard FileManager.default.isReadableFile(atPath: path) else { throw CommandFailure("cannot read \(path)") }
            let summary = try await database.withDatabase(logger: commandLogger("leadline.catalogue")) { conninfo in
                try await onOwnThread {
                    let c = try PostgresConnection(conninfo: conninfo)
                    defer { c.close() }
                    do {
                        return try CatalogueImport().run(path: path, into: c, now: SystemClock().now()) { s in
                            guard !silent else { return }
                            FileHandle.standardError.write(Data(
                                "progress rows=\(s.rows) created=\(s.created) updated=\(s.updated) unchanged=\(s.unchanged) rejected=\(s.rejected)\n".utf8))
                        }
                    } catch let e as CatalogueImport.FileError {
                        throw CommandFailure(e.description)
                    }
                }
            }
            print(String(format: "imported %@ rows=%d created=%d updated=%d unchanged=%d rejected=%d retiered=%d seconds=%.2f",
                         summary.kind, summary.rows, summary.created, summary.updated, summary.unchanged, summary.rejected,
                         summary.retiered, summary.seconds))
            for reject in summary.rejects {
                print("rejected line=\(reject.line) reason=\"\(reject.reason)\"")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Print the catalogue as CSV (the format `catalogue import` reads).")

        @OptionGroup var database: DatabaseOptions
        @Argument(help: "devices, high-ends or pincodes.") var what: String = "devices"

        func run() async throws {
            guard let listing = Catalogue.Listing(rawValue: what) else {
                throw ValidationError("expected devices, high-ends or pincodes")
            }
            let rows = try await database.withConnection(logger: commandLogger("leadline.catalogue")) { c in
                try Catalogue().list(c, listing)
            }
            print(listing.header.joined(separator: ","))
            for row in rows { print(row.map(Self.csv).joined(separator: ",")) }
        }

        /// A CSV cell, quoted when it holds a comma, a quote or a line break.
        static func csv(_ cell: String) -> String {
            guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
            return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
    }
}
