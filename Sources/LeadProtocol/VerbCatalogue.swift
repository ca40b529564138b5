/// What one verb accepts: its keys, the least role that may run it, and a
/// one-line summary.
///
/// It exists so the list of verbs and keys is data, written once: the server
/// validates against it, HELP prints it, and a test checks docs/PROTOCOL.md
/// shows every verb's usage line exactly.
///
/// Keys whose absence is an SOP refusal (a missing `note=` on DISPOSE is
/// NOTE_REQUIRED, not BAD_ARG) are listed as optional here; the server checks
/// them and sends the SOP code.
public struct VerbSpec: Sendable, Equatable {
    /// One or two upper-case words, e.g. `CLAIM`, `AGENT SET`.
    public let verb: String
    /// The least role that may run the verb.
    public let role: Role
    /// Keys that must be present (missing: BAD_ARG).
    public let required: [String]
    /// Keys that may be present.
    public let optional: [String]
    /// One line for HELP.
    public let summary: String

    public init(_ verb: String, role: Role, required: [String] = [], optional: [String] = [], summary: String) {
        self.verb = verb
        self.role = role
        self.required = required
        self.optional = optional
        self.summary = summary
    }

    /// True if the verb accepts `key`.
    public func accepts(_ key: String) -> Bool {
        required.contains(key) || optional.contains(key)
    }

    /// The synopsis, e.g. `CLAIM [wait=] [view=]`: required keys bare,
    /// optional keys in brackets, each in catalogue order.
    public var usage: String {
        ([verb] + required.map { "\($0)=" } + optional.map { "[\($0)=]" }).joined(separator: " ")
    }

    /// The HELP row for this verb: `verb= role= usage= summary=`.
    public var helpRow: [Field] {
        [Field("verb", verb), Field("role", role.rawValue), Field("usage", usage), Field("summary", summary)]
    }
}

/// The verbs of protocol 1.
///
/// It exists as the single list of verbs and keys; docs/PROTOCOL.md §12
/// describes each one's replies and errors.
public enum VerbCatalogue {
    /// Every verb, in the order HELP lists them.
    public static let all: [VerbSpec] = [
        // Before AUTH.
        VerbSpec("AUTH", role: .unauthenticated, required: ["agent", "token"],
                 summary: "Log in as an agent."),
        VerbSpec("PING", role: .unauthenticated,
                 summary: "Check the connection; replies with the server time."),
        VerbSpec("QUIT", role: .unauthenticated,
                 summary: "Close the connection after earlier replies are sent."),
        VerbSpec("HELP", role: .unauthenticated, optional: ["verb"],
                 summary: "List the verbs, or one verb, with usage and role."),

        // Agents.
        VerbSpec("CLAIM", role: .agent, optional: ["wait", "view"],
                 summary: "Take the next lead in claim order under a lease."),
        VerbSpec("TOUCH", role: .agent, required: ["lead", "lease"],
                 summary: "Extend a lease you hold."),
        VerbSpec("RELEASE", role: .agent, required: ["lead", "lease"], optional: ["note", "idem"],
                 summary: "Give a held lead back to its queue without a disposition."),
        VerbSpec("DISPOSE", role: .agent, required: ["lead", "lease", "code"],
                 optional: ["note", "at", "reason", "idem"],
                 summary: "Record the outcome of a call and end the lease."),
        VerbSpec("CONVERT", role: .agent, required: ["lead", "lease"],
                 optional: ["idem", "consent", "price_confirmed", "category", "brand", "model", "variant",
                            "conditions", "city", "pincode", "address", "landmark", "slot", "slot_end", "accessories",
                            "payment", "payment_ref", "price", "note"],
                 summary: "Create an order from a held lead after the SOP pre-checks."),
        VerbSpec("NOTE", role: .agent, required: ["lead"], optional: ["text", "idem"],
                 summary: "Add a note to a lead's history."),
        VerbSpec("ESCALATE", role: .agent, required: ["lead", "to", "summary", "ask"], optional: ["idem"],
                 summary: "Escalate a lead to CX, Ops or Pricing."),
        VerbSpec("LEAD ADD", role: .agent,
                 required: ["phone", "name", "city", "pincode", "category", "brand", "model", "variant",
                            "price", "source", "team"],
                 optional: ["created_at", "conditions", "campaign", "language", "idem"],
                 summary: "Create a lead."),
        VerbSpec("LEAD SHOW", role: .agent, required: ["lead"], optional: ["events"],
                 summary: "Show a lead and its history."),
        VerbSpec("LEADS", role: .agent,
                 optional: ["team", "from", "to", "city", "category", "brand", "model", "source", "campaign", "state",
                            "view", "agent", "breached", "rows", "after"],
                 summary: "List and filter leads (All Leads), a page at a time."),
        VerbSpec("MINE", role: .agent,
                 summary: "List the leads you hold, with their leases."),
        VerbSpec("ESCALATIONS", role: .agent, optional: ["to", "status", "lead"],
                 summary: "List escalations of your team."),
        VerbSpec("ESCALATION RESOLVE", role: .agent, required: ["escalation"], optional: ["note", "idem"],
                 summary: "Close an escalation with a resolution note."),

        // Team leads (their own team) and admins.
        VerbSpec("ASSIGN", role: .teamLead, required: ["lead", "agent"], optional: ["force"],
                 summary: "Reserve a lead for one agent."),
        VerbSpec("MOVE", role: .teamLead, required: ["from", "to"],
                 optional: ["count", "view", "city", "force", "idem"],
                 summary: "Move leads between agents and the pool."),
        VerbSpec("PAUSE", role: .teamLead, required: ["agent"],
                 summary: "Stop giving an agent new leads."),
        VerbSpec("RESUME", role: .teamLead, required: ["agent"],
                 summary: "Give a paused or draining agent work again."),
        VerbSpec("DRAIN", role: .teamLead, required: ["agent"],
                 summary: "Stop an agent's new work and return its queue."),
        VerbSpec("AGENT SET", role: .teamLead, required: ["agent"],
                 optional: ["senior", "cities", "devices", "languages", "capacity"],
                 summary: "Change an agent's skills and capacity."),
        VerbSpec("STAR", role: .teamLead,
                 optional: ["lead", "view", "city", "source", "before", "after", "team"],
                 summary: "Star leads: release them for claiming."),
        VerbSpec("UNSTAR", role: .teamLead,
                 optional: ["lead", "view", "city", "source", "before", "after", "team"],
                 summary: "Remove stars."),
        VerbSpec("SIGNAL", role: .teamLead, required: ["lead", "kind"], optional: ["note", "idem"],
                 summary: "Raise a lead's priority."),
        VerbSpec("QUEUES", role: .teamLead, optional: ["team"],
                 summary: "Queue sizes, oldest lead and SLA breaches."),
        VerbSpec("AGENTS", role: .teamLead, optional: ["team"],
                 summary: "Agents, their status, skills and holdings."),
        VerbSpec("TEAM SET", role: .teamLead,
                 optional: ["team", "starred_mode", "shift_end", "junior_high_ends", "account_manager",
                            "lease_minutes", "callback_grace_minutes", "callback_horizon_days", "follow_up_hours",
                            "attempts_per_day", "attempt_spacing_minutes", "unreachable_after_days", "call_window",
                            "claim_order"],
                 summary: "Change a team's starred mode, shift end, routing and call rules."),
        VerbSpec("AUDIT", role: .teamLead, optional: ["team", "agent", "limit"],
                 summary: "The log of team-lead actions."),
        VerbSpec("CANCEL", role: .teamLead, required: ["order", "reason"], optional: ["idem"],
                 summary: "Cancel an order."),

        // Admins: the catalogue, shared by every team.
        VerbSpec("DEVICE ADD", role: .admin, required: ["category", "brand", "model", "variant"],
                 optional: ["high_end", "supported"],
                 summary: "Add a device to the catalogue, or set its flags."),
        VerbSpec("DEVICE RETIRE", role: .admin, required: ["category", "brand", "model", "variant"],
                 summary: "Mark a device not supported."),
        VerbSpec("HIGHEND ADD", role: .admin, required: ["category", "brand", "model", "variant"],
                 summary: "Put a device on the High End list."),
        VerbSpec("HIGHEND RETIRE", role: .admin, required: ["category", "brand", "model", "variant"],
                 summary: "Take a device off the High End list."),
        VerbSpec("PINCODE ADD", role: .admin, required: ["pincode", "category", "city"],
                 summary: "Serve a pincode for a device category."),
        VerbSpec("PINCODE RETIRE", role: .admin, required: ["pincode", "category"],
                 summary: "Stop serving a pincode for a device category."),
    ]

    private static let byVerb: [String: VerbSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.verb, $0) })

    /// The spec of a verb, or nil. Case and spacing do not matter
    /// (`"lead  add"` finds `LEAD ADD`), as for HELP's `verb=`.
    public static func spec(for verb: String) -> VerbSpec? {
        byVerb[verb.uppercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")]
    }

    /// Checks the verb and keys of a parsed request and returns its spec.
    ///
    /// UNKNOWN_VERB if the verb is not in the catalogue; then BAD_ARG for the
    /// first unknown key (in request order), then for the first missing
    /// required key (in catalogue order), then for a value holding NUL, then for an
    /// `idem=` outside 1–128 code points (`RequestID`).
    /// Roles are the server's to check.
    public static func validate(_ request: Request) throws(ProtocolError) -> VerbSpec {
        guard let spec = byVerb[request.verb] else {
            var message = "unknown verb \(request.verb); HELP lists the verbs"
            if let first = request.verb.split(separator: " ").first, byVerb[String(first)] != nil {
                message = "unknown verb \(request.verb): \(first) takes only key=value arguments"
            }
            throw ProtocolError(.unknownVerb, message, tag: request.tag)
        }
        for field in request.args where !spec.accepts(field.key) {
            throw request.badArg(field.key, "unknown key for \(spec.verb)")
        }
        for key in spec.required where !request.has(key) {
            throw request.badArg(key, "required")
        }
        // PostgreSQL text cannot hold NUL, so no value may carry one (`\x00`).
        for field in request.args where field.value.utf8.contains(0) {
            throw request.badArg(field.key, "must not contain NUL")
        }
        if let idem = request["idem"] {
            try RequestID.validate(idem, request: request)
        }
        return spec
    }
}

/// The rule for `idem=` request ids (docs/PROTOCOL.md §9), checked once for every verb
/// before anything runs: 1–128 Unicode code points. Code points are what PostgreSQL's
/// `length()` counts (the request table's CHECK), so an id the parser accepts is one the
/// database stores: 64 flag emoji are 128 code points, 65 are 130, whatever a screen
/// shows as "characters".
public enum RequestID {
    /// Longest id, in Unicode code points.
    public static let maxCodePoints = 128

    static func validate(_ id: String, request: Request) throws(ProtocolError) {
        if id.isEmpty { throw request.badArg("idem", "empty request id") }
        let count = id.unicodeScalars.count
        if count > maxCodePoints {
            throw request.badArg("idem", "request id of \(count) code points; at most \(maxCodePoints)")
        }
    }
}
