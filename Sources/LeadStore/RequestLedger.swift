import Foundation
import LeadCore
import Postgres

/// The `requests` table: makes a mutating call safe to retry. A call carrying a request id
/// (`idem=`) is written together with its reply in the same transaction as its mutation;
/// a retry with the same id and the same arguments gets that first reply and writes
/// nothing; the same id with other arguments (or another verb) is a CONFLICT.
///
/// Ids are per agent (`agent_id`, `request_id`). Two identical retries racing on two
/// connections are safe: the first INSERT of the id wins, the second waits on the unique
/// key until the first commits, then returns the winner's stored reply. A call that was
/// refused stores nothing (its transaction rolled back), so a retry is judged afresh.
/// Set by `RequestLedger.once` when a call was answered from the ledger (a retry with a
/// request id already used): the caller then counts nothing twice (metrics, logs).
public final class ReplayFlag {
    public private(set) var replayed = false

    public init() {}

    func set() { replayed = true }
}

public struct RequestLedger: Sendable {
    /// Longest request id accepted, in Unicode code points (the table's CHECK on length()).
    public static let maxLength = 128

    public init() {}

    /// Runs `body` in one transaction. With a request id, the id is taken first (a replay
    /// or CONFLICT is decided before anything else), and the reply is stored before COMMIT.
    /// - Parameters:
    ///   - verb: the wire verb (`DISPOSE`, `CONVERT`, …); part of what must match on a retry.
    ///   - arguments: the call's arguments as given, in a fixed order; their fingerprint
    ///     decides "same arguments". `now` is never one of them.
    /// - Throws: `Refusal` BAD_ARG for a blank or over-long id, CONFLICT for a reused id;
    ///   whatever `body` throws.
    public func once<R: Codable & Sendable>(
        _ c: PostgresConnection,
        agent: Int64,
        requestID: String?,
        verb: String,
        arguments: [(String, String?)],
        now: Date,
        replay: ReplayFlag? = nil,
        _ body: (PostgresConnection) throws -> R
    ) throws -> R {
        guard let requestID else { return try c.transaction(body) }
        try Self.check(requestID)
        let fingerprint = Self.fingerprint(verb: verb, arguments: arguments)
        return try c.transaction { c in
            let taken = try c.query(SQLFiles.query("request_claim"), [agent, requestID, verb, fingerprint, now], prepared: true)
            if taken.isEmpty {
                let stored: R = try self.replay(c, agent: agent, requestID: requestID, verb: verb, fingerprint: fingerprint)
                replay?.set()
                return stored
            }
            let result = try body(c)
            try c.query(SQLFiles.query("request_reply"), [agent, requestID, try Self.encode(result)], prepared: true)
            return result
        }
    }

    /// The stored reply of an id already taken, if the verb and arguments match.
    private func replay<R: Codable>(_ c: PostgresConnection, agent: Int64, requestID: String, verb: String, fingerprint: String) throws -> R {
        guard let row = try c.query(SQLFiles.query("request_seen"), [agent, requestID], prepared: true).first else {
            // Unreachable: the INSERT found the id, so it is committed.
            throw Refusal(.conflict, "idem: \(requestID) is being used by another call; retry")
        }
        guard row["verb"] == verb else {
            throw Refusal(.conflict, "idem: \(requestID) was already used for \(row["verb"] ?? "another verb")")
        }
        guard row["fingerprint"] == fingerprint else {
            throw Refusal(.conflict, "idem: \(requestID) was already used for \(verb) with other arguments")
        }
        guard let reply = row["reply"], let data = reply.data(using: .utf8),
              let decoded = try? JSONDecoder().decode(R.self, from: data) else {
            throw Refusal(.internal, "idem: the stored reply of \(requestID) cannot be read")
        }
        return decoded
    }

    /// Refuses an id the table would not take.
    /// - Throws: BAD_ARG for an empty id or one longer than `maxLength`.
    public static func check(_ requestID: String) throws(Refusal) {
        guard !requestID.isEmpty else { throw Refusal(.badArg, "idem: empty request id") }
        // Code points, as PostgreSQL's length() counts them (not grapheme clusters).
        guard requestID.unicodeScalars.count <= maxLength else {
            throw Refusal(.badArg, "idem: request id longer than \(maxLength) code points")
        }
    }

    /// SHA-256 (hex) of the verb and the arguments, each length-prefixed so no two
    /// different argument lists share a text; a missing argument differs from an empty one.
    public static func fingerprint(verb: String, arguments: [(String, String?)]) -> String {
        var text = "\(verb)\n"
        for (key, value) in arguments {
            if let value {
                text += "\(key)=\(value.utf8.count):\(value)\n"
            } else {
                text += "\(key)=-\n"
            }
        }
        let digest = AgentToken.hash(token: text, salt: [])
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in digest { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func encode<R: Encodable>(_ value: R) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
