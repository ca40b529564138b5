import CLibPQ
import Foundation

/// One statement of a pipeline: SQL, text parameters, and whether to run it as a
/// prepared statement (prepared once per connection, before the pipeline is sent).
public struct PipelineStatement: Sendable {
    public let sql: String
    public let params: [String?]
    public let prepared: Bool

    public init(_ sql: String, _ params: [any PostgresBindable] = [], prepared: Bool = true) {
        self.sql = sql
        self.params = params.map { $0.postgresText }
        self.prepared = prepared
    }
}

extension PostgresConnection {
    /// Sends several statements in one round trip (libpq pipeline mode: `PQenterPipelineMode`,
    /// one `PQsendQueryPrepared`/`PQsendQueryParams` each, `PQpipelineSync`, then reads up
    /// to `PGRES_PIPELINE_SYNC`). Returns one result per statement, in order. After a failed
    /// statement the server skips the rest up to the sync: those are `.aborted`. An explicit
    /// transaction (`BEGIN` … `COMMIT` inside the pipeline) is left aborted by a failure:
    /// the caller rolls back.
    /// - Throws: only when the connection itself fails (then the connection is unusable),
    ///   or when no reply came within `timeout` (the connection is then closed).
    public func pipeline(_ statements: [PipelineStatement]) throws(PostgresError) -> [PipelineResult] {
        guard let conn else { throw Self.closedError }
        var names: [String?] = []
        for s in statements {
            names.append(s.prepared ? try preparedName(for: s.sql, parameterCount: s.params.count) : nil)
        }
        let deadline = timeout.map { ContinuousClock.now + $0 }
        guard PQenterPipelineMode(conn) == 1 else {
            throw noteFailure(PostgresError(kind: .connection, message: "cannot enter pipeline mode: " + String(cString: PQerrorMessage(conn))))
        }
        // A deadline that passes closes the connection: only leave pipeline mode on one still open.
        defer { if let open = self.conn { PQexitPipelineMode(open) } }
        for (s, name) in zip(statements, names) {
            let cParams: [UnsafeMutablePointer<CChar>?] = s.params.map { $0.map { strdup($0) } ?? nil }
            defer { cParams.forEach { free($0) } }
            var pointers: [UnsafePointer<CChar>?] = cParams.map { $0.map { UnsafePointer($0) } }
            let ok = pointers.withUnsafeMutableBufferPointer { p in
                if let name {
                    return PQsendQueryPrepared(conn, name, Int32(p.count), p.baseAddress, nil, nil, 0)
                }
                return PQsendQueryParams(conn, s.sql, Int32(p.count), nil, p.baseAddress, nil, nil, 0)
            }
            // Half a pipeline sent: the connection cannot be used again.
            guard ok == 1 else { throw lost(PostgresError.from(result: nil, connection: conn)) }
        }
        guard PQpipelineSync(conn) == 1 else { throw lost(PostgresError.from(result: nil, connection: conn)) }
        var results: [PipelineResult] = []
        results.reserveCapacity(statements.count)
        // Each statement's result is followed by a NULL; then the sync result. A NULL where
        // a result belongs means libpq has nothing more for this pipeline (seen after
        // `pg_ctl stop -m immediate` with the connection still "OK"): it is lost, and
        // asking again would spin forever.
        func missing() -> PostgresError {
            let error = PostgresError.from(result: nil, connection: conn)
            return lost(PostgresError(kind: .connection, message: "pipeline results missing: " + error.message))
        }
        while results.count < statements.count {
            guard let result = try nextResult(deadline: deadline) else { throw missing() }
            let status = PQresultStatus(result)
            if status == PGRES_PIPELINE_ABORTED {
                PQclear(result)
                results.append(.aborted)
            } else {
                do {
                    results.append(.done(try Self.consume(result, conn: conn)))
                } catch {
                    results.append(.failed(noteFailure(error)))
                }
            }
            // The NULL that ends this statement's results.
            while let extra = try nextResult(deadline: deadline) { PQclear(extra) }
        }
        // Up to the sync point.
        while true {
            guard let result = try nextResult(deadline: deadline) else { throw missing() }
            let status = PQresultStatus(result)
            PQclear(result)
            if status == PGRES_PIPELINE_SYNC { break }
        }
        return results
    }

    /// Sends the statements as one pipeline inside BEGIN … COMMIT: one round trip and one
    /// commit for all of them. On any failure the transaction is rolled back and the first
    /// error thrown.
    public func pipelinedTransaction(_ statements: [PipelineStatement]) throws(PostgresError) -> [QueryResult] {
        let all = [PipelineStatement("BEGIN", prepared: false)] + statements + [PipelineStatement("COMMIT", prepared: false)]
        let results = try pipeline(all)
        var out: [QueryResult] = []
        var failure: PostgresError?
        for r in results.dropFirst().dropLast() {
            switch r {
            case .done(let q): out.append(q)
            case .failed(let e): failure = failure ?? e
            case .aborted: break
            }
        }
        if case .failed(let e) = results.first { failure = failure ?? e }
        if case .failed(let e) = results.last { failure = failure ?? e }
        if failure != nil || out.count != statements.count {
            if isIdleInTransaction { _ = try? query("ROLLBACK") }
            throw failure ?? PostgresError(kind: .statement, message: "pipelined transaction did not complete")
        }
        return out
    }
}

/// The outcome of one pipelined statement.
public enum PipelineResult: Sendable {
    case done(QueryResult)
    case failed(PostgresError)
    /// Skipped by the server after an earlier statement of the pipeline failed.
    case aborted
}
