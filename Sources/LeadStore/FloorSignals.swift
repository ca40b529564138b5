import Foundation
import LeadCore
import Postgres

/// Intent signals (SIGNAL) and the background passes of the floor: shift-end unstar,
/// boost expiry.
extension FloorControl {
    /// SIGNAL: the lead is boosted for `signalBoost` (it goes ahead of its tier; a retry or
    /// follow-up becomes due at once, a callback keeps its time), and a `signal` event
    /// records the kind and the note. `payment_failed` needs a note (NOTE_REQUIRED) and
    /// routes the lead to the agent who last worked it, else the team's account manager
    /// (`FloorRules.paymentOwner`), with an `assigned` event.
    ///
    /// Checks, in order: NOT_FOUND; DENIED (another team); CONFLICT (closed);
    /// NOTE_REQUIRED / BAD_ARG (the note).
    public func signal(_ c: PostgresConnection, lead: Int64, kind: SignalKind, note: String?, by overseer: Overseer,
                       requestID: String? = nil, now: Date) throws -> SignalResult {
        let arguments: [(String, String?)] = [("lead", String(lead)), ("kind", kind.rawValue), ("note", note)]
        return try Self.atomically(c, once: requestID, by: overseer, verb: "SIGNAL", arguments: arguments, now: now) { c in
            guard let lr = try c.query(SQLFiles.query("floor_lead"), [lead, now], prepared: true).first else {
                throw Refusal(.notFound, "no lead \(lead)")
            }
            let team = lr.int64("team_id") ?? 0
            guard overseer.oversees(team: team) else { throw Refusal(.denied, "lead \(lead) belongs to another team") }
            guard lr["state"] != "closed" else { throw Refusal(.conflict, "lead \(lead) is closed") }
            var clean: String?
            if kind.needsNote {
                clean = try Note.validate(note)
            } else if let note, !note.trimmingCharacters(in: Note.blankCharacters).isEmpty {
                clean = try Note.validate(note)
            }
            var receiver: FloorAgent?
            if kind.routesToOwner,
               let owner = FloorRules.paymentOwner(lastWorker: lr["last_worker"], accountManager: lr["account_manager"]) {
                receiver = try Self.agent(c, owner, key: "agent")
                if let receiver { _ = try Self.hold(c, agent: receiver) }
            }
            guard let row = try c.query(SQLFiles.query("signal"), [
                lead, kind.rawValue, clean, overseer.id, now, signalBoost, receiver?.id,
            ], prepared: true).first, let until = row.date("boost_until") else {
                throw Refusal(.conflict, "lead \(lead) is closed")
            }
            var details: [String: String] = ["lead": String(lead), "kind": kind.rawValue, "boost_until": PostgresTime.format(until)]
            if let receiver { details["to"] = receiver.name }
            try Self.audit(c, now: now, team: team, by: overseer, action: "signal", agent: receiver?.id, leads: 1, forced: false,
                           details: details, note: clean)
            return SignalResult(lead: lead, kind: kind, boostUntil: until, assigned: receiver?.name)
        }
    }

    /// The end-of-shift unstar: every team whose shift end (its `shift_end_unstar`, on the
    /// team's clock) has come today and that was not unstarred on this local day. Returns
    /// the teams done and how many leads each lost its star. Safe from several instances.
    @discardableResult
    public func unstarAtShiftEnd(_ c: PostgresConnection, now: Date) throws -> [(team: String, unstarred: Int)] {
        try c.query(SQLFiles.query("shift_end_unstar"), [now], prepared: true).rows.map { ($0["name"] ?? "", $0.int("leads") ?? 0) }
    }

    /// Ends the SIGNAL boosts that ran out; returns how many.
    @discardableResult
    public func expireBoosts(_ c: PostgresConnection, now: Date, limit: Int = 1000) throws -> Int {
        try c.query(SQLFiles.query("boost_expire"), [now, limit], prepared: true).rows.count
    }
}
