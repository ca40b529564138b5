import Foundation
import LeadCore
import Postgres

/// Routing leads by hand: ASSIGN and MOVE.
extension FloorControl {
    /// ASSIGN: puts an open lead into `agent`'s personal queue.
    ///
    /// Checks, in order: NOT_FOUND (lead, then agent); DENIED (the lead's or the agent's
    /// team is not the overseer's); BAD_ARG (the agent is in another team than the lead);
    /// CONFLICT (closed); AGENT_NOT_ACTIVE (draining or disabled; paused may be assigned);
    /// LEASE_HELD (another agent holds it; `force` revokes the lease instead); NOT_SKILLED
    /// (`FloorRules.skillGap`; `force` skips it). Assigning to the agent who already has it
    /// is a no-op.
    public func assign(_ c: PostgresConnection, lead: Int64, agent name: String, force: Bool, by overseer: Overseer,
                       now: Date) throws -> AssignResult {
        try Self.atomically(c) { c in
            guard let lr = try c.query(SQLFiles.query("floor_lead"), [lead, now], prepared: true).first else {
                throw Refusal(.notFound, "no lead \(lead)")
            }
            let agent = try Self.agent(c, name, key: "agent")
            let leadTeam = lr.int64("team_id") ?? 0
            guard overseer.oversees(team: leadTeam) else { throw Refusal(.denied, "lead \(lead) belongs to another team") }
            guard overseer.oversees(team: agent.teamID) else { throw Refusal(.denied, "agent: \(name) belongs to another team") }
            guard agent.teamID == leadTeam else {
                throw Refusal(.badArg, "agent: \(name) is in team \(agent.team); lead \(lead) is in team \(lr["team"] ?? "?")")
            }
            guard lr["state"] != "closed" else { throw Refusal(.conflict, "lead \(lead) is closed") }
            let status = try Self.hold(c, agent: agent)
            guard status != .draining && status != .disabled else {
                throw Refusal(.agentNotActive, "agent: \(name) is \(status.rawValue) and takes no new leads")
            }
            let alreadyTheirs = lr.int64("assigned_agent_id") == agent.id && lr["reserved_until"] == nil
            let held = lr.bool("held") ?? false
            let holder = lr.int64("holder_agent_id")
            let heldByOther = held && holder != agent.id
            if alreadyTheirs && !heldByOther {
                return AssignResult(lead: lead, agent: agent.name, revoked: nil, changed: false)
            }
            if heldByOther && !force {
                throw Refusal(.leaseHeld, "lead \(lead) is held by \(lr["holder"] ?? "another agent"); force=1 revokes the lease")
            }
            let gap = FloorRules.skillGap(agent: agent.snapshot, lead: Self.snapshot(lr), team: agent.policy)
            if let gap, !force { throw Refusal(.notSkilled, "\(gap); force=1 assigns it anyway") }
            var payload: [String: String] = ["to": agent.name, "from": lr["assigned"] ?? "pool", "via": "assign"]
            if force { payload["force"] = "true" }
            _ = try Self.route(c, leads: [lead], revoke: heldByOther ? [lead] : [], to: agent.id, by: overseer, now: now,
                               kind: "assigned", payload: payload, forced: force)
            var details: [String: String] = ["lead": String(lead), "from": lr["assigned"] ?? "pool"]
            if let gap { details["skill_gap_overridden"] = gap }
            if heldByOther { details["revoked"] = lr["holder"] ?? "" }
            try Self.audit(c, now: now, team: leadTeam, by: overseer, action: "assign", agent: agent.id, leads: 1,
                           forced: force, details: details)
            return AssignResult(lead: lead, agent: agent.name, revoked: heldByOther ? lr["holder"] : nil, changed: true)
        }
    }

    /// MOVE: open leads from one agent's personal queue (or the team pool) to another's (or
    /// the pool), in claim order, at most `count` (required from the pool; default all from
    /// an agent), optionally only one view and city.
    ///
    /// Without `force` a lead another agent holds under a live lease is skipped, and so is
    /// a lead the receiving agent does not cover; with it, held leads' leases are revoked
    /// (`revoked` events; the holder's next action gets LEASE_LOST) and every matching lead
    /// moves. From the pool, skipped leads do not count towards `count`.
    ///
    /// Checks, in order: BAD_ARG (both pool, the same, `count` missing from the pool or
    /// out of 1…1000); NOT_FOUND (from, then to); DENIED (another team); BAD_ARG (the two
    /// agents in different teams); AGENT_NOT_ACTIVE (`to` draining or disabled).
    public func move(_ c: PostgresConnection, from: QueueEndpoint, to: QueueEndpoint, count: Int?, view: View?, city: String?,
                     force: Bool, by overseer: Overseer, requestID: String? = nil, now: Date) throws -> MoveResult {
        if from == .pool && to == .pool { throw Refusal(.badArg, "to: from and to are both the pool") }
        if from == to { throw Refusal(.badArg, "to: from and to are the same agent") }
        if let count, !(1...Self.maxMoveCount).contains(count) {
            throw Refusal(.badArg, "count: expected an integer from 1 to \(Self.maxMoveCount)")
        }
        if from == .pool && count == nil { throw Refusal(.badArg, "count: required when moving from the pool") }
        let viewFilter = view == .allLeads ? nil : view
        let arguments: [(String, String?)] = [
            ("from", from.description), ("to", to.description), ("count", count.map { String($0) }),
            ("view", view?.rawValue), ("city", city), ("force", force ? "1" : "0"),
        ]
        return try Self.atomically(c, once: requestID, by: overseer, verb: "MOVE", arguments: arguments, now: now) { c in
            var source: FloorAgent?
            var receiver: FloorAgent?
            if case .agent(let name) = from { source = try Self.agent(c, name, key: "from") }
            if case .agent(let name) = to { receiver = try Self.agent(c, name, key: "to") }
            let teams = [source?.teamID, receiver?.teamID].compactMap { $0 }
            for (agent, key) in [(source, "from"), (receiver, "to")] {
                if let agent, !overseer.oversees(team: agent.teamID) {
                    throw Refusal(.denied, "\(key): \(agent.name) belongs to another team")
                }
            }
            guard let team = teams.first, teams.allSatisfy({ $0 == team }) else {
                throw Refusal(.badArg, "to: \(to) is in another team than \(from)")
            }
            if let receiver, receiver.status == .draining || receiver.status == .disabled {
                throw Refusal(.agentNotActive, "to: \(receiver.name) is \(receiver.status.rawValue) and takes no new leads")
            }
            try Self.takeTeamTurn(c, team: team)
            let limit = from == .pool ? (count ?? 0) + 1000 : (count ?? 100_000)
            let candidates: QueryResult
            if let source {
                candidates = try c.query(SQLFiles.query("move_from_agent"), [source.id, viewFilter?.rawValue, city, limit, now], prepared: true)
            } else {
                candidates = try c.query(SQLFiles.query("move_from_pool"), [team, viewFilter?.rawValue, city, limit, now], prepared: true)
            }
            if let receiver {
                let status = try Self.hold(c, agent: receiver)
                if status == .draining || status == .disabled {
                    throw Refusal(.agentNotActive, "to: \(receiver.name) is \(status.rawValue) and takes no new leads")
                }
            }
            let policy = receiver?.policy ?? source?.policy ?? .standard
            var moving: [Int64] = []
            var revoking: [Int64] = []
            var skippedHeld = 0
            var skippedNotSkilled = 0
            for row in candidates.rows {
                if let count, moving.count >= count { break }
                guard let id = row.int64("id") else { continue }
                let heldByOther = (row.bool("held") ?? false) && row.int64("holder_agent_id") != receiver?.id
                switch FloorRules.moveVerdict(lead: Self.snapshot(row), heldByOther: heldByOther, receiver: receiver?.snapshot,
                                              team: policy, force: force) {
                case .move: moving.append(id)
                case .revokeAndMove:
                    moving.append(id)
                    revoking.append(id)
                case .skipHeld: skippedHeld += 1
                case .skipNotSkilled: skippedNotSkilled += 1
                }
            }
            var payload: [String: String] = ["from": from.description, "to": to.description, "via": "move"]
            if force { payload["force"] = "true" }
            var revoked = 0
            if !moving.isEmpty {
                revoked = try Self.route(c, leads: moving, revoke: revoking, to: receiver?.id, by: overseer, now: now,
                                         kind: "moved", payload: payload, forced: force)
            }
            var details: [String: String] = [
                "from": from.description, "to": to.description, "skipped_held": String(skippedHeld),
                "skipped_not_skilled": String(skippedNotSkilled), "revoked": String(revoked),
            ]
            if let count { details["count"] = String(count) }
            if let viewFilter { details["view"] = viewFilter.rawValue }
            if let city { details["city"] = city }
            if !moving.isEmpty {
                try Self.audit(c, now: now, team: team, by: overseer, action: "move", agent: receiver?.id ?? source?.id,
                               leads: moving.count, forced: force, details: details)
            }
            return MoveResult(moved: moving.count, skippedHeld: skippedHeld, skippedNotSkilled: skippedNotSkilled, revoked: revoked)
        }
    }
}
