import Foundation
import LeadTesting
import Postgres
import Testing

@Suite struct ConnectionTests {
    @Test func bindsNullsUnicodeAndTypes() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let c = try PostgresConnection(conninfo: info)
        let date = Date(timeIntervalSince1970: 1_795_000_000.123456)
        let r = try c.query(
            "SELECT $1::text AS a, $2::text AS b, $3::bigint AS n, $4::boolean AS f, $5::timestamptz AS t, $6::text[] AS arr, length($1::text) AS len",
            ["नमस्ते 👋 \"q\" \\", String?.none, Int64(-42), true, date, ["a b", "c,\"d\"", "é"]])
        let row = try #require(r.first)
        #expect(row["a"] == "नमस्ते 👋 \"q\" \\")
        #expect(row["b"] == nil)
        #expect(row.int64("n") == -42)
        #expect(row.bool("f") == true)
        #expect(abs(try #require(row.date("t")).timeIntervalSince(date)) < 0.000_002)
        #expect(row.stringArray("arr") == ["a b", "c,\"d\"", "é"])
        #expect(row.int("len") == 14)  // code points: न म स ् त े = 6
    }

    @Test func injectionIsJustData() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let c = try PostgresConnection(conninfo: info)
        try c.query("CREATE TABLE t (v text)")
        let evil = "x'); DROP TABLE t; --"
        try c.query("INSERT INTO t VALUES ($1::text)", [evil], prepared: true)
        let r = try c.query("SELECT v FROM t")
        #expect(r.rows.map { $0["v"] } == [evil])
    }

    @Test func errorsAreTypedBySQLState() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let c = try PostgresConnection(conninfo: info)
        try c.query("CREATE TABLE u (k int PRIMARY KEY, v int CHECK (v > 0))")
        try c.query("INSERT INTO u VALUES (1, 1)")
        do {
            try c.query("INSERT INTO u VALUES (1, 1)")
            Issue.record("duplicate key accepted")
        } catch {
            #expect(error.kind == .uniqueViolation)
            #expect(error.sqlState == "23505")
            #expect(error.constraint == "u_pkey")
        }
        do {
            try c.query("INSERT INTO u VALUES (2, -1)")
            Issue.record("check violation accepted")
        } catch {
            #expect(error.kind == .integrityViolation)
        }
        do {
            try c.query("SELEC 1")
            Issue.record("syntax error accepted")
        } catch {
            #expect(error.kind == .statement)
            #expect(error.sqlState == "42601")
        }
        do {
            try c.query("DO $$ BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = 'serialization_failure'; END $$")
            Issue.record("raise accepted")
        } catch {
            #expect(error.kind == .retryable)
        }
        // The connection is still usable after errors.
        #expect(try c.query("SELECT 1 AS one").first?.int("one") == 1)
    }

    @Test func terminatedConnectionIsAConnectionError() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let victim = try PostgresConnection(conninfo: info)
        let killer = try PostgresConnection(conninfo: info)
        try killer.query("SELECT pg_terminate_backend($1::int)", [Int(victim.backendPID)])
        do {
            try victim.query("SELECT 1")
            Issue.record("query on a terminated connection succeeded")
        } catch {
            #expect(error.kind == .connection)
        }
        #expect(!victim.isHealthy)
    }

    @Test func transactionsCommitAndRollBack() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let c = try PostgresConnection(conninfo: info)
        try c.query("CREATE TABLE t (v int)")
        try c.transaction { try $0.query("INSERT INTO t VALUES (1)") }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try c.transaction { tx in
                try tx.query("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        #expect(try c.query("SELECT count(*) AS n FROM t").first?.int("n") == 1)
    }

    @Test func copyInLoadsRows() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let c = try PostgresConnection(conninfo: info)
        try c.query("CREATE TABLE t (a int, b text)")
        let n = try c.copyIn("COPY t (a, b) FROM STDIN", lines: (1...5000).map { "\($0)\tv\($0)" })
        #expect(n == 5000)
        #expect(try c.query("SELECT sum(a) AS s FROM t").first?.int("s") == 5000 * 5001 / 2)
    }

    /// COPY from bytes sends them in chunks (here more than one); a row the server refuses
    /// fails the whole COPY with its SQLSTATE, copies nothing, and the connection goes on.
    @Test func copyInBytesAndARefusedRow() async throws {
        let info = try await TestCluster.shared.database(migrated: false)
        let c = try PostgresConnection(conninfo: info)
        try c.query("CREATE TABLE t (a int, b text)")
        let text = (1...40_000).map { "\($0)\tvalue number \($0)\n" }.joined()
        #expect(text.utf8.count > 1 << 18)
        #expect(try c.copyIn("COPY t (a, b) FROM STDIN", data: Array(text.utf8)) == 40_000)
        #expect(try c.query("SELECT sum(a) AS s FROM t").first?.int("s") == 40_000 * 40_001 / 2)
        for send in [{ try c.copyIn("COPY t (a, b) FROM STDIN", data: Array("1\tok\nnot-a-number\tbad\n".utf8)) },
                     { try c.copyIn("COPY t (a, b) FROM STDIN", lines: ["1\tok", "not-a-number\tbad"]) }] {
            do {
                _ = try send()
                Issue.record("a malformed row was accepted")
            } catch let e as PostgresError {
                #expect(e.sqlState == "22P02")
            }
            #expect(try c.query("SELECT count(*) AS n FROM t").first?.int("n") == 40_000)
        }
    }
}
