import Foundation
import LeadCore
import Postgres

/// Flow control: PAUSE, RESUME, DRAIN, AGENT SET, STAR, UNSTAR, TEAM SET.
extension FloorControl {
    /// PAUSE (`.paused`), RESUME (`.active`) or DRAIN (`.draining`) an agent. A paused or
    /// draining agent claims nothing new (its waiting CLAIMs end with AGENT_NOT_ACTIVE: the
    /// `agents_changed` trigger notifies every instance); leases it holds run on. DRAIN also
    /// returns its personal queue to the team pool (held leads included: they go to the
    /// pool when their lease ends), and its callbacks are no longer reserved for it.
    ///
    /// Checks: NOT_FOUND, DENIED (another team), CONFLICT (the agent is disabled).
    public func setStatus(_ c: PostgresConnection, agent name: String, to status: AgentStatus, by overseer: Overseer,
                          now: Date) throws -> AgentStatusResult {
        precondition(status != .disabled, "disabling is `leadline agent disable`")
        return try Self.atomically(c) { c in
            let agent = try Self.agent(c, name, key: "agent")
            guard overseer.oversees(team: agent.teamID) else { throw Refusal(.denied, "agent: \(name) belongs to another team") }
            guard agent.status != .disabled else { throw Refusal(.conflict, "agent: \(name) is disabled") }
            guard try c.query(SQLFiles.query("agent_status"), [agent.id, status.rawValue, now], prepared: true).first != nil else {
                throw Refusal(.conflict, "agent: \(name) is disabled")
            }
            var returned: Int?
            if status == .draining {
                let row = try c.query(SQLFiles.query("drain_return"), [agent.id, overseer.id, now], prepared: true).first
                returned = row?.int("returned") ?? 0
            }
            let action = switch status {
            case .paused: "pause"
            case .draining: "drain"
            default: "resume"
            }
            if agent.status != status || (returned ?? 0) > 0 {
                try Self.audit(c, now: now, team: agent.teamID, by: overseer, action: action, agent: agent.id, leads: returned ?? 0,
                               forced: false, details: ["before": agent.status.rawValue, "after": status.rawValue])
            }
            return AgentStatusResult(agent: agent.name, status: status, returned: returned)
        }
    }

    /// AGENT SET: seniority, cities, device types, languages (lists; empty covers all) and
    /// capacity (0…100). Checks: BAD_ARG (capacity out of range), NOT_FOUND, DENIED.
    public func setAgent(_ c: PostgresConnection, agent name: String, changes: AgentChanges, by overseer: Overseer,
                         now: Date) throws -> AgentSettings {
        if let capacity = changes.capacity, !(0...100).contains(capacity) {
            throw Refusal(.badArg, "capacity: expected an integer from 0 to 100")
        }
        return try Self.atomically(c) { c in
            let agent = try Self.agent(c, name, key: "agent")
            guard overseer.oversees(team: agent.teamID) else { throw Refusal(.denied, "agent: \(name) belongs to another team") }
            guard let row = try c.query(SQLFiles.query("agent_set"), [
                agent.id, changes.senior, changes.cities, changes.devices, changes.languages, changes.capacity, now,
            ], prepared: true).first else {
                throw Refusal(.notFound, "agent: no agent \(name)")
            }
            let after = AgentSettings(row: row)
            // The settings that changed, as they were and as they are (`cities_before`, `cities`, …).
            let before = agent.snapshot
            func list(_ set: Set<String>) -> String { set.sorted().joined(separator: ",") }
            var details: [String: String] = [:]
            func changed(_ key: String, _ old: String, _ new: String) {
                if old != new { details["\(key)_before"] = old; details[key] = new }
            }
            changed("senior", agent.senior ? "1" : "0", after.senior ? "1" : "0")
            changed("cities", list(before.cities), list(Set(after.cities)))
            changed("devices", list(before.deviceCategories), list(Set(after.devices)))
            changed("languages", list(before.languages), list(Set(after.languages)))
            changed("capacity", String(before.capacity), String(after.capacity))
            if !details.isEmpty {
                try Self.audit(c, now: now, team: agent.teamID, by: overseer, action: "agent_set", agent: agent.id, leads: 0,
                               forced: false, details: details)
            }
            return after
        }
    }

    /// STAR (`starred: true`) or UNSTAR: the team's open leads chosen by `filter`; returns
    /// how many leads' star changed. In a team running in starred mode only starred leads
    /// are claimable, so this is how a lead manager releases leads in a controlled flow.
    ///
    /// Checks, in order: BAD_ARG (an admin without `team` or `lead`); NOT_FOUND (the team,
    /// then the lead); DENIED (another team).
    public func star(_ c: PostgresConnection, _ starred: Bool, filter: StarFilter, by overseer: Overseer, now: Date) throws -> Int {
        if overseer.isAdmin && filter.team == nil && filter.lead == nil {
            throw Refusal(.badArg, "team: an admin names the team (or a lead)")
        }
        return try Self.atomically(c) { c in
            var team: Int64 = overseer.teamID
            if let name = filter.team {
                guard let row = try c.query(SQLFiles.query("floor_team"), [name], prepared: true).first, let id = row.int64("id") else {
                    throw Refusal(.notFound, "team: no team \(name)")
                }
                team = id
            }
            if let lead = filter.lead {
                guard let row = try c.query(SQLFiles.query("lease_state"), [lead], prepared: true).first else {
                    throw Refusal(.notFound, "no lead \(lead)")
                }
                if filter.team == nil { team = row.int64("team_id") ?? team }
                guard overseer.oversees(team: row.int64("team_id") ?? -1) else {
                    throw Refusal(.denied, "lead \(lead) belongs to another team")
                }
            }
            guard overseer.oversees(team: team) else { throw Refusal(.denied, "team: \(filter.team ?? "") is another team") }
            try Self.takeTeamTurn(c, team: team)
            let view = filter.view == .allLeads ? nil : filter.view
            let row = try c.query(SQLFiles.query("star"), [
                team, starred, filter.lead, view?.rawValue, filter.city, filter.source, filter.before, filter.after, overseer.id, now,
            ], prepared: true).first
            let changed = row?.int("changed") ?? 0
            if changed > 0 {
                try Self.audit(c, now: now, team: team, by: overseer, action: starred ? "star" : "unstar", agent: nil, leads: changed,
                               forced: false, details: filter.details)
            }
            return changed
        }
    }

    /// TEAM SET: a team's starred mode, shift end (the daily unstar, team-local), whether
    /// juniors take High Ends, and the account manager failed payments go to. With no
    /// changes it just returns the settings.
    ///
    /// Checks, in order: NOT_FOUND (the team); DENIED (another team); BAD_ARG (a malformed
    /// shift end); NOT_FOUND (the account manager); BAD_ARG (an account manager of another
    /// team, or disabled).
    public func setTeam(_ c: PostgresConnection, team name: String?, changes: TeamChanges, by overseer: Overseer,
                        now: Date) throws -> TeamSettings {
        try Self.atomically(c) { c in
            var team = overseer.teamID
            var teamName = name ?? ""
            if let name {
                guard let row = try c.query(SQLFiles.query("floor_team"), [name], prepared: true).first, let id = row.int64("id") else {
                    throw Refusal(.notFound, "team: no team \(name)")
                }
                team = id
            } else if overseer.id == nil {
                throw Refusal(.badArg, "team: required")
            }
            guard overseer.oversees(team: team) else { throw Refusal(.denied, "team: \(teamName) is another team") }
            var shiftEnd: String?
            if case .some(.some(let text)) = changes.shiftEnd {
                guard let clean = TeamChanges.shiftEnd(text) else {
                    throw Refusal(.badArg, "shift_end: expected HH:MM (24-hour, team time) or none")
                }
                shiftEnd = clean
            }
            var manager: Int64?
            if case .some(.some(let managerName)) = changes.accountManager {
                let agent = try Self.agent(c, managerName, key: "account_manager")
                guard agent.teamID == team else {
                    throw Refusal(.badArg, "account_manager: \(managerName) is in team \(agent.team)")
                }
                guard agent.status != .disabled else { throw Refusal(.badArg, "account_manager: \(managerName) is disabled") }
                manager = agent.id
            }
            let rules = changes.rules
            var window: (start: String, end: String)?
            if let text = rules.callWindow {
                guard let parsed = TeamRuleChanges.callWindow(text) else {
                    throw Refusal(.badArg, "call_window: expected HH:MM-HH:MM (24-hour, team time), start before end")
                }
                window = parsed
            }
            for (key, range) in TeamRuleChanges.limits {
                if let value = rules.value(for: key), !range.contains(value) {
                    throw Refusal(.badArg, "\(key): expected an integer from \(range.lowerBound) to \(range.upperBound)")
                }
            }
            guard let row = try c.query(SQLFiles.query("team_settings"), [
                team, changes.starredMode, changes.shiftEnd != nil, shiftEnd, changes.juniorHighEnds,
                changes.accountManager != nil, manager, now,
                rules.leaseMinutes, rules.callbackGraceMinutes, rules.callbackHorizonDays, rules.followUpHours,
                rules.attemptsPerDay, rules.attemptSpacingMinutes, rules.unreachableAfterDays, window?.start, window?.end,
                changes.claimOrder?.rawValue,
            ], prepared: true).first else {
                throw Refusal(.notFound, "team: no team \(teamName)")
            }
            teamName = row["name"] ?? teamName
            var ruleFields = TeamRuleChanges.limits.map { ($0.key, row[$0.key] ?? "") }
            ruleFields.append(("call_window", row["call_window"] ?? ""))
            var settings = TeamSettings(team: teamName, timeZone: row["time_zone"] ?? "", starredMode: row.bool("starred_mode") ?? false,
                                        shiftEnd: row["shift_end"], juniorHighEnds: row.bool("allow_junior_high_end") ?? false,
                                        accountManager: row["account_manager"], rules: ruleFields)
            settings.claimOrder = row["claim_order"] ?? settings.claimOrder
            settings.teamID = row.int64("id") ?? team
            if row.bool("changed") == true {
                try c.query(SQLFiles.query("floor_audit"), [
                    now, team, overseer.id, "team_set", Int64?.none, 0, false, row["details"] ?? "{}", String?.none,
                ], prepared: true)
            }
            return settings
        }
    }
}
