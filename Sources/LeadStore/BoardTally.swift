import Foundation
import Postgres

/// The kept queue counts behind QUEUES and the console's board (migration 0013).
///
/// It exists because counting a team's open leads takes seconds at a million of them:
/// triggers log each change of a lead's board signature into `board_deltas`, and `fold`
/// (one background pass per server, about once a second) sums the log into
/// `board_tally`. `FloorControl.queues` reads the sums plus the not-yet-folded log in one
/// snapshot, so its numbers are those of the full count (sql/queries/queues.sql, which
/// defines them) at any moment, folded or not.
public struct BoardTally: Sendable {
    /// NOTIFY channel of a fold that changed a team's sums: payload the team id.
    public static let channel = "leadline_board"
    /// Log entries folded per pass at most (a first fold after a bulk import takes several).
    public static let defaultBatch = 50_000
    /// Time before `now` whose sums stay apart: a QUEUES at a `now` up to this far behind
    /// the folding server's clock (another instance, a retried request) is still answered
    /// from the sums.
    public static let defaultKeep: TimeInterval = 300
    /// A fold's statement limit instead of the pool's `query_timeout` (3 s): a full batch
    /// after a bulk import takes seconds on a loaded machine.
    public static let foldTimeout = PostgresTimeout.after(.seconds(60))

    public init() {}

    /// The outcome of one fold.
    public struct Fold: Sendable, Equatable {
        /// Log entries folded.
        public let folded: Int
        /// Teams whose sums changed (each was NOTIFYed on `channel`).
        public let teams: [Int64]

        public init(folded: Int, teams: [Int64]) {
            self.folded = folded
            self.teams = teams
        }
    }

    /// One fold at `now`. Returns `Fold(folded: 0, teams: [])` when another connection is
    /// folding at the same moment.
    public func fold(_ c: PostgresConnection, now: Date, batch: Int = BoardTally.defaultBatch,
                     keep: TimeInterval = BoardTally.defaultKeep) throws -> Fold {
        let row = try c.query(SQLFiles.query("board_fold"), [now, batch, keep], prepared: true).first
        let teams = (row?.string("teams") ?? "{}").trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
            .split(separator: ",").compactMap { Int64($0) }
        return Fold(folded: row?.int("folded") ?? 0, teams: teams)
    }

    /// Folds until the log is empty (tests, and a first fold after a bulk import).
    @discardableResult
    public func foldAll(_ c: PostgresConnection, now: Date, keep: TimeInterval = BoardTally.defaultKeep) throws -> Int {
        var total = 0
        while true {
            let pass = try fold(c, now: now, keep: keep)
            total += pass.folded
            if pass.folded < Self.defaultBatch { return total }
        }
    }
}
