import Foundation
import LeadCore
import Postgres

/// Where every call ends: the disposition with its note, the conversion into an order after
/// the SOP pre-checks, notes, escalations (CallDeskEscalations.swift), order cancellations,
/// and a lead's history (CallDeskHistory.swift).
///
/// LeadCore decides (`DispositionPlanner`, `RetryCadence`, `ConversionRequest`, `Note`);
/// this writes what it decided. Every mutation is one transaction, together with its
/// request-id record (`RequestLedger`): a failure half-way leaves nothing behind, and a
/// retry with the same request id returns the first reply and writes nothing. `now` is a
/// parameter so tests control the clock. docs/RULES.md states the rules and check orders.
public struct CallDesk: Sendable {
    let queue = LeadQueue()
    let ledger = RequestLedger()

    public init() {}

    // MARK: dispositions

    /// Records how a held call ended and ends the lease.
    ///
    /// Checks, in order: the request id (replay or CONFLICT); the lease (NOT_FOUND,
    /// LEASE_HELD, LEASE_LOST); then `DispositionPlanner.plan` (BAD_ARG for create_order,
    /// NOTE_REQUIRED, REASON_REQUIRED, CALLBACK_TIME_REQUIRED, CALLBACK_IN_PAST,
    /// CALLBACK_TOO_FAR, OUTSIDE_CALL_WINDOW, ATTEMPT_LIMIT).
    public func dispose(
        _ c: PostgresConnection,
        lead: Int64,
        agent: Int64,
        lease: Int64,
        code: Disposition,
        note: String?,
        at: Date? = nil,
        reason: NonConversionReason? = nil,
        requestID: String? = nil,
        now: Date,
        replay: ReplayFlag? = nil
    ) throws -> DispositionResult {
        let arguments: [(String, String?)] = [
            ("lead", String(lead)), ("lease", String(lease)), ("code", code.rawValue), ("note", note),
            ("at", at.map(PostgresTime.format)), ("reason", reason?.rawValue),
        ]
        return try ledger.once(c, agent: agent, requestID: requestID, verb: "DISPOSE", arguments: arguments, now: now, replay: replay) { c in
            guard let row = try c.query(SQLFiles.query("call_lead"), [[lead], [agent], [lease], now], prepared: true).first else {
                throw try queue.leaseRefusal(c, lead: lead, agent: agent, lease: lease)
            }
            let policy = TeamPolicy(teamRow: row)
            let plan = try DispositionPlanner.plan(
                disposition: code, note: note, at: at, reason: reason,
                lead: LeadCallState(leadRow: row), agent: String(agent), now: now, policy: policy)
            let counters = plan.callState
            var callbackAt: Date?
            var callbackAgent: Int64?
            if case .callback(let time, _) = plan.next {
                callbackAt = time
                callbackAgent = agent
            }
            let outcome: String? = switch plan.next {
            case .closed(let o): o.storedOutcome
            default: nil
            }
            let params: [any PostgresBindable] = [
                lead, agent, lease, now,
                plan.next.kind.rawValue, outcome, plan.next.scheduledAt, callbackAt, callbackAgent, plan.slaDeadline,
                counters.attempts, counters.attemptsToday, counters.attemptsDay?.description, counters.firstAttemptAt,
                counters.lastAttemptAt, counters.lastConnectedAt, counters.unansweredSince,
                code.rawValue, reason?.rawValue, plan.note, requestID, plan.closedUnreachable,
            ]
            guard let out = try c.query(SQLFiles.query("dispose"), params, prepared: true).first else {
                // The row is locked by call_lead, so this cannot happen; say so if it does.
                throw try queue.leaseRefusal(c, lead: lead, agent: agent, lease: lease)
            }
            return DispositionResult(
                lead: lead, disposition: code.rawValue, reason: reason?.rawValue, state: out["state"] ?? plan.next.kind.rawValue,
                nextAt: out.date("next_action_at"), outcome: out["outcome"], attempts: out.int("attempts") ?? counters.attempts,
                attemptsToday: out.int("attempts_today") ?? counters.attemptsToday,
                slaDue: plan.slaDeadline == nil ? nil : out.date("sla_due_at"), callbackAt: out.date("callback_at"))
        }
    }

    /// Gives a held lead back to its queue with a note (LeadQueue.release), recorded under
    /// a request id when one is given.
    /// - Throws: NOTE_REQUIRED, NOT_FOUND, LEASE_HELD, LEASE_LOST, CONFLICT.
    public func release(
        _ c: PostgresConnection, lead: Int64, agent: Int64, lease: Int64, note: String?, requestID: String? = nil, now: Date,
        replay: ReplayFlag? = nil
    ) throws -> ReleaseResult {
        let arguments: [(String, String?)] = [("lead", String(lead)), ("lease", String(lease)), ("note", note)]
        return try ledger.once(c, agent: agent, requestID: requestID, verb: "RELEASE", arguments: arguments, now: now, replay: replay) { c in
            try queue.release(c, lead: lead, agent: agent, lease: lease, now: now, note: note ?? "", requestID: requestID)
            let state = try c.query(SQLFiles.query("lease_state"), [lead], prepared: true).first?["state"] ?? ""
            return ReleaseResult(lead: lead, lease: lease, state: state)
        }
    }

    // MARK: conversion

    /// Converts a held lead into an order (Pending Vendor Assignment), closing the lead as
    /// create_order with the agent recorded as creator, in one transaction.
    ///
    /// Checks, in order: IDEM_REQUIRED (no request id); the request id (replay or
    /// CONFLICT); ALREADY_CONVERTED; the lease (NOT_FOUND, LEASE_HELD, LEASE_LOST); the
    /// pre-checks of `ConversionRequest.validate` in its `checkOrder` (the slot horizon is
    /// the team's callback horizon; serviceability and support come from the catalogue);
    /// then `price` (BAD_ARG when negative) and the optional note's length (BAD_ARG).
    /// - Parameters:
    ///   - price: the estimate stated to the customer, in paise; nil = the lead's quoted price.
    ///   - note: an optional note for the `converted` event; blank counts as none.
    public func convert(
        _ c: PostgresConnection,
        lead: Int64,
        agent: Int64,
        lease: Int64,
        requestID: String?,
        request: ConversionRequest,
        price: Int64? = nil,
        note: String? = nil,
        now: Date,
        replay: ReplayFlag? = nil
    ) throws -> OrderResult {
        guard let requestID, !requestID.isEmpty else {
            throw Refusal(.idemRequired, "idem: CONVERT needs a request id, so a retry can never create a second order")
        }
        var arguments: [(String, String?)] = [
            ("lead", String(lead)), ("lease", String(lease)),
            ("consent", request.consent.map { $0 ? "1" : "0" }), ("price_confirmed", request.priceConfirmed.map { $0 ? "1" : "0" }),
            ("category", request.category), ("brand", request.brand), ("model", request.model), ("variant", request.variant),
            ("conditions", request.conditions.map { $0.joined(separator: "\u{1F}") }), ("pincode", request.pincode),
            ("address", request.address), ("landmark", request.landmark), ("slot", request.slot.map(PostgresTime.format)),
            ("payment_method", request.paymentMethod?.rawValue ?? request.unknownPaymentMethod), ("payment_ref", request.paymentRef),
            ("price", price.map { String($0) }), ("note", note),
        ]
        // Keys added in migration 0010 join the fingerprint only when given, so a retry that
        // spans the upgrade still matches its first request.
        let later: [(String, String?)] = [
            ("city", request.city), ("accessories", request.accessories.map { $0.joined(separator: "\u{1F}") }),
            ("slot_end", request.slotEnd.map(PostgresTime.format)),
        ]
        arguments += later.filter { $0.1 != nil }
        return try ledger.once(c, agent: agent, requestID: requestID, verb: "CONVERT", arguments: arguments, now: now, replay: replay) { c in
            guard let row = try c.query(SQLFiles.query("call_lead"), [[lead], [agent], [lease], now], prepared: true).first else {
                if let order = try c.query(SQLFiles.query("lead_order"), [lead], prepared: true).first {
                    throw Refusal(.alreadyConverted, "lead \(lead) was already converted into order \(order["id"] ?? "?")")
                }
                throw try queue.leaseRefusal(c, lead: lead, agent: agent, lease: lease)
            }
            var policy = TeamPolicy(teamRow: row)
            policy.slotHorizon = policy.callbackHorizon
            // The field checks first (catalogue verdicts assumed good), then the catalogue is
            // asked about the cleaned fields and the full validation runs with its answers.
            let fields = try request.validate(now: now, policy: policy, serviceable: true, deviceSupported: true)
            // The city confirmed on the call, or the lead's own.
            var city = TextTrim.trimmingBlanks(request.city ?? "")
            if city.isEmpty { city = row["city"] ?? "" }
            let catalogue = try c.query(SQLFiles.query("conversion_catalogue"),
                                        [fields.pincode, fields.category, fields.brand, fields.model, fields.variant, city],
                                        prepared: true).first
            let draft = try request.validate(now: now, policy: policy,
                                             serviceable: catalogue?.bool("serviceable") ?? false,
                                             deviceSupported: catalogue?.bool("supported") ?? false,
                                             cityMatches: catalogue?.bool("city_matches"), pincodeCity: catalogue?["pincode_city"])
            if let price, price < 0 {
                throw Refusal(.badArg, "price: \(price) is negative")
            }
            var cleanNote: String?
            if let note, !note.trimmingCharacters(in: Note.blankCharacters).isEmpty {
                cleanNote = try Note.validate(note)
            }
            let counters = LeadCallState(leadRow: row).recordingAttempt(at: now, connected: true, policy: policy)
            let params: [any PostgresBindable] = [
                lead, agent, lease, now, requestID,
                draft.category, draft.brand, draft.model, draft.variant, draft.conditions.joined(separator: ","), draft.pincode,
                draft.address, draft.landmark, draft.slot, draft.paymentMethod.rawValue, draft.paymentRef,
                counters.attempts, counters.attemptsToday, counters.attemptsDay?.description, counters.firstAttemptAt, cleanNote,
                price, city, draft.accessories?.joined(separator: ","), draft.slotEnd,
            ]
            let result: QueryResult
            do {
                result = try c.query(SQLFiles.query("convert"), params, prepared: true)
            } catch {
                if (error as? PostgresError)?.constraint == "orders_lead_id_key" {
                    throw Refusal(.alreadyConverted, "lead \(lead) was already converted")
                }
                throw error
            }
            guard let out = result.first, out.int("closed") == 1, out.int("events") == 1 else {
                throw Refusal(.internal, "conversion of lead \(lead) did not complete; nothing was written")
            }
            return OrderResult(
                order: out.int64("id") ?? 0, lead: lead, status: out["status"] ?? OrderStatus.pendingVendorAssignment.rawValue,
                createdBy: agent, price: out.int64("quoted_price") ?? 0, pickupSlot: out.date("pickup_slot") ?? draft.slot)
        }
    }

    // MARK: notes

    /// Adds a note to a lead's history (a `note` event with author and time), at any time,
    /// by the lead's holder or by a team lead of its team or an admin. A note is not a call
    /// attempt, but it is action taken: a lead still in state `new` leaves Not Called and
    /// becomes a follow-up due at once, its SLA deadline unchanged.
    ///
    /// Checks, in order: the request id; NOT_FOUND; who: the live holder, a team lead of the
    /// lead's team, or an admin may; the agent whose lease ran out gets LEASE_LOST; anyone
    /// else gets LEASE_HELD while another agent holds the lead, DENIED otherwise; then the
    /// note (NOTE_REQUIRED, BAD_ARG when too long).
    public func addNote(
        _ c: PostgresConnection, lead: Int64, agent: Int64, text: String?, requestID: String? = nil, now: Date
    ) throws -> NoteResult {
        let arguments: [(String, String?)] = [("lead", String(lead)), ("text", text)]
        return try ledger.once(c, agent: agent, requestID: requestID, verb: "NOTE", arguments: arguments, now: now) { c in
            let access = try LeadAccess.load(c, lead: lead, agent: agent, now: now)
            let lease: Int64?
            if access.isHeld(by: agent) {
                lease = access.leaseGen
            } else if access.agentOversees {
                lease = nil
            } else if access.holder == agent {
                throw Refusal(.leaseLost, "your lease on lead \(lead) has expired or was revoked; CLAIM again")
            } else if access.held {
                throw Refusal(.leaseHeld, "lead \(lead) is held by another agent; only its holder or a team lead may add a note")
            } else {
                throw Refusal(.denied, "only the lead's holder or a team lead of its team may add a note to lead \(lead)")
            }
            let clean = try Note.validate(text)
            guard let row = try c.query(SQLFiles.query("note_add"), [lead, agent, now, clean, lease, requestID], prepared: true).first else {
                throw Refusal(.internal, "the note on lead \(lead) was not written")
            }
            return NoteResult(lead: lead, event: row.int64("id") ?? 0, at: row.date("at") ?? now)
        }
    }

    // MARK: orders

    /// Cancels an order (seed 003 §8, a price dispute) with a reason: the order becomes
    /// `cancelled` with who and when, and the lead's history gets an `order_cancelled`
    /// event. The lead stays closed.
    ///
    /// Checks, in order: the request id; NOT_FOUND; DENIED unless a team lead of the lead's
    /// team or an admin; BAD_ARG for a blank or too long reason; CONFLICT when already
    /// cancelled, picked up or completed.
    public func cancelOrder(
        _ c: PostgresConnection, order: Int64, agent: Int64, reason: String?, requestID: String? = nil, now: Date,
        replay: ReplayFlag? = nil
    ) throws -> OrderResult {
        let arguments: [(String, String?)] = [("order", String(order)), ("reason", reason)]
        return try ledger.once(c, agent: agent, requestID: requestID, verb: "CANCEL", arguments: arguments, now: now, replay: replay) { c in
            guard let row = try c.query(SQLFiles.query("order_for_cancel"), [order, agent], prepared: true).first else {
                throw Refusal(.notFound, "no order \(order)")
            }
            let role = row["role"] ?? ""
            guard role == AgentRole.admin.rawValue || (role == AgentRole.teamLead.rawValue && row.int64("agent_team_id") == row.int64("team_id")) else {
                throw Refusal(.denied, "only a team lead of the lead's team (or an admin) may cancel order \(order)")
            }
            let clean = try Self.text(reason, field: "reason")
            let status = row["status"] ?? ""
            guard ![OrderStatus.cancelled, .pickedUp, .completed].map(\.rawValue).contains(status) else {
                throw Refusal(.conflict, "order \(order) is \(status) and can no longer be cancelled")
            }
            guard let out = try c.query(SQLFiles.query("order_cancel"), [order, agent, clean, now, requestID], prepared: true).first else {
                throw Refusal(.conflict, "order \(order) can no longer be cancelled")
            }
            return OrderResult(
                order: order, lead: out.int64("lead_id") ?? 0, status: out["status"] ?? OrderStatus.cancelled.rawValue,
                createdBy: out.int64("created_by") ?? 0, price: out.int64("quoted_price") ?? 0,
                pickupSlot: out.date("pickup_slot") ?? now, cancelledAt: out.date("cancelled_at"), cancelReason: out["cancel_reason"])
        }
    }

    // MARK: helpers

    /// A required free-text argument, trimmed.
    /// - Throws: BAD_ARG naming `field` when blank or longer than `Note.maxLength`.
    static func text(_ value: String?, field: String) throws(Refusal) -> String {
        let trimmed = (value ?? "").trimmingCharacters(in: Note.blankCharacters)
        guard !trimmed.isEmpty else { throw Refusal(.badArg, "\(field): required") }
        let length = trimmed.unicodeScalars.count
        guard length <= Note.maxLength else {
            throw Refusal(.badArg, "\(field): \(length) characters, at most \(Note.maxLength) allowed")
        }
        return trimmed
    }
}

/// Who stands where with a lead outside a lease: its team and holder, the agent's role.
struct LeadAccess {
    let teamID: Int64
    let holder: Int64?
    let leaseGen: Int64
    /// Someone holds an unexpired lease on it.
    let held: Bool
    let role: String
    let agentTeamID: Int64

    /// A team lead of the lead's team, or an admin.
    var agentOversees: Bool {
        role == AgentRole.admin.rawValue || (role == AgentRole.teamLead.rawValue && agentTeamID == teamID)
    }

    func isHeld(by agent: Int64) -> Bool { held && holder == agent }

    /// - Throws: NOT_FOUND.
    static func load(_ c: PostgresConnection, lead: Int64, agent: Int64, now: Date) throws -> LeadAccess {
        guard let row = try c.query(SQLFiles.query("lead_access"), [lead, agent, now], prepared: true).first else {
            throw Refusal(.notFound, "no lead \(lead)")
        }
        return LeadAccess(teamID: row.int64("team_id") ?? 0, holder: row.int64("holder_agent_id"), leaseGen: row.int64("lease_gen") ?? 0,
                          held: row.bool("held") ?? false, role: row["role"] ?? "", agentTeamID: row.int64("agent_team_id") ?? -1)
    }
}

extension LeadOutcome {
    /// The value of `leads.outcome` for this outcome (the column's CHECK list).
    var storedOutcome: String {
        switch self {
        case .converted: "create_order"
        case .unreachable: "unreachable"
        default: rawValue
        }
    }
}

extension TeamPolicy {
    /// The policy from a `teams` row as `call_lead.sql` selects it; a missing value keeps the
    /// SOP default, and a zone Foundation does not know falls back to Asia/Kolkata.
    init(teamRow row: Row) {
        let standard = TeamPolicy.standard
        var window = standard.callingWindow
        if let start = row["window_start"].flatMap({ LocalTime($0) }), let end = row["window_end"].flatMap({ LocalTime($0) }) {
            window = CallingWindow(start: start, end: end)
        }
        self.init(
            timeZone: row["time_zone"].flatMap(TimeZone.init(identifier:)) ?? standard.timeZone,
            allowJuniorHighEnd: row.bool("allow_junior_high_end") ?? standard.allowJuniorHighEnd,
            leaseDuration: row.double("lease_seconds") ?? standard.leaseDuration,
            callbackGrace: row.double("grace_seconds") ?? standard.callbackGrace,
            callbackHorizon: row.double("horizon_seconds") ?? standard.callbackHorizon,
            followUpDefault: row.double("follow_up_seconds") ?? standard.followUpDefault,
            maxAttemptsPerDay: row.int("max_attempts_per_day") ?? standard.maxAttemptsPerDay,
            attemptSpacing: row.double("spacing_seconds") ?? standard.attemptSpacing,
            callingWindow: window,
            unreachableAfterDays: row.int("unreachable_after_days") ?? standard.unreachableAfterDays,
            highEndSLA: row.double("high_end_sla_seconds") ?? standard.highEndSLA,
            slotHorizon: row.double("horizon_seconds") ?? standard.slotHorizon
        )
    }
}

extension LeadCallState {
    /// The counters from a `leads` row as `call_lead.sql` selects them.
    init(leadRow row: Row) {
        var day: LocalDay?
        if let text = row["attempts_day"] {
            let parts = text.split(separator: "-").compactMap { Int($0) }
            if parts.count == 3 { day = LocalDay(year: parts[0], month: parts[1], day: parts[2]) }
        }
        self.init(
            attempts: row.int("attempts") ?? 0,
            attemptsToday: row.int("attempts_today") ?? 0,
            attemptsDay: day,
            firstAttemptAt: row.date("first_attempt_at"),
            lastAttemptAt: row.date("last_attempt_at"),
            lastConnectedAt: row.date("last_connected_at"),
            unansweredSince: row.date("unanswered_since")
        )
    }
}
