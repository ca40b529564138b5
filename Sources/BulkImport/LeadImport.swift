import DequeModule
import Foundation
import LeadCore
import LeadStore
import Postgres

/// Bulk ingest from CSV (`leadline import FILE`): the header uses the protocol's
/// `LEAD ADD` field names, every row is checked with `LeadIntake` (the same rules as
/// LEAD ADD, `created_at` clock-skew allowance included), good rows go in by COPY in
/// batches, and a bad row never stops the good ones. A row whose phone and device have an
/// open lead in another team is rejected (that lead is left alone, docs/RULES.md §12).
///
/// A reader thread parses, checks and COPY-encodes batch N+1 while batch N is in the
/// database (COPY, then one set-based statement per pass: `import_batch.sql`), split over
/// `connections` sessions by customer.
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
        /// Passes that met a concurrent change to a lead with one of their keys (another
        /// session opened or closed it meanwhile) and so went through the row-by-row
        /// upsert (`import_upsert.sql`) instead of the set-based statement.
        public var racedPasses = 0
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
    /// Database sessions that share each batch: its rows are split by phone number, so
    /// every row of one customer goes through the same session, in file order.
    public let connections: Int

    public init(batchSize: Int = 25_000, connections: Int = 2) {
        self.batchSize = max(1, batchSize)
        self.connections = max(1, connections)
    }

    static let copyStatement = """
        COPY lead_import (line, team, phone, name, city, pincode, language, category, brand, model, variant,
                          conditions, price, source, campaign, created_at) FROM STDIN
        """

    public func run(path: String, into c: PostgresConnection, now: Date,
                    progress: (Summary) -> Void = { _ in }) throws -> Summary {
        let started = ContinuousClock.now
        var reader = try CSVReader(path: path)
        guard let header = reader.next() else { throw FileError.empty }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let missing = Self.requiredColumns.filter { !names.contains($0) }
        if !missing.isEmpty { throw FileError.missingColumns(missing) }
        let unknown = names.filter { !(Self.requiredColumns + Self.optionalColumns).contains($0) }
        if !unknown.isEmpty { throw FileError.unknownColumns(unknown) }

        // The first session is the caller's; the others are opened here, on the same database.
        var sessions = [c]
        defer { for extra in sessions.dropFirst() { extra.close() } }
        for _ in 1..<connections {
            // A server out of connection slots gets a slower import, not a failed one.
            guard let extra = try? PostgresConnection(conninfo: c.conninfo) else { break }
            sessions.append(extra)
        }
        for session in sessions { try session.query(SQLFiles.query("import_stage")) }
        var summary = Summary()

        // The reader thread fills the queue (at most two batches ahead); this thread
        // empties it into the database.
        let queue = BatchQueue(capacity: 2)
        let encoder = BatchEncoder(names: names, batchSize: batchSize, shards: sessions.count, now: now)
        let box = ReaderBox(reader)
        let thread = Thread {
            encoder.run(reader: &box.reader, into: queue)
            queue.finish()
        }
        thread.name = "leadline-import-reader"
        thread.start()
        defer { queue.cancel() }

        while let batch = queue.pop() {
            summary.rows += batch.rows
            for r in batch.rejects { summary.reject(line: r.line, r.reasons) }
            guard batch.shards.contains(where: { !$0.isEmpty }) else { continue }
            let result = try Self.apply(batch.shards, sessions: sessions, now: now)
            summary.created += result.created
            summary.updated += result.updated
            summary.racedPasses += result.racedPasses
            for (line, team) in result.unknownTeams { summary.reject(line: line, ["team: no team named \(team)"]) }
            for (line, other) in result.otherTeam { summary.reject(line: line, [Self.otherTeamReason(other)]) }
            progress(summary)
        }
        summary.seconds = (ContinuousClock.now - started).seconds
        return summary
    }

    /// What one batch did in the database.
    struct Applied: Sendable {
        var created = 0
        var updated = 0
        var racedPasses = 0
        /// Staged rows whose team does not exist: line and team.
        var unknownTeams: [(Int, String)] = []
        /// Staged rows left out because another team has an open lead for their phone and
        /// device: line and that team.
        var otherTeam: [(Int, String)] = []
    }

    /// The rejection reason of a row whose customer and device have an open lead in `team`.
    static func otherTeamReason(_ team: String) -> String {
        "phone: team \(team) has an open lead for this customer and device (LEAD_IN_OTHER_TEAM); it was not changed"
    }

    /// Runs one batch: each shard in its own session and transaction, the shards at the
    /// same time (this thread takes the first, one thread each the others). The
    /// transactions commit only once every shard has succeeded; otherwise all roll back.
    static func apply(_ shards: [[[UInt8]]], sessions: [PostgresConnection], now: Date) throws -> Applied {
        let outcomes = ShardOutcomes(count: shards.count)
        let done = DispatchSemaphore(value: 0)
        var helpers = 0
        for i in shards.indices.dropFirst() where !shards[i].isEmpty {
            let (session, passes) = (sessions[i], shards[i])
            helpers += 1
            Thread.detachNewThread {
                outcomes.set(i, Result { try stage(passes, on: session, now: now) })
                done.signal()
            }
        }
        if !shards[0].isEmpty { outcomes.set(0, Result { try stage(shards[0], on: sessions[0], now: now) }) }
        for _ in 0..<helpers { done.wait() }

        var total = Applied()
        var failure: (any Error)?
        for i in shards.indices {
            switch outcomes.get(i) {
            case nil: continue
            case .failure(let error)?: if failure == nil { failure = error }
            case .success(let applied)?:
                total.created += applied.created
                total.updated += applied.updated
                total.racedPasses += applied.racedPasses
                total.unknownTeams += applied.unknownTeams
                total.otherTeam += applied.otherTeam
            }
        }
        if let failure {
            for i in shards.indices where outcomes.get(i) != nil && sessions[i].isHealthy {
                _ = try? sessions[i].query("ROLLBACK")
            }
            throw failure
        }
        for i in shards.indices where outcomes.get(i) != nil { try sessions[i].query("COMMIT") }
        total.unknownTeams.sort { $0.0 < $1.0 }
        total.otherTeam.sort { $0.0 < $1.0 }
        return total
    }

    /// One shard of a batch in `session`: BEGIN, then each pass (COPY into the staging
    /// table, the unknown teams, the set-based insert and re-check, the rows another team's
    /// open lead kept out), left open for `apply` to commit.
    ///
    /// The pass runs `import_batch.sql` under a savepoint: one probe of the open-lead index
    /// per row sorts the rows into new leads (a plain INSERT), re-checks and other teams'.
    /// If another session opened or closed a lead with a staged key meanwhile (a unique
    /// violation, or fewer re-checks than rows that found their team's lead), the pass
    /// rolls back to the savepoint and goes through `import_upsert.sql`, which arbitrates
    /// row by row (ON CONFLICT). Either way every row is counted once.
    static func stage(_ passes: [[UInt8]], on session: PostgresConnection, now: Date) throws -> Applied {
        try session.query("BEGIN")
        var applied = Applied()
        for (number, data) in passes.enumerated() {
            if number > 0 { try session.query(SQLFiles.query("import_clear")) }
            try session.copyIn(copyStatement, data: data)
            applied.unknownTeams += try session.query(SQLFiles.query("import_unknown_teams")).rows.map { ($0.int("line")!, $0["team"] ?? "") }
            let pass = try Self.pass(on: session, now: now)
            applied.created += pass.created
            applied.updated += pass.updated
            if pass.fellBack { applied.racedPasses += 1 }
            if pass.otherTeam > 0 {
                applied.otherTeam += try session.query(SQLFiles.query("import_other_team")).rows.map { ($0.int("line")!, $0["other_team"] ?? "") }
            }
        }
        return applied
    }

    /// What one pass wrote, and how many of its rows another team's open lead kept out.
    struct Pass: Equatable {
        var created: Int
        var updated: Int
        var otherTeam: Int
        /// True when the pass went through `import_upsert.sql` (a race with another session).
        var fellBack: Bool
    }

    /// Runs one staged pass: the set-based statement, or on a race the row-by-row upsert.
    static func pass(on session: PostgresConnection, now: Date) throws -> Pass {
        try session.query("SAVEPOINT import_pass")
        var result: QueryResult?
        do {
            result = try session.query(SQLFiles.query("import_batch"), [now])
        } catch {
            // A unique violation: another session opened a lead with a staged key since
            // the statement's snapshot. Anything else fails the batch.
            guard error.kind == .uniqueViolation else { throw error }
        }
        if let r = result?.first, let created = r.int("created"), let updated = r.int("updated"), updated == r.int("same_team") {
            try session.query("RELEASE SAVEPOINT import_pass")
            return Pass(created: created, updated: updated, otherTeam: r.int("other_team") ?? 0, fellBack: false)
        }
        try session.query("ROLLBACK TO SAVEPOINT import_pass")
        let r = try session.query(SQLFiles.query("import_upsert"), [now]).first
        // The upsert leaves other teams' rows out without counting them: the list tells.
        return Pass(created: r?.int("created") ?? 0, updated: r?.int("updated") ?? 0, otherTeam: 1, fellBack: true)
    }
}

/// The outcome of each shard of a batch, written by the threads that ran them.
final class ShardOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [Result<LeadImport.Applied, any Error>?]

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ outcome: Result<LeadImport.Applied, any Error>) {
        lock.lock()
        outcomes[i] = outcome
        lock.unlock()
    }

    func get(_ i: Int) -> Result<LeadImport.Applied, any Error>? {
        lock.lock()
        defer { lock.unlock() }
        return outcomes[i]
    }
}

/// One batch, ready for the database: the rows it covers, the rows rejected while checking
/// them, and the COPY text of the good rows, one block per pass.
///
/// The first row of a customer and device (the key of an open lead) in the batch goes in
/// the batch's first pass, its second row in the next pass, and so on, so a customer who
/// appears twice in one file is ingested exactly as two imports one after the other
/// would be (the later row updates the lead the earlier one created, with a `recheck`
/// event). One statement cannot touch the same lead twice, hence passes.
struct ImportBatch: Sendable {
    var rows = 0
    var rejects: [(line: Int, reasons: [String])] = []
    /// Per shard (the session that runs it), the COPY text of each pass.
    var shards: [[[UInt8]]]

    init(shards: Int) { self.shards = Array(repeating: [], count: shards) }
}

/// Parses, checks and COPY-encodes the rows after the header, a batch at a time.
struct BatchEncoder: Sendable {
    let names: [String]
    let batchSize: Int
    let shards: Int
    let now: Date

    func run(reader: inout CSVReader, into queue: BatchQueue) {
        var index: [String: Int] = [:]
        for (i, n) in names.enumerated() { index[n] = i }
        func column(_ name: String) -> Int { index[name] ?? -1 }
        let (phoneAt, nameAt, cityAt, pincodeAt) = (column("phone"), column("name"), column("city"), column("pincode"))
        let (categoryAt, brandAt, modelAt, variantAt) = (column("category"), column("brand"), column("model"), column("variant"))
        let (priceAt, sourceAt, teamAt, campaignAt) = (column("price"), column("source"), column("team"), column("campaign"))
        let (languageAt, conditionsAt, createdAtAt) = (column("language"), column("conditions"), column("created_at"))
        var nowText: [UInt8] = []
        PostgresTime.appendFormatted(now, to: &nowText)

        var batch = ImportBatch(shards: shards)
        var good = 0
        var seen: [String: Int] = [:]
        func emit() -> Bool {
            let ok = queue.push(batch)
            batch = ImportBatch(shards: shards)
            good = 0
            seen.removeAll(keepingCapacity: true)
            return ok
        }

        while let record = reader.next() {
            batch.rows += 1
            let line = reader.recordLine
            func field(_ i: Int) -> String? { i >= 0 ? record[i] : nil }
            if record.count != names.count {
                batch.rejects.append((line, ["row: has \(record.count) fields, header has \(names.count)"]))
                continue
            }
            var problems: [String] = []
            var createdAt: Date?
            if let text = field(createdAtAt).map(TextTrim.trimmingWhitespaces), !text.isEmpty {
                if let d = PostgresTime.parse(text), text.count > 19 || text.hasSuffix("Z") {
                    createdAt = d
                } else {
                    problems.append("created_at: not ISO 8601 with an offset")
                }
            }
            // LeadIntake checks created_at too (no later than now + its clock-skew allowance).
            let draft = LeadIntake.Draft(
                phone: field(phoneAt), name: field(nameAt), city: field(cityAt), pincode: field(pincodeAt),
                category: field(categoryAt)?.lowercased(), brand: field(brandAt), model: field(modelAt), variant: field(variantAt),
                price: field(priceAt), source: field(sourceAt), team: field(teamAt), campaign: field(campaignAt),
                language: field(languageAt)?.lowercased(),
                conditions: Self.conditions(field(conditionsAt) ?? ""), createdAt: createdAt)
            switch LeadIntake.validate(draft, now: now) {
            case .failure(let rejection):
                problems += rejection.problems.map { "\($0.field): \($0.reason)" }
                batch.rejects.append((line, problems))
            case .success(let lead):
                if !problems.isEmpty {
                    batch.rejects.append((line, problems))
                    continue
                }
                let key = "\(lead.phone)|\(lead.category)|\(lead.brand)|\(lead.model)|\(lead.variant)"
                let pass = seen[key, default: 0]
                seen[key] = pass + 1
                let shard = Self.shard(of: lead.phone, among: shards)
                if pass == batch.shards[shard].count {
                    batch.shards[shard].append([])
                    if pass == 0 { batch.shards[shard][0].reserveCapacity(batchSize / shards * 200) }
                }
                // Take the pass's bytes out while appending, so the array is not copied.
                var out = batch.shards[shard][pass]
                batch.shards[shard][pass] = []
                CopyText.appendInt(Int64(line), to: &out); out.append(9)
                CopyText.append(lead.team, to: &out); out.append(9)
                CopyText.append(lead.phone, to: &out); out.append(9)
                CopyText.append(lead.name, to: &out); out.append(9)
                CopyText.append(lead.city, to: &out); out.append(9)
                CopyText.append(lead.pincode, to: &out); out.append(9)
                CopyText.append(lead.language, to: &out); out.append(9)
                CopyText.append(lead.category, to: &out); out.append(9)
                CopyText.append(lead.brand, to: &out); out.append(9)
                CopyText.append(lead.model, to: &out); out.append(9)
                CopyText.append(lead.variant, to: &out); out.append(9)
                CopyText.append(lead.conditions.joined(separator: ","), to: &out); out.append(9)
                CopyText.appendInt(lead.priceMinor, to: &out); out.append(9)
                CopyText.append(lead.source, to: &out); out.append(9)
                CopyText.append(lead.campaign, to: &out); out.append(9)
                if let createdAt { PostgresTime.appendFormatted(createdAt, to: &out) } else { out.append(contentsOf: nowText) }
                out.append(10)
                batch.shards[shard][pass] = out
                good += 1
                if good >= batchSize, !emit() { return }
            }
        }
        if batch.rows > 0 { _ = emit() }
    }
}

extension BatchEncoder {
    /// The shard of a customer: FNV-1a of the normalised phone number, so every row of
    /// one customer (and so of one open lead) goes through the same session.
    static func shard(of phone: String, among shards: Int) -> Int {
        guard shards > 1 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in phone.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(shards))
    }

    /// The answers in a `conditions` field, split at `;` and `,` (characters), empty ones
    /// left out. ASCII text is split byte by byte, which is the same: a `;` or `,` byte
    /// is a character of its own unless a combining mark (not ASCII) follows it.
    static func conditions(_ text: String) -> [String] {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            return text.utf8.split(whereSeparator: { $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: ",") })
                .map { String(decoding: $0, as: UTF8.self) }
        }
        return text.split(whereSeparator: { $0 == ";" || $0 == "," }).map(String.init)
    }
}

/// The reader, handed to the reader thread.
final class ReaderBox: @unchecked Sendable {
    var reader: CSVReader
    init(_ reader: CSVReader) { self.reader = reader }
}

/// A bounded hand-off of batches from the reader thread to the database thread.
final class BatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: Deque<ImportBatch> = []
    private var finished = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false once the consumer has gone (stop reading).
    func push(_ batch: ImportBatch) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(batch)
        condition.broadcast()
        return true
    }

    /// The next batch in file order, or nil when the reader is done.
    func pop() -> ImportBatch? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if items.isEmpty { return nil }
        let batch = items.removeFirst()
        condition.broadcast()
        return batch
    }

    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer stops: the reader's next push returns false.
    func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }
}
