import Foundation
import LeadCore
import LeadProtocol
import LeadStore

/// Every success reply's fields, in one place: the store returns typed values and this
/// writes them as docs/PROTOCOL.md §11 and §12 list them, in that order (a value that is
/// absent is left out, never sent empty). `RepliesTests` holds each single-line reply to
/// the `Reply:` line of its verb in PROTOCOL.md.
///
/// It exists so a reply is changed in one file, next to its siblings, and not in the store
/// that happened to compute it. `Reply` (LeadProtocol) then frames the line.
public enum Replies {
    // MARK: leases

    /// CLAIM's reply and one MINE row: `lead lease view due`, then §11 without `holder` and
    /// `held_until` (the caller is the holder).
    public static func claimed(_ lead: ClaimedLead) -> [Field] {
        [Field("lead", Int(lead.id)), Field("lease", Int(lead.lease)), Field("view", lead.view), Field("due", lead.leaseExpiresAt)]
            + leadFields(lead.fields, holder: false)
    }

    /// One MINE row: as CLAIM.
    public static func held(_ card: LeadCard) -> [Field] {
        var out = [Field("lead", Int(card.id))]
        if let lease = card.lease { out.append(Field("lease", Int(lease))) }
        out.append(Field("view", card.view))
        if let due = card.leaseExpiresAt { out.append(Field("due", due)) }
        return out + leadFields(card.fields, holder: false)
    }

    /// TOUCH: `lead lease due`.
    public static func touched(lead: Int64, lease: Int64, due: Date) -> [Field] {
        [Field("lead", Int(lead)), Field("lease", Int(lease)), Field("due", due)]
    }

    /// RELEASE: `lead state`.
    public static func released(_ r: ReleaseResult) -> [Field] {
        [Field("lead", Int(r.lead)), Field("state", r.state)]
    }

    // MARK: calls

    /// DISPOSE: `lead code state [next_at] [outcome]`.
    public static func disposed(_ r: DispositionResult) -> [Field] {
        var out = [Field("lead", Int(r.lead)), Field("code", r.disposition), Field("state", r.state)]
        if let next = r.nextAt { out.append(Field("next_at", next)) }
        if let outcome = r.outcome { out.append(Field("outcome", outcome)) }
        return out
    }

    /// CONVERT: `lead order status state outcome` (the lead closes as create_order).
    public static func converted(_ r: OrderResult) -> [Field] {
        [Field("lead", Int(r.lead)), Field("order", Int(r.order)), Field("status", r.status), Field("state", "closed"),
         Field("outcome", Disposition.createOrder.rawValue)]
    }

    /// CANCEL: `order lead status`.
    public static func cancelled(_ r: OrderResult) -> [Field] {
        [Field("order", Int(r.order)), Field("lead", Int(r.lead)), Field("status", r.status)]
    }

    /// NOTE: `lead event`.
    public static func noted(_ r: NoteResult) -> [Field] {
        [Field("lead", Int(r.lead)), Field("event", Int(r.event))]
    }

    /// ESCALATE: `lead escalation to status`.
    public static func escalated(_ e: Escalation) -> [Field] {
        [Field("lead", Int(e.lead)), Field("escalation", Int(e.id)), Field("to", e.target), Field("status", e.status)]
    }

    /// One ROW of ESCALATIONS: `escalation lead to status agent time summary ask
    /// [resolved_at] [resolved_by] [resolution] [age_minutes]`.
    public static func escalation(_ e: Escalation) -> [Field] {
        var out = [Field("escalation", Int(e.id)), Field("lead", Int(e.lead)), Field("to", e.target), Field("status", e.status),
                   Field("agent", e.agentName), Field("time", e.createdAt), Field("summary", e.summary), Field("ask", e.ask)]
        if let at = e.resolvedAt { out.append(Field("resolved_at", at)) }
        if let by = e.resolvedBy { out.append(Field("resolved_by", by)) }
        if let resolution = e.resolution { out.append(Field("resolution", resolution)) }
        if let age = e.ageMinutes { out.append(Field("age_minutes", age)) }
        return out
    }

    /// ESCALATION RESOLVE: `escalation lead to status resolved_at resolved_by age_minutes`.
    public static func resolved(_ e: Escalation) -> [Field] {
        var out = [Field("escalation", Int(e.id)), Field("lead", Int(e.lead)), Field("to", e.target), Field("status", e.status)]
        if let at = e.resolvedAt { out.append(Field("resolved_at", at)) }
        if let by = e.resolvedBy { out.append(Field("resolved_by", by)) }
        if let age = e.ageMinutes { out.append(Field("age_minutes", age)) }
        return out
    }

    // MARK: leads

    /// LEAD ADD: `lead created high_end state`.
    public static func added(_ a: LeadIntakeStore.Added) -> [Field] {
        [Field("lead", Int(a.lead)), Field("created", a.created), Field("high_end", a.highEnd), Field("state", a.state)]
    }

    /// LEAD SHOW's header: `lead`, then every §11 field (a lease token is never shown here).
    public static func leadShow(_ h: LeadHistory) -> [Field] {
        [Field("lead", Int(h.id))] + leadFields(h.fields, holder: true)
    }

    /// Event kinds whose LEAD SHOW row shows the lease token.
    static let leaseKinds: Set<String> = ["claimed", "touched", "released", "expired", "revoked"]

    /// One LEAD SHOW row: `event kind time [agent] [code] [reason] [note] [lease] [next_at]
    /// [to] [order] [from] [signal] [boost_until] [force]`; fields that do not apply are left out.
    public static func event(_ e: LeadEvent) -> [Field] {
        var out = [Field("event", Int(e.id)), Field("kind", e.kind), Field("time", e.at)]
        if let agent = e.agent { out.append(Field("agent", agent)) }
        if let code = e.disposition { out.append(Field("code", code)) }
        if let reason = e.reason { out.append(Field("reason", reason)) }
        if let note = e.note { out.append(Field("note", note)) }
        if let lease = e.lease, leaseKinds.contains(e.kind) { out.append(Field("lease", Int(lease))) }
        if let next = e.nextAt { out.append(Field("next_at", next)) }
        if let to = e.to { out.append(Field("to", to)) }
        if let order = e.order { out.append(Field("order", Int(order))) }
        if let from = e.from { out.append(Field("from", from)) }
        if let signal = e.signal { out.append(Field("signal", signal)) }
        if let until = e.boostUntil { out.append(Field("boost_until", until)) }
        if e.forced { out.append(Field("force", "1")) }
        return out
    }

    /// One LEADS row: `lead [view]`, the §11 fields, then `[last_note] [last_note_at]
    /// [last_note_by]`.
    public static func listed(_ row: LeadListRow) -> [Field] {
        var out = [Field("lead", Int(row.id))]
        if let view = row.view { out.append(Field("view", view)) }
        out += leadFields(row.fields, holder: true)
        if let note = row.lastNote { out.append(Field("last_note", note)) }
        if let at = row.lastNoteAt { out.append(Field("last_note_at", at)) }
        if let by = row.lastNoteBy { out.append(Field("last_note_by", by)) }
        return out
    }

    /// The lead fields of docs/PROTOCOL.md §11 after `lead`, in its order. `holder: false`
    /// leaves out `holder` and `held_until` (CLAIM, MINE: the caller holds it).
    public static func leadFields(_ f: LeadFieldValues, holder: Bool) -> [Field] {
        var out: [Field] = []
        func text(_ key: String, _ value: String?) { if let value { out.append(Field(key, value)) } }
        func time(_ key: String, _ value: Date?) { if let value { out.append(Field(key, value)) } }
        func flag(_ key: String, _ value: Bool?) { if let value { out.append(Field(key, value)) } }
        func number(_ key: String, _ value: Int64?) { if let value { out.append(Field(key, String(value))) } }
        text("team", f.team); text("phone", f.phone); text("name", f.name); text("city", f.city); text("pincode", f.pincode)
        text("language", f.language); text("category", f.category); text("brand", f.brand); text("model", f.model)
        text("variant", f.variant); text("conditions", f.conditions); number("price", f.price)
        text("source", f.source); text("campaign", f.campaign); time("created_at", f.createdAt); flag("high_end", f.highEnd)
        text("state", f.state); text("outcome", f.outcome); time("next_at", f.nextAt); text("callback_agent", f.callbackAgent)
        number("attempts", f.attempts.map(Int64.init)); number("attempts_today", f.attemptsToday.map(Int64.init))
        text("last_code", f.lastCode); flag("starred", f.starred); time("boost_until", f.boostUntil); text("assigned", f.assigned)
        if holder { text("holder", f.holder); time("held_until", f.heldUntil) }
        time("sla_due_at", f.slaDueAt); flag("sla_breached", f.slaBreached); number("order", f.order)
        return out
    }

    // MARK: the floor (team leads)

    /// ASSIGN: `lead agent [revoked]`.
    public static func assigned(_ r: AssignResult) -> [Field] {
        var out = [Field("lead", Int(r.lead)), Field("agent", r.agent)]
        if let revoked = r.revoked { out.append(Field("revoked", revoked)) }
        return out
    }

    /// MOVE: `moved skipped skipped_held skipped_not_skilled revoked`.
    public static func moved(_ r: MoveResult) -> [Field] {
        [Field("moved", r.moved), Field("skipped", r.skipped), Field("skipped_held", r.skippedHeld),
         Field("skipped_not_skilled", r.skippedNotSkilled), Field("revoked", r.revoked)]
    }

    /// PAUSE, RESUME, DRAIN: `agent status [returned]`.
    public static func agentStatus(_ r: AgentStatusResult) -> [Field] {
        var out = [Field("agent", r.agent), Field("status", r.status.rawValue)]
        if let returned = r.returned { out.append(Field("returned", returned)) }
        return out
    }

    /// AGENT SET: `agent team role status senior capacity cities devices languages` (an
    /// empty list is `""`).
    public static func agentSettings(_ s: AgentSettings) -> [Field] {
        [Field("agent", s.agent), Field("team", s.team), Field("role", s.role), Field("status", s.status), Field("senior", s.senior),
         Field("capacity", s.capacity), Field("cities", s.cities.joined(separator: ",")),
         Field("devices", s.devices.joined(separator: ",")), Field("languages", s.languages.joined(separator: ","))]
    }

    /// STAR, UNSTAR: `count`.
    public static func starred(count: Int) -> [Field] { [Field("count", count)] }

    /// SIGNAL: `lead kind boost_until [assigned]`.
    public static func signalled(_ r: SignalResult) -> [Field] {
        var out = [Field("lead", Int(r.lead)), Field("kind", r.kind.rawValue), Field("boost_until", r.boostUntil)]
        if let assigned = r.assigned { out.append(Field("assigned", assigned)) }
        return out
    }

    /// TEAM SET (and `leadline team set`): `team time_zone starred_mode [shift_end]
    /// junior_high_ends [account_manager]`, the call rules, `claim_order`.
    public static func teamSettings(_ s: TeamSettings) -> [Field] {
        var out = [Field("team", s.team), Field("time_zone", s.timeZone), Field("starred_mode", s.starredMode)]
        if let shiftEnd = s.shiftEnd { out.append(Field("shift_end", shiftEnd)) }
        out.append(Field("junior_high_ends", s.juniorHighEnds))
        if let manager = s.accountManager { out.append(Field("account_manager", manager)) }
        return out + s.rules.map { Field($0.0, $0.1) } + [Field("claim_order", s.claimOrder)]
    }

    /// One QUEUES row: the fields of the spec's row first (view rows `team view ready
    /// breached [oldest_at]`; the `all` row `team view open held scheduled breached`), then
    /// the rest, so every row carries every count.
    public static func queue(_ q: QueueRow) -> [Field] {
        var out = [Field("team", q.team), Field("view", q.view)]
        var rest: [Field] = []
        let oldest = q.oldestAt.map { [Field("oldest_at", $0)] } ?? []
        if q.view == "all" {
            out += [Field("open", q.open), Field("held", q.held), Field("scheduled", q.scheduled), Field("breached", q.breached)]
            rest = [Field("ready", q.ready)] + oldest
        } else {
            out += [Field("ready", q.ready), Field("breached", q.breached)] + oldest
            rest = [Field("open", q.open), Field("held", q.held), Field("scheduled", q.scheduled)]
        }
        rest.append(Field("claimable", q.claimable))
        if let age = q.oldestAge { rest.append(Field("oldest_age", age)) }
        rest += [Field("breaches_today", q.breachesToday), Field("callbacks_next_hour", q.callbacksNextHour),
                 Field("callbacks_overdue", q.callbacksOverdue)]
        return out + rest
    }

    /// One AGENTS row: the spec's row (`agent team role status senior capacity holding
    /// assigned cities devices languages`), then `[leads] [held_since] claims_today
    /// calls_today conversions_today`.
    public static func agent(_ a: AgentRow) -> [Field] {
        let s = a.settings
        var out = [Field("agent", s.agent), Field("team", s.team), Field("role", s.role), Field("status", s.status),
                   Field("senior", s.senior), Field("capacity", s.capacity), Field("holding", a.holding), Field("assigned", a.assigned),
                   Field("cities", s.cities.joined(separator: ",")), Field("devices", s.devices.joined(separator: ",")),
                   Field("languages", s.languages.joined(separator: ","))]
        if !a.heldLeads.isEmpty { out.append(Field("leads", a.heldLeads.map(String.init).joined(separator: ","))) }
        if let since = a.heldSince { out.append(Field("held_since", since)) }
        out += [Field("claims_today", a.claimsToday), Field("calls_today", a.callsToday), Field("conversions_today", a.conversionsToday)]
        return out
    }

    /// One AUDIT row: `id time team [by] action [agent] leads forced details [note]`.
    public static func audit(_ r: FloorActionRecord) -> [Field] {
        var out = [Field("id", Int(r.id)), Field("time", r.at), Field("team", r.team)]
        if let actor = r.actor { out.append(Field("by", actor)) }
        out.append(Field("action", r.action))
        if let agent = r.agent { out.append(Field("agent", agent)) }
        out += [Field("leads", r.leads), Field("forced", r.forced), Field("details", r.details)]
        if let note = r.note { out.append(Field("note", note)) }
        return out
    }

    // MARK: the catalogue (admins)

    /// DEVICE ADD, DEVICE RETIRE, HIGHEND ADD, HIGHEND RETIRE: `device category brand model
    /// variant high_end supported created retiered`.
    public static func device(_ d: DeviceChange) -> [Field] {
        [Field("device", Int(d.id)), Field("category", d.category), Field("brand", d.brand), Field("model", d.model),
         Field("variant", d.variant), Field("high_end", d.highEnd), Field("supported", d.supported), Field("created", d.created),
         Field("retiered", d.retiered)]
    }

    /// PINCODE ADD (`pincode category city created`) and PINCODE RETIRE (`pincode category
    /// city retired=1`).
    public static func pincode(_ p: PincodeChange) -> [Field] {
        var out = [Field("pincode", p.pincode), Field("category", p.category), Field("city", p.city)]
        if p.retired { out.append(Field("retired", "1")) } else { out.append(Field("created", p.created)) }
        return out
    }

    // MARK: the session

    /// AUTH: `agent role team`.
    public static func loggedIn(_ identity: AgentDirectory.Identity) -> [Field] {
        [Field("agent", identity.name), Field("role", identity.role), Field("team", identity.team)]
    }

    /// PING: `time`.
    public static func pong(_ now: Date) -> [Field] { [Field("time", now)] }
}
