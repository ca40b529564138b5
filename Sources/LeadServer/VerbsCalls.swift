import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Postgres

// The verbs that record what happened on a call and around it: DISPOSE, CONVERT, NOTE,
// ESCALATE, ESCALATIONS, LEAD ADD, LEAD SHOW, and CANCEL for team leads. The rules live in
// LeadCore and LeadStore's CallDesk; here arguments are read in synopsis order (so the
// first malformed one is the BAD_ARG) and results become reply lines.
extension Verbs {
    /// DISPOSE lead= lease= code= [note=] [at=] [reason=] [idem=]
    func dispose(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let lead = try id(request, "lead")
        let lease = try id(request, "lease")
        let code = try request.enumValue("code", as: Disposition.self)
        let note = try request.optionalString("note")
        let at = try request.optionalTime("at")
        let reason = try request.optionalEnumValue("reason", as: NonConversionReason.self)
        let idem = try request.optionalString("idem")
        let result: DispositionResult
        var replayed = false
        do {
            if idem == nil && context.config.disposeBatch > 1 {
                // Batched with concurrent DISPOSEs: one pipelined transaction (DisposeCoalescer).
                result = try await context.dispositions.dispose(
                    DisposeRequest(lead: lead, agent: me.id, lease: lease, code: code, note: note, at: at, reason: reason))
            } else {
                (result, replayed) = try await db { c in
                    let replay = ReplayFlag()
                    let result = try CallDesk().dispose(c, lead: lead, agent: me.id, lease: lease, code: code, note: note, at: at,
                                                        reason: reason, requestID: idem, now: clock.now(), replay: replay)
                    return (result, replay.replayed)
                }
            }
        } catch {
            throw leaseRefusal(error)
        }
        if replayed {
            session.logger.info("disposition replayed", metadata: ["lead": "\(lead)", "idem": "\(idem ?? "")"])
        } else {
            context.metrics.disposed(code: code.rawValue)
            session.logger.info("disposed", metadata: ["lead": "\(lead)", "code": "\(code.rawValue)", "state": "\(result.state)"])
        }
        return .ok(tag: request.tag, fields: Replies.disposed(result))
    }

    /// CONVERT lead= lease= [idem=] [consent=] … [note=]: an order after the SOP pre-checks.
    func convert(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let lead = try id(request, "lead")
        let lease = try id(request, "lease")
        let idem = try request.optionalString("idem")
        var order = ConversionRequest()
        // Only an explicit yes is consent: `consent=maybe` is CONSENT_REQUIRED, not BAD_ARG.
        order.consent = ConversionRequest.explicitYes(try request.optionalString("consent"))
        order.priceConfirmed = ConversionRequest.explicitYes(try request.optionalString("price_confirmed"))
        order.category = try request.optionalString("category")
        order.brand = try request.optionalString("brand")
        order.model = try request.optionalString("model")
        order.variant = try request.optionalString("variant")
        order.conditions = try request.optionalList("conditions")
        order.city = try request.optionalString("city")
        order.pincode = try request.optionalString("pincode")
        order.address = try request.optionalString("address")
        order.landmark = try request.optionalString("landmark")
        order.slot = try request.optionalTime("slot")
        order.slotEnd = try request.optionalTime("slot_end")
        order.accessories = try request.optionalList("accessories")
        // A method other than upi or bank (`payment=cash`) is PAYMENT_REQUIRED, not BAD_ARG.
        if let method = try request.optionalString("payment") {
            order.paymentMethod = PaymentMethod(rawValue: method)
            if order.paymentMethod == nil { order.unknownPaymentMethod = method }
        }
        order.paymentRef = try request.optionalString("payment_ref")
        let price = try request.optionalInt("price").map(Int64.init)
        let note = try request.optionalString("note")
        let conversion = order
        let result: OrderResult
        let replayed: Bool
        do {
            (result, replayed) = try await db { c in
                let replay = ReplayFlag()
                let result = try CallDesk().convert(c, lead: lead, agent: me.id, lease: lease, requestID: idem, request: conversion,
                                                    price: price, note: note, now: clock.now(), replay: replay)
                return (result, replay.replayed)
            }
        } catch {
            throw leaseRefusal(error)
        }
        if replayed {
            session.logger.info("conversion replayed", metadata: ["lead": "\(lead)", "order": "\(result.order)"])
        } else {
            context.metrics.conversions.increment()
            context.metrics.disposed(code: Disposition.createOrder.rawValue)
            session.logger.info("converted", metadata: ["lead": "\(lead)", "order": "\(result.order)"])
        }
        return .ok(tag: request.tag, fields: Replies.converted(result))
    }

    /// NOTE lead= [text=] [idem=]
    func note(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let lead = try id(request, "lead")
        let text = try request.optionalString("text")
        let idem = try request.optionalString("idem")
        let result = try await db { c in
            try CallDesk().addNote(c, lead: lead, agent: me.id, text: text, requestID: idem, now: clock.now())
        }
        return .ok(tag: request.tag, fields: Replies.noted(result))
    }

    /// ESCALATE lead= to= summary= ask= [idem=]
    func escalate(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let lead = try id(request, "lead")
        let target = try request.enumValue("to", as: EscalationTarget.self)
        let summary = try request.string("summary")
        let ask = try request.string("ask")
        let idem = try request.optionalString("idem")
        let escalation = try await db { c in
            try CallDesk().escalate(c, lead: lead, agent: me.id, to: target, summary: summary, ask: ask, requestID: idem, now: clock.now())
        }
        session.logger.info("escalated", metadata: ["lead": "\(lead)", "to": "\(target.rawValue)", "escalation": "\(escalation.id)"])
        return .ok(tag: request.tag, fields: Replies.escalated(escalation))
    }

    /// ESCALATIONS [to=] [status=] [lead=]: the team's escalations (admins: all teams).
    func escalations(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let target = try request.optionalEnumValue("to", as: EscalationTarget.self)
        let status = try request.optionalEnumValue("status", as: EscalationStatus.self)
        let lead = try optionalID(request, "lead")
        let team: Int64? = session.isAdmin ? nil : me.teamID
        let list = try await db { c in
            try CallDesk().escalations(c, team: team, target: target, status: status, lead: lead, limit: 500, viewer: me.id,
                                       now: clock.now())
        }
        return .rows(tag: request.tag, rows: list.map(Replies.escalation))
    }

    /// LEAD ADD phone= name= … team= [created_at=] [conditions=] [campaign=] [language=] [idem=]
    func leadAdd(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        var draft = LeadIntake.Draft()
        draft.phone = try request.string("phone")
        draft.name = try request.string("name")
        draft.city = try request.string("city")
        draft.pincode = try request.string("pincode")
        draft.category = try request.string("category")
        draft.brand = try request.string("brand")
        draft.model = try request.string("model")
        draft.variant = try request.string("variant")
        draft.price = try request.string("price")
        draft.source = try request.string("source")
        draft.team = try request.string("team")
        draft.createdAt = try request.optionalTime("created_at")
        draft.conditions = try request.optionalList("conditions") ?? []
        draft.campaign = try request.optionalString("campaign")
        draft.language = try request.optionalString("language")
        let idem = try request.optionalString("idem")
        let now = context.clock.now()
        if case .failure(let rejection) = LeadIntake.validate(draft, now: now) { throw rejection.refusal }
        let team = (draft.team ?? "").trimmingCharacters(in: Note.blankCharacters)
        let mayAddAnywhere = session.isAdmin
        let finalDraft = draft
        let added = try await db { c in
            // The team check (NOT_FOUND before DENIED, docs/PROTOCOL.md LEAD ADD) is the store's.
            try LeadIntakeStore().add(c, draft: finalDraft, by: me, anyTeam: mayAddAnywhere, now: now, requestID: idem)
        }
        session.logger.info("lead added", metadata: [
            "lead": "\(added.lead)", "created": "\(added.created)", "team": "\(team)",
            "phone": "\(LeadIntake.maskPhone(draft.phone ?? ""))",
        ])
        return .ok(tag: request.tag, fields: Replies.added(added))
    }

    /// LEAD SHOW lead= [events=]: the lead's fields and its most recent history, oldest first.
    func leadShow(_ request: Request, session: SessionContext) async throws -> Reply {
        let lead = try id(request, "lead")
        let limit = try request.optionalInt("events", range: 1...1000) ?? 100
        let history = try await db { c in
            let history = try CallDesk().leadHistory(c, lead: lead, now: clock.now(), events: limit)
            guard mayRead(team: history.teamID, session: session) else {
                throw Refusal(.denied, "lead \(lead) belongs to another team")
            }
            return history
        }
        return .rows(tag: request.tag, fields: Replies.leadShow(history), rows: history.events.map(Replies.event))
    }

    /// CANCEL order= reason= [idem=]: team leads (own team) and admins.
    func cancel(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let order = try id(request, "order")
        let reason = try request.string("reason")
        let idem = try request.optionalString("idem")
        let result = try await db { c in
            try CallDesk().cancelOrder(c, order: order, agent: me.id, reason: reason, requestID: idem, now: clock.now())
        }
        session.logger.info("order cancelled", metadata: ["order": "\(order)", "lead": "\(result.lead)"])
        return .ok(tag: request.tag, fields: Replies.cancelled(result))
    }
}
