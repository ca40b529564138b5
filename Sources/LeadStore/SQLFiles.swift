/// The SQL the binary carries: every file under `sql/`, embedded at build time.
///
/// Statements live in `.sql` files (one source of truth, readable by psql and pgbench);
/// Swift looks them up by path.
public enum SQLFiles {
    /// All files, by path relative to `sql/`.
    public static var all: [String: String] { EmbeddedSQL.files }

    /// The migrations, ordered by their number.
    public static var migrations: [Migration] {
        all.compactMap { path, sql -> Migration? in
            guard path.hasPrefix("migrations/") else { return nil }
            let file = String(path.dropFirst("migrations/".count).dropLast(".sql".count))
            guard let underscore = file.firstIndex(of: "_"), let version = Int(file[..<underscore]) else { return nil }
            return Migration(version: version, name: String(file[file.index(after: underscore)...]), sql: sql)
        }.sorted { $0.version < $1.version }
    }

    /// The BI views (`sql/views/*.sql`), applied after the migrations, in name order.
    public static var views: [(name: String, sql: String)] {
        all.filter { $0.key.hasPrefix("views/") }.sorted { $0.key < $1.key }.map { (String($0.key.dropFirst(6)), $0.value) }
    }

    /// A query file, e.g. `query("claim")` for `sql/queries/claim.sql`.
    public static func query(_ name: String) -> String {
        guard let sql = all["queries/\(name).sql"] else {
            preconditionFailure("sql/queries/\(name).sql is not embedded")
        }
        return sql
    }
}

/// One numbered schema change from `sql/migrations/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// A stable checksum (FNV-1a 64) to notice a migration edited after it was applied.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return String(hash, radix: 16)
    }
}
