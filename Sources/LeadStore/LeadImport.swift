import Foundation
import LeadCore
import Postgres

/// Bulk ingest from CSV (`leadline import FILE`): the header uses the protocol's
/// `LEAD ADD` field names, every row is checked with `LeadIntake`, good rows go in by
/// COPY in batches, and a bad row never stops the good ones.
public struct LeadImport: Sendable {
    /// The CSV columns: required first, then optional.
    public static let requiredColumns = ["phone", "name", "city", "pincode", "category", "brand", "model", "variant", "price", "source", "team"]
    public static let optionalColumns = ["created_at", "conditions", "campaign", "language"]

    /// What an import did.
    public struct Summary: Sendable {
        public var rows = 0
        public var created = 0
        /// Rows that matched an open lead (returning customer) and updated it.
        public var updated = 0
        public var rejected = 0
        /// Rejections counted by reason (`field: reason`).
        public var reasons: [String: Int] = [:]
        /// The first rejected rows: CSV line and reasons.
        public var samples: [(line: Int, reason: String)] = []
        public var seconds = 0.0

        mutating func reject(line: Int, _ reasons: [String]) {
            rejected += 1
            for r in reasons { self.reasons[r, default: 0] += 1 }
            if samples.count < 20 { samples.append((line, reasons.joined(separator: "; "))) }
        }
    }

    /// Why the file as a whole cannot be imported.
    public enum FileError: Error, CustomStringConvertible {
        case empty
        case missingColumns([String])
        case unknownColumns([String])

        public var description: String {
            switch self {
            case .empty: return "the file has no header line"
            case .missingColumns(let c): return "missing column(s): \(c.joined(separator: ", "))"
            case .unknownColumns(let c): return "unknown column(s): \(c.joined(separator: ", ")) (allowed: \((LeadImport.requiredColumns + LeadImport.optionalColumns).joined(separator: ",")))"
            }
        }
    }

    public let batchSize: Int

    public init(batchSize: Int = 25_000) { self.batchSize = max(1, batchSize) }

    public func run(path: String, into c: PostgresConnection, now: Date = Date(),
                    progress: (Summary) -> Void = { _ in }) throws -> Summary {
        let started = Date()
        var reader = try CSVReader(path: path)
        guard let header = reader.next() else { throw FileError.empty }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let missing = Self.requiredColumns.filter { !names.contains($0) }
        if !missing.isEmpty { throw FileError.missingColumns(missing) }
        let unknown = names.filter { !(Self.requiredColumns + Self.optionalColumns).contains($0) }
        if !unknown.isEmpty { throw FileError.unknownColumns(unknown) }
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() { index[n] = i }

        try c.query(SQLFiles.query("import_stage"))
        var summary = Summary()
        // One batch: the good rows in file order, each with its pass. The first row of a
        // customer and device (the key of an open lead) in the batch goes in the batch's
        // first pass, its second row in the next pass, and so on, so a customer
        // who appears twice in one file is ingested exactly as two imports one after the
        // other would be (the later row updates the lead the earlier one created, with a
        // `recheck` event). One statement cannot touch the same lead twice, hence passes.
        var batch: [(pass: Int, copy: String)] = []
        var seen: [String: Int] = [:]
        batch.reserveCapacity(batchSize)

        func flush() throws {
            guard !batch.isEmpty else { return }
            var passes: [[String]] = []
            for row in batch {
                if row.pass == passes.count { passes.append([]) }
                passes[row.pass].append(row.copy)
            }
            batch.removeAll(keepingCapacity: true)
            seen.removeAll(keepingCapacity: true)
            let result = try c.transaction { c -> (Int, Int, [(Int, String)]) in
                var (created, updated, unknownTeams) = (0, 0, [(Int, String)]())
                for (number, lines) in passes.enumerated() {
                    if number > 0 { try c.query(SQLFiles.query("import_clear")) }
                    try c.copyIn("""
                        COPY lead_import (line, team, phone, name, city, pincode, language, category, brand, model, variant,
                                          conditions, price, source, campaign, created_at) FROM STDIN
                        """, lines: lines)
                    unknownTeams += try c.query(SQLFiles.query("import_unknown_teams")).rows.map { ($0.int("line")!, $0["team"] ?? "") }
                    let r = try c.query(SQLFiles.query("import_batch"), [now]).first
                    created += r?.int("created") ?? 0
                    updated += r?.int("updated") ?? 0
                }
                return (created, updated, unknownTeams.sorted { $0.0 < $1.0 })
            }
            summary.created += result.0
            summary.updated += result.1
            for (line, team) in result.2 { summary.reject(line: line, ["team: no team named \(team)"]) }
            progress(summary)
        }

        while let record = reader.next() {
            summary.rows += 1
            let line = reader.recordLine
            func field(_ name: String) -> String? {
                guard let i = index[name], i < record.count else { return nil }
                return record[i]
            }
            if record.count != names.count {
                summary.reject(line: line, ["row: has \(record.count) fields, header has \(names.count)"])
                continue
            }
            let draft = LeadIntake.Draft(
                phone: field("phone"), name: field("name"), city: field("city"), pincode: field("pincode"),
                category: field("category")?.lowercased(), brand: field("brand"), model: field("model"), variant: field("variant"),
                price: field("price"), source: field("source"), team: field("team"), campaign: field("campaign"),
                language: field("language")?.lowercased(),
                conditions: (field("conditions") ?? "").split(whereSeparator: { $0 == ";" || $0 == "," }).map(String.init))
            var problems: [String] = []
            var createdAt = now
            if let text = field("created_at")?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
                if let d = PostgresTime.parse(text), text.count > 19 || text.hasSuffix("Z") {
                    if d > now.addingTimeInterval(300) { problems.append("created_at: in the future") } else { createdAt = d }
                } else {
                    problems.append("created_at: not ISO 8601 with an offset")
                }
            }
            switch LeadIntake.validate(draft) {
            case .failure(let rejection):
                problems += rejection.problems.map { "\($0.field): \($0.reason)" }
                summary.reject(line: line, problems)
            case .success(let lead):
                if !problems.isEmpty {
                    summary.reject(line: line, problems)
                    continue
                }
                let key = "\(lead.phone)|\(lead.category)|\(lead.brand)|\(lead.model)|\(lead.variant)"
                let pass = seen[key, default: 0]
                seen[key] = pass + 1
                batch.append((pass, CopyText.line([
                    String(line), lead.team, lead.phone, lead.name, lead.city, lead.pincode, lead.language,
                    lead.category, lead.brand, lead.model, lead.variant, lead.conditions.joined(separator: ","),
                    String(lead.priceMinor), lead.source, lead.campaign, PostgresTime.format(createdAt),
                ])))
                if batch.count >= batchSize { try flush() }
            }
        }
        try flush()
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }
}
