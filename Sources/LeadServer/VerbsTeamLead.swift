import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Postgres

// The team lead's and lead manager's verbs (level team_lead; a team lead acts on its own
// team, an admin on every team): ASSIGN, MOVE, PAUSE, RESUME, DRAIN, AGENT SET, STAR,
// UNSTAR, SIGNAL, QUEUES, AGENTS, TEAM SET, AUDIT. Arguments are read in synopsis order
// (so the first malformed one is the BAD_ARG); the rules and the SQL are LeadStore's
// FloorControl; here results become reply lines and every action is logged.
extension Verbs {
    /// The session's agent as the acting team lead or admin.
    func overseer(_ session: SessionContext) -> Overseer {
        let me = session.agent
        return Overseer(id: me.id, name: me.name, teamID: me.teamID, isAdmin: session.isAdmin)
    }

    var floor: FloorControl { FloorControl(signalBoost: context.config.signalBoost) }

    /// ASSIGN lead= agent= [force=]
    func assign(_ request: Request, session: SessionContext) async throws -> Reply {
        let lead = try id(request, "lead")
        let agent = try request.string("agent")
        let force = try request.optionalBool("force") ?? false
        let by = overseer(session)
        let floor = self.floor
        let result = try await db { c in try floor.assign(c, lead: lead, agent: agent, force: force, by: by, now: clock.now()) }
        if result.changed {
            context.metrics.floorAction("assign")
            session.logger.info("assigned", metadata: ["lead": "\(lead)", "to": "\(agent)", "force": "\(force)",
                                                       "revoked": "\(result.revoked ?? "-")"])
        }
        return .ok(tag: request.tag, fields: Replies.assigned(result))
    }

    /// MOVE from= to= [count=] [view=] [city=] [force=]
    func move(_ request: Request, session: SessionContext) async throws -> Reply {
        let from = QueueEndpoint(try request.string("from"))
        let to = QueueEndpoint(try request.string("to"))
        let count = try request.optionalInt("count", range: 1...FloorControl.maxMoveCount)
        let view = try request.optionalEnumValue("view", as: View.self)
        let city = try request.optionalString("city")
        let force = try request.optionalBool("force") ?? false
        let idem = try request.optionalString("idem")
        let by = overseer(session)
        let floor = self.floor
        let result = try await db { c in
            try floor.move(c, from: from, to: to, count: count, view: view, city: city, force: force, by: by, requestID: idem, now: clock.now())
        }
        context.metrics.floorAction("move")
        session.logger.info("moved", metadata: ["from": "\(from)", "to": "\(to)", "moved": "\(result.moved)",
                                                "skipped": "\(result.skipped)", "revoked": "\(result.revoked)"])
        return .ok(tag: request.tag, fields: Replies.moved(result))
    }

    /// PAUSE agent=, RESUME agent=, DRAIN agent=
    func setStatus(_ request: Request, to status: AgentStatus, session: SessionContext) async throws -> Reply {
        let agent = try request.string("agent")
        let by = overseer(session)
        let floor = self.floor
        let result = try await db { c in try floor.setStatus(c, agent: agent, to: status, by: by, now: clock.now()) }
        context.metrics.floorAction(request.verb.lowercased())
        session.logger.info("agent status", metadata: ["agent": "\(agent)", "status": "\(status.rawValue)",
                                                       "returned": "\(result.returned ?? 0)"])
        return .ok(tag: request.tag, fields: Replies.agentStatus(result))
    }

    /// AGENT SET agent= [senior=] [cities=] [devices=] [languages=] [capacity=]
    func agentSet(_ request: Request, session: SessionContext) async throws -> Reply {
        let agent = try request.string("agent")
        var changes = AgentChanges()
        changes.senior = try request.optionalBool("senior")
        changes.cities = try request.optionalList("cities")
        changes.devices = try request.optionalList("devices")
        changes.languages = try request.optionalList("languages")
        changes.capacity = try request.optionalInt("capacity", range: 0...100)
        let by = overseer(session)
        let floor = self.floor
        let wanted = changes
        let settings = try await db { c in try floor.setAgent(c, agent: agent, changes: wanted, by: by, now: clock.now()) }
        context.metrics.floorAction("agent_set")
        session.logger.info("agent settings", metadata: ["agent": "\(agent)"])
        return .ok(tag: request.tag, fields: Replies.agentSettings(settings))
    }

    /// STAR / UNSTAR [lead=] [view=] [city=] [source=] [before=] [after=] [team=]
    func star(_ request: Request, starred: Bool, session: SessionContext) async throws -> Reply {
        var filter = StarFilter()
        filter.lead = try optionalID(request, "lead")
        filter.view = try request.optionalEnumValue("view", as: View.self)
        filter.city = try request.optionalString("city")
        filter.source = try request.optionalString("source")
        filter.before = try request.optionalTime("before")
        filter.after = try request.optionalTime("after")
        filter.team = try request.optionalString("team")
        let by = overseer(session)
        let floor = self.floor
        let chosen = filter
        let count = try await db { c in try floor.star(c, starred, filter: chosen, by: by, now: clock.now()) }
        context.metrics.floorAction(starred ? "star" : "unstar")
        session.logger.info(starred ? "starred" : "unstarred", metadata: ["count": "\(count)"])
        return .ok(tag: request.tag, fields: Replies.starred(count: count))
    }

    /// SIGNAL lead= kind= [note=]
    func signal(_ request: Request, session: SessionContext) async throws -> Reply {
        let lead = try id(request, "lead")
        let kind = try request.enumValue("kind", as: SignalKind.self)
        let note = try request.optionalString("note")
        let idem = try request.optionalString("idem")
        let by = overseer(session)
        let floor = self.floor
        let result = try await db { c in
            try floor.signal(c, lead: lead, kind: kind, note: note, by: by, requestID: idem, now: clock.now())
        }
        context.metrics.floorAction("signal")
        session.logger.info("signal", metadata: ["lead": "\(lead)", "kind": "\(kind.rawValue)",
                                                 "assigned": "\(result.assigned ?? "-")"])
        return .ok(tag: request.tag, fields: Replies.signalled(result))
    }

    /// QUEUES [team=]
    func queues(_ request: Request, session: SessionContext) async throws -> Reply {
        let team = try request.optionalString("team")
        let by = overseer(session)
        let floor = self.floor
        let rows = try await db { c in try floor.queues(c, team: team, by: by, now: clock.now()) }
        return .rows(tag: request.tag, rows: rows.map(Replies.queue))
    }

    /// AGENTS [team=]
    func agents(_ request: Request, session: SessionContext) async throws -> Reply {
        let team = try request.optionalString("team")
        let by = overseer(session)
        let floor = self.floor
        let rows = try await db { c in try floor.agents(c, team: team, by: by, now: clock.now()) }
        return .rows(tag: request.tag, rows: rows.map(Replies.agent))
    }

    /// TEAM SET [team=] [starred_mode=] [shift_end=] [junior_high_ends=] [account_manager=]
    /// and the call rules ([lease_minutes=] … [call_window=]).
    func teamSet(_ request: Request, session: SessionContext) async throws -> Reply {
        let team = try request.optionalString("team")
        var changes = TeamChanges()
        changes.starredMode = try request.optionalBool("starred_mode")
        if let end = try request.optionalString("shift_end") {
            let cleared = end.isEmpty || end.lowercased() == "none"
            guard cleared || TeamChanges.shiftEnd(end) != nil else {
                throw request.badArg("shift_end", "expected HH:MM (24-hour, team time), HH:MM:SS, or none")
            }
            changes.shiftEnd = .some(cleared ? nil : end)
        }
        changes.juniorHighEnds = try request.optionalBool("junior_high_ends")
        if let manager = try request.optionalString("account_manager") {
            changes.accountManager = .some(manager.isEmpty || manager.lowercased() == "none" ? nil : manager)
        }
        for (key, range) in TeamRuleChanges.limits {
            if let value = try request.optionalInt(key, range: range) { changes.rules.set(key, value) }
        }
        if let window = try request.optionalString("call_window") {
            guard TeamRuleChanges.callWindow(window) != nil else {
                throw request.badArg("call_window", "expected HH:MM-HH:MM (24-hour, team time), start before end")
            }
            changes.rules.callWindow = window
        }
        changes.claimOrder = try request.optionalEnumValue("claim_order", as: ClaimOrder.self)
        let by = overseer(session)
        let floor = self.floor
        let wanted = changes
        let settings = try await db { c in try floor.setTeam(c, team: team, changes: wanted, by: by, now: clock.now()) }
        if let order = ClaimOrder(rawValue: settings.claimOrder) {
            // This instance's CLAIMs follow a changed order at once (others within the cache's TTL).
            let now = clock.now()
            context.claimOrders.withLock { $0[settings.teamID] = CachedClaimOrder(order: order, readAt: now) }
        }
        if wanted != TeamChanges() {
            context.metrics.floorAction("team_set")
            session.logger.info("team settings", metadata: ["team": "\(settings.team)"])
        }
        return .ok(tag: request.tag, fields: Replies.teamSettings(settings))
    }

    /// AUDIT [team=] [agent=] [limit=]
    func audit(_ request: Request, session: SessionContext) async throws -> Reply {
        let team = try request.optionalString("team")
        let agent = try request.optionalString("agent")
        let limit = try request.optionalInt("limit", range: 1...500) ?? 100
        let by = overseer(session)
        let floor = self.floor
        let rows = try await db { c in try floor.audit(c, team: team, agent: agent, limit: limit, by: by) }
        return .rows(tag: request.tag, rows: rows.map(Replies.audit))
    }
}
