import Foundation
import LeadCore
import Postgres

/// Escalations to CX, Ops and Pricing: ESCALATE, ESCALATIONS, ESCALATION RESOLVE.
extension CallDesk {
    /// Escalates a lead to CX, Ops or Pricing with a summary and the exact ask (an open
    /// escalation and an `escalated` event). Any agent of the lead's team, or an admin, may
    /// escalate, whether or not the lead is held or closed (e.g. a price dispute after the
    /// order).
    ///
    /// Checks, in order: the request id; NOT_FOUND; DENIED (another team); summary, then
    /// ask: BAD_ARG when blank or longer than `Note.maxLength`.
    public func escalate(
        _ c: PostgresConnection,
        lead: Int64,
        agent: Int64,
        to target: EscalationTarget,
        summary: String?,
        ask: String?,
        requestID: String? = nil,
        now: Date
    ) throws -> Escalation {
        let arguments: [(String, String?)] = [("lead", String(lead)), ("to", target.rawValue), ("summary", summary), ("ask", ask)]
        return try ledger.once(c, agent: agent, requestID: requestID, verb: "ESCALATE", arguments: arguments, now: now) { c in
            let access = try LeadAccess.load(c, lead: lead, agent: agent, now: now)
            guard access.agentTeamID == access.teamID || access.role == AgentRole.admin.rawValue else {
                throw Refusal(.denied, "lead \(lead) belongs to another team")
            }
            let summary = try Self.text(summary, field: "summary")
            let ask = try Self.text(ask, field: "ask")
            guard let row = try c.query(SQLFiles.query("escalate"), [lead, agent, target.rawValue, summary, ask, now, requestID],
                                        prepared: true).first else {
                throw Refusal(.internal, "the escalation of lead \(lead) was not written")
            }
            return Escalation(row: row)
        }
    }

    /// Escalations, newest first, at most `limit`. A nil filter matches everything: `team`
    /// the lead's (sales) team, `target` cx/ops/pricing, `status` open/resolved, `lead`.
    /// `viewer`: the agent listing; when its team is a desk (`teams.desk`), the escalations
    /// sent to that desk are listed too, whatever team raised them. `age_minutes` counts to
    /// `now` while open.
    public func escalations(
        _ c: PostgresConnection,
        team: Int64?,
        target: EscalationTarget? = nil,
        status: EscalationStatus?,
        lead: Int64? = nil,
        limit: Int = 500,
        viewer: Int64? = nil,
        now: Date = Date(timeIntervalSince1970: 0)
    ) throws -> [Escalation] {
        let r = try c.query(SQLFiles.query("escalations"), [team, target?.rawValue, status?.rawValue, lead, max(0, limit), now, viewer],
                            prepared: true)
        return r.rows.map(Escalation.init(row:))
    }

    /// Resolves an open escalation with a note: who, when, the resolution, and an
    /// `escalation_resolved` event on the lead. Who may: a team lead of the lead's team, an
    /// admin, or any agent of the escalation's target desk (the team whose `desk` is its
    /// `to`).
    ///
    /// Checks, in order: the request id; NOT_FOUND; DENIED; CONFLICT (already resolved);
    /// the note (NOTE_REQUIRED when missing or blank, BAD_ARG over 2000 characters).
    public func resolveEscalation(
        _ c: PostgresConnection, escalation: Int64, agent: Int64, note: String?, requestID: String? = nil, now: Date
    ) throws -> Escalation {
        let arguments: [(String, String?)] = [("escalation", String(escalation)), ("note", note)]
        return try ledger.once(c, agent: agent, requestID: requestID, verb: "ESCALATION RESOLVE", arguments: arguments, now: now) { c in
            guard let row = try c.query(SQLFiles.query("escalation_access"), [escalation, agent], prepared: true).first else {
                throw Refusal(.notFound, "no escalation \(escalation)")
            }
            let role = row["role"] ?? ""
            let leadTeam = row.int64("team_id")
            let mayResolve = role == AgentRole.admin.rawValue
                || (role == AgentRole.teamLead.rawValue && row.int64("agent_team_id") == leadTeam)
                || (row["agent_desk"] != nil && row["agent_desk"] == row["target"])
            guard mayResolve else {
                throw Refusal(.denied, "only a team lead of the lead's team, the \(row["target"] ?? "") desk or an admin may resolve escalation \(escalation)")
            }
            guard row["status"] == EscalationStatus.open.rawValue else {
                throw Refusal(.conflict, "escalation \(escalation) is already resolved")
            }
            let clean = try Note.validate(note)
            guard let out = try c.query(SQLFiles.query("escalation_resolve"), [escalation, agent, clean, now, requestID],
                                        prepared: true).first, out.int("events") == 1 else {
                throw Refusal(.conflict, "escalation \(escalation) is already resolved")
            }
            return Escalation(row: out)
        }
    }
}
