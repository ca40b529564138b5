import Foundation
import LeadCore
import Postgres

/// Brings leads onto the floor: LeadCore checks the fields (`LeadIntake.validate`, with
/// the `created_at` clock-skew rule), then `sql/queries/lead_add.sql` creates the lead in
/// one round trip, or updates the open lead of a returning customer (same phone and device,
/// same team), and wakes one waiting agent. Another team's open lead for that phone and
/// device is never touched: LEAD_IN_OTHER_TEAM (docs/RULES.md §12). Used by `LEAD ADD`.
public struct LeadIntakeStore: Sendable {
    public init() {}

    /// What one intake did.
    public struct Added: Sendable, Codable, Equatable {
        public let lead: Int64
        /// False when an open lead of the same customer and device was updated instead (a re-check).
        public let created: Bool
        /// The catalogue's verdict on the device.
        public let highEnd: Bool
        public let teamID: Int64
        /// The lead's state after the intake (`new` for a created lead).
        public let state: String

        public init(lead: Int64, created: Bool, highEnd: Bool, teamID: Int64, state: String) {
            self.lead = lead
            self.created = created
            self.highEnd = highEnd
            self.teamID = teamID
            self.state = state
        }
    }

    /// Validates `draft` (with `createdAt`, when given, as its drop-off time) and ingests it.
    /// - Throws: `Refusal` BAD_ARG naming every bad field (in field order; `created_at` more
    ///   than `LeadIntake.maxClockSkew` after `now` included), NOT_FOUND for an unknown team,
    ///   LEAD_IN_OTHER_TEAM when another team has an open lead for the phone and device,
    ///   CONFLICT for a reused request id; `PostgresError` from the database.
    public func add(_ c: PostgresConnection, draft: LeadIntake.Draft, createdAt: Date? = nil, now: Date,
                    agent: Int64? = nil, requestID: String? = nil) throws -> Added {
        var draft = draft
        if let createdAt { draft.createdAt = createdAt }
        switch LeadIntake.validate(draft, now: now) {
        case .failure(let rejection):
            throw rejection.refusal
        case .success(let intake):
            return try add(c, intake, now: now, agent: agent, requestID: requestID)
        }
    }

    /// LEAD ADD over the protocol: `agent` adds leads to its own team, or to any team with
    /// `anyTeam` (admins). The team is checked before anything is written: NOT_FOUND (no
    /// such team) before DENIED (another team); then as `add(_:draft:…)`.
    public func add(_ c: PostgresConnection, draft: LeadIntake.Draft, by agent: AgentDirectory.Identity, anyTeam: Bool,
                    now: Date, requestID: String? = nil) throws -> Added {
        let team = (draft.team ?? "").trimmingCharacters(in: Note.blankCharacters)
        if !anyTeam, team != agent.team {
            guard try c.query(SQLFiles.query("floor_team"), [team], prepared: true).first != nil else {
                throw Refusal(.notFound, "team: no team \(team)")
            }
            throw Refusal(.denied, "team: you add leads to your own team (\(agent.team))")
        }
        return try add(c, draft: draft, now: now, agent: agent.id, requestID: requestID)
    }

    /// Ingests a validated lead. `createdAt` is the customer's drop-off time (default: the
    /// intake's, else `now`), checked again here against `now` (`LeadIntake.checkCreatedAt`);
    /// `agent` is who added it (recorded on the event); with both `agent` and `requestID`
    /// the call is idempotent (`RequestLedger`).
    public func add(_ c: PostgresConnection, _ intake: LeadIntake, createdAt: Date? = nil, now: Date,
                    agent: Int64? = nil, requestID: String? = nil) throws -> Added {
        let createdAt = createdAt ?? intake.createdAt
        if let problem = LeadIntake.checkCreatedAt(createdAt, now: now) {
            throw Refusal(.badArg, problem.description)
        }
        let created = createdAt ?? now
        let conditions = intake.conditions.isEmpty ? nil : intake.conditions.joined(separator: ",")
        let params: [any PostgresBindable] = [
            intake.team, intake.phone, intake.name, intake.city, intake.pincode, intake.language,
            intake.category, intake.brand, intake.model, intake.variant, conditions, intake.priceMinor,
            intake.source, intake.campaign, created, now, agent, requestID,
        ]
        let run: (PostgresConnection) throws -> Added = { c in
            guard let row = try c.query(SQLFiles.query("lead_add"), params, prepared: true).first else {
                throw Refusal(.notFound, "team: no team \(intake.team)")
            }
            guard row.int64("id") != nil else {
                let other = row["other_team"].map { "team \($0)" } ?? "another team"
                throw Refusal(.leadInOtherTeam,
                              "phone: \(other) has an open lead for this customer and device; it was not changed")
            }
            return Added(lead: row.int64("id") ?? 0, created: row.bool("inserted") ?? false,
                         highEnd: row.bool("high_end") ?? false, teamID: row.int64("team_id") ?? 0,
                         state: row["state"] ?? "new")
        }
        guard let agent, let requestID else { return try run(c) }
        let arguments: [(String, String?)] = [
            ("phone", intake.phone), ("name", intake.name), ("city", intake.city), ("pincode", intake.pincode),
            ("category", intake.category), ("brand", intake.brand), ("model", intake.model), ("variant", intake.variant),
            ("price", String(intake.priceMinor)), ("source", intake.source), ("team", intake.team),
            ("created_at", createdAt.map { PostgresTime.format($0) }), ("conditions", conditions),
            ("campaign", intake.campaign), ("language", intake.language),
        ]
        return try RequestLedger().once(c, agent: agent, requestID: requestID, verb: "LEAD ADD", arguments: arguments,
                                        now: now, run)
    }
}
