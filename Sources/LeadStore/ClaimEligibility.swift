import LeadCore
import Postgres

extension LeadQueue {
    /// Whether `agent` may be handed High-End leads (`CLAIM view=high_end` is DENIED
    /// otherwise): senior agents, team leads and admins always; plain agents only when
    /// their team allows it.
    public func mayTakeHighEnd(_ c: PostgresConnection, agent: Int64) throws -> Bool {
        try c.query(SQLFiles.query("high_end_allowed"), [agent], prepared: true).first?.bool("allowed") ?? false
    }

    /// The team's claim order (TEAM SET `claim_order`); the SOP 000 default for an unknown team.
    public func claimOrder(_ c: PostgresConnection, team: Int64) throws -> ClaimOrder {
        let raw = try c.query(SQLFiles.query("team_claim_order"), [team], prepared: true).first?["claim_order"]
        return raw.flatMap(ClaimOrder.init(rawValue:)) ?? .highEndFirst
    }
}
