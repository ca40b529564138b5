/// Who may run a verb, and who a session is. Ordered: each role may run the
/// verbs of the roles before it (`none` < `agent` < `team_lead` < `admin`).
///
/// It exists so the catalogue can say who may run each verb. The wire words
/// of the domain (dispositions, reasons, views, …) belong to LeadCore; this is
/// the one vocabulary the protocol layer itself needs.
public enum Role: String, Sendable, CaseIterable, Comparable {
    /// Before AUTH (wire word `none`). Named `unauthenticated` in Swift so it
    /// never collides with `Optional.none`.
    case unauthenticated = "none"
    case agent
    case teamLead = "team_lead"
    case admin

    /// The verb role of an agent's stored role (`agent`, `senior`, `team_lead`,
    /// `admin`): a senior agent runs the agent verbs. Nil for anything else.
    public init?(agentRole: String) {
        switch agentRole {
        case "agent", "senior": self = .agent
        case "team_lead": self = .teamLead
        case "admin": self = .admin
        default: return nil
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
