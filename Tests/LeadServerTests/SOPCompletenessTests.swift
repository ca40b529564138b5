import Foundation
import LeadProtocol
import LeadServer
import LeadStore
import LeadTesting
import Postgres
import Testing

/// Issue 15 over real sockets on a real PostgreSQL: the catalogue verbs (and the re-tiering
/// they cause), LEADS (All Leads), ESCALATION RESOLVE, and CONVERT's completeness (city
/// against pincode, accessories, the slot window, `consent=maybe`, `payment=cash`).
@Suite("SOP completeness: catalogue, LEADS, escalations, CONVERT")
struct SOPCompletenessTests {
    func rows(_ reply: [String]) -> [String] {
        Array(reply.dropFirst().dropLast())
    }

    /// A floor with teams north and south, an admin, team leads, a senior and a junior.
    func makeTwoTeams() async throws -> Floor {
        let floor = try await makeFloor()
        try floor.team("south")
        try floor.agent("root", team: "north", role: "admin")
        try floor.agent("lead-n", team: "north", role: "team_lead")
        try floor.agent("lead-s", team: "south", role: "team_lead")
        try floor.agent("asha", team: "north", role: "senior", capacity: 5)
        try floor.agent("vik", team: "north", capacity: 5)
        try floor.agent("sam", team: "south", capacity: 5)
        return floor
    }

    // MARK: claim order

    /// SOP 000 (High Ends first) is the default; `TEAM SET claim_order=not_called_first`
    /// makes a CLAIM without `view=` take a Not Called lead first (SOP 001), then the
    /// usual order; the change is audited and bad values are BAD_ARG.
    @Test func notCalledFirstIsATeamSetting() async throws {
        let floor = try await makeTwoTeams()
        let notCalled = try floor.lead(team: "north", createdAt: floor.ago(900))
        let highEnd = try floor.lead(team: "north", highEnd: true, createdAt: floor.ago(300))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let asha = try await server.login("asha")
        let leadN = try await server.login("lead-n")
        #expect(value(try await asha.call("CLAIM").first, "lead") == String(highEnd), "High Ends first by default")

        let set = try await leadN.call("TEAM SET claim_order=not_called_first")
        #expect(value(set.first, "claim_order") == "not_called_first", "\(set)")
        let laterHighEnd = try floor.lead(team: "north", highEnd: true, createdAt: floor.ago(60))
        let first = try await asha.call("CLAIM")
        #expect(value(first.first, "lead") == String(notCalled) && value(first.first, "view") == "not_called", "\(first)")
        #expect(value(try await asha.call("CLAIM").first, "lead") == String(laterHighEnd), "then the usual order")
        #expect(value(try await asha.call("CLAIM view=high_end").first, "lead") == nil, "nothing left")

        #expect(code(try await leadN.call("TEAM SET claim_order=sideways").first) == "BAD_ARG")
        #expect(code(try await leadN.call("TEAM SET team=south claim_order=not_called_first").first) == "DENIED")
        let audit = rows(try await leadN.call("AUDIT limit=1"))
        #expect(value(audit.first, "action") == "team_set" && value(audit.first, "details")?.contains("not_called_first") == true)
        #expect(try await leadN.call("TEAM SET claim_order=high_end_first").first?.contains("claim_order=high_end_first") == true)
    }

    // MARK: catalogue

    /// HIGHEND ADD puts a device on the High End list and re-tiers its open leads at once
    /// (a junior no longer gets them, a senior gets them as high_end), matching case and
    /// white space insensitively; one audit row with the count. HIGHEND RETIRE undoes it.
    /// Idempotent: a second ADD changes nothing and re-tiers nothing.
    @Test func highEndListChangesReTierOpenLeads() async throws {
        let floor = try await makeTwoTeams()
        let a54 = try floor.lead(team: "north", createdAt: floor.ago(600))
        let other = try floor.lead(team: "south", createdAt: floor.ago(500))
        let closed = try floor.lead(team: "north", createdAt: floor.ago(400))
        _ = try floor.query("UPDATE leads SET state = 'closed', outcome = 'wrong_number', tier = NULL WHERE id = $1::bigint", [closed])
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let root = try await server.login("root")

        let added = try await root.call(#"HIGHEND ADD category=PHONE brand=" samsung " model="galaxy  a54" variant=128gb"#)
        #expect(value(added.first, "created") == "0", "\(added)")
        #expect(value(added.first, "high_end") == "1")
        #expect(value(added.first, "model") == "Galaxy A54", "the catalogue keeps its spelling")
        #expect(value(added.first, "retiered") == "2", "both teams' open leads, not the closed one: \(added)")
        let tiers = try floor.query("SELECT id, high_end, tier FROM leads ORDER BY id").rows
        #expect(tiers.map { $0.bool("high_end") } == [true, true, false])
        #expect(tiers.map { $0.int("tier") } == [1, 1, nil])
        let again = try await root.call("HIGHEND ADD category=phone brand=Samsung model=\"Galaxy A54\" variant=128GB")
        #expect(value(again.first, "retiered") == "0")
        let audit = try floor.query("SELECT action, leads_retiered, actor_agent_id IS NOT NULL AS by_agent FROM catalogue_changes ORDER BY id").rows
        #expect(audit.map { $0["action"] } == ["high_end_add"], "the no-op is not audited")
        #expect(audit.first?.int("leads_retiered") == 2 && audit.first?.bool("by_agent") == true)

        // A junior gets nothing now; a senior gets the lead as a High End.
        let vik = try await server.login("vik")
        #expect(code(try await vik.call("CLAIM").first) == "EMPTY")
        let asha = try await server.login("asha")
        let claim = try await asha.call("CLAIM")
        #expect(value(claim.first, "lead") == String(a54) && value(claim.first, "view") == "high_end", "\(claim)")
        #expect(value(try await asha.call("LEAD SHOW lead=\(other)").first, "lead") == nil, "another team's lead: DENIED")

        // Off the list again: the unheld lead goes back to Not Called, the held one keeps no
        // tier until it is released.
        let retired = try await root.call("HIGHEND RETIRE category=phone brand=Samsung model=\"Galaxy A54\" variant=128GB")
        #expect(value(retired.first, "high_end") == "0" && value(retired.first, "retiered") == "2", "\(retired)")
        let after = try floor.query("SELECT id, high_end, tier FROM leads WHERE id = ANY($1::bigint[]) ORDER BY id", [[a54, other]]).rows
        #expect(after.map { $0.bool("high_end") } == [false, false])
        #expect(after.map { $0.int("tier") } == [nil, 2])
        #expect(value(try await vik.call("CLAIM").first, "lead") == nil, "vik is in north; the south lead is not his")
    }

    /// DEVICE ADD creates (or sets flags), DEVICE RETIRE marks a device not supported (CONVERT
    /// then refuses it), PINCODE ADD / RETIRE change coverage; bad input and team leads are
    /// refused with their codes.
    @Test func devicesAndPincodesAreAdminVerbs() async throws {
        let floor = try await makeTwoTeams()
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let root = try await server.login("root")
        let lead = try await server.login("lead-n")

        #expect(code(try await lead.call("DEVICE ADD category=phone brand=Apple model=\"iPhone 16\" variant=128GB").first) == "DENIED",
                "the catalogue is every team's: admins only")
        #expect(code(try await lead.call("PINCODE ADD pincode=411001 category=phone city=Pune").first) == "DENIED")

        let created = try await root.call("DEVICE ADD category=phone brand=Apple model=\"iPhone 16\" variant=128GB high_end=1")
        #expect(value(created.first, "created") == "1" && value(created.first, "high_end") == "1"
                && value(created.first, "supported") == "1", "\(created)")
        let same = try await root.call("DEVICE ADD category=Phone brand=APPLE model=\"iphone 16\" variant=\"128gb \"")
        #expect(value(same.first, "created") == "0" && value(same.first, "device") == value(created.first, "device"), "\(same)")
        #expect(value(same.first, "high_end") == "1", "flags not given are kept")
        let retired = try await root.call("DEVICE RETIRE category=phone brand=Apple model=\"iPhone 16\" variant=128GB")
        #expect(value(retired.first, "supported") == "0", "\(retired)")
        #expect(code(try await root.call("DEVICE RETIRE category=phone brand=Apple model=\"iPhone 99\" variant=128GB").first) == "NOT_FOUND")
        #expect(code(try await root.call("HIGHEND RETIRE category=phone brand=Apple model=\"iPhone 99\" variant=128GB").first) == "NOT_FOUND")
        let blank = try await root.call("DEVICE ADD category=phone brand=\" \" model=x variant=y")
        #expect(code(blank.first) == "BAD_ARG" && blank.first?.contains("brand: required") == true, "\(blank)")
        #expect(code(try await root.call("DEVICE ADD category=phone brand=a model=b variant=c high_end=maybe").first) == "BAD_ARG")
        #expect(try floor.query("SELECT count(*) AS n FROM devices WHERE catalogue_text(model) = 'iphone 16'").first?.int("n") == 1)

        let pune = try await root.call("PINCODE ADD pincode=\"411 001\" category=phone city=Pune")
        #expect(pune == ["OK pincode=411001 category=phone city=Pune created=1"], "\(pune)")
        #expect(try await root.call("PINCODE ADD pincode=411001 category=PHONE city=Pune") == ["OK pincode=411001 category=phone city=Pune created=0"])
        #expect(code(try await root.call("PINCODE ADD pincode=011001 category=phone city=Pune").first) == "BAD_ARG")
        #expect(try await root.call("PINCODE RETIRE pincode=411001 category=phone") == ["OK pincode=411001 category=phone city=Pune retired=1"])
        #expect(code(try await root.call("PINCODE RETIRE pincode=411001 category=phone").first) == "NOT_FOUND")
        let actions = try floor.query("SELECT action FROM catalogue_changes ORDER BY id").rows.map { $0["action"] ?? "" }
        #expect(actions == ["device_add", "device_retire", "pincode_add", "pincode_retire"], "\(actions)")
        let help = try await root.call("HELP verb=\"pincode retire\"")
        #expect(help.count == 3 && value(help[1], "role") == "admin")
    }

    // MARK: LEADS

    /// LEADS lists the team's open leads newest first, filters them, pages with a cursor,
    /// shows the last note, and keeps to LEAD SHOW's team boundary.
    @Test func leadsListsFiltersAndPages() async throws {
        let floor = try await makeTwoTeams()
        var north: [Int64] = []
        for i in 0..<5 {
            north.append(try floor.lead(team: "north", city: i % 2 == 0 ? "Bengaluru" : "Mumbai", pincode: i % 2 == 0 ? "560001" : "400001",
                                        highEnd: i == 4, createdAt: floor.ago(Double(600 - i * 120))))
        }
        let south = try floor.lead(team: "south", createdAt: floor.ago(30))
        // Yesterday (team time), closed.
        let old = try floor.lead(team: "north", createdAt: floor.ago(26 * 3600))
        _ = try floor.query("UPDATE leads SET state = 'closed', outcome = 'wrong_number', tier = NULL WHERE id = $1::bigint", [old])
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let vik = try await server.login("vik")
        let leadN = try await server.login("lead-n")
        #expect(try await leadN.call("NOTE lead=\(north[1]) text=\"asked for a quote comparison\"").first?.hasPrefix("OK") == true)

        // All Leads: open leads of the agent's own team, newest drop-off first.
        let all = try await vik.call("LEADS")
        #expect(all.first == "OK rows=5", "\(all)")
        #expect(rows(all).compactMap { value($0, "lead") } == north.reversed().map { String($0) })
        #expect(rows(all).allSatisfy { value($0, "team") == "north" })
        #expect(value(rows(all).first, "view") == "high_end")
        let noted = rows(all).first { value($0, "lead") == String(north[1]) }
        #expect(value(noted, "last_note") == "asked for a quote comparison" && value(noted, "last_note_by") == "lead-n", "\(noted ?? "")")
        #expect(value(noted, "view") == "callback", "a note ends Not Called")

        // Filters.
        #expect(rows(try await vik.call("LEADS city=\" mumbai \"")).compactMap { value($0, "lead") } == [north[3], north[1]].map { String($0) })
        #expect(rows(try await vik.call("LEADS view=not_called")).count == 3)
        #expect(rows(try await vik.call("LEADS view=high_end category=PHONE brand=apple")).map { value($0, "lead") } == [String(north[4])])
        #expect(rows(try await vik.call("LEADS state=closed")).map { value($0, "lead") } == [String(old)])
        #expect(rows(try await vik.call("LEADS state=all")).count == 6)
        #expect(rows(try await vik.call("LEADS source=TEST")).count == 5)
        #expect(rows(try await vik.call("LEADS campaign=diwali")).isEmpty)
        let today = LocalDayText.of(floor.now)
        let yesterday = LocalDayText.of(floor.ago(86400))
        #expect(rows(try await vik.call("LEADS state=all from=\(today) to=\(today)")).count == 5)
        #expect(rows(try await vik.call("LEADS state=all to=\(yesterday)")).map { value($0, "lead") } == [String(old)])
        #expect(rows(try await vik.call("LEADS breached=1")).isEmpty)
        #expect(rows(try await vik.call("LEADS breached=0")).count == 5)

        // The agent filter: what an agent holds or has in its personal queue.
        #expect(try await leadN.call("ASSIGN lead=\(north[0]) agent=vik") == ["OK lead=\(north[0]) agent=vik"])
        #expect(rows(try await vik.call("LEADS agent=vik")).map { value($0, "lead") } == [String(north[0])])
        #expect(code(try await vik.call("LEADS agent=nobody").first) == "NOT_FOUND")
        #expect(code(try await vik.call("LEADS agent=sam").first) == "DENIED")

        // Paging: two at a time, a cursor in the header, nothing repeated or skipped.
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await vik.call("LEADS rows=2" + (cursor.map { " after=\($0)" } ?? ""))
            seen += rows(page).compactMap { value($0, "lead") }
            cursor = value(page.first, "next")
            #expect(rows(page).count == (cursor == nil ? 1 : 2), "\(page)")
        } while cursor != nil
        #expect(seen == north.reversed().map { String($0) })

        // The team boundary: agents and team leads see their own team; admins every team.
        #expect(code(try await vik.call("LEADS team=south").first) == "DENIED")
        #expect(code(try await leadN.call("LEADS team=south").first) == "DENIED")
        #expect(code(try await vik.call("LEADS team=nowhere").first) == "NOT_FOUND")
        #expect(rows(try await vik.call("LEADS team=north")).count == 5)
        let root = try await server.login("root")
        #expect(rows(try await root.call("LEADS")).count == 6)
        #expect(rows(try await root.call("LEADS team=south")).map { value($0, "lead") } == [String(south)])

        // Bad input.
        for bad in ["LEADS rows=0", "LEADS rows=501", "LEADS from=2026-02-30", "LEADS after=xyz", "LEADS state=done",
                    "LEADS view=all_of_them", "LEADS city=\"\"", "LEADS breached=maybe", "LEADS from=\(today) to=\(yesterday)"] {
            #expect(code(try await vik.call(bad).first) == "BAD_ARG", "\(bad)")
        }
    }

    // MARK: escalations

    /// ESCALATION RESOLVE: a team lead of the lead's team, the target desk or an admin closes
    /// an escalation with a note; ESCALATIONS status=resolved then lists it with who, the
    /// resolution and its age; the lead's history has the event. Refusals: DENIED (a plain
    /// agent, another team's lead), NOTE_REQUIRED, CONFLICT, NOT_FOUND.
    @Test func escalationsClose() async throws {
        let floor = try await makeTwoTeams()
        try floor.team("cxdesk")
        try floor.agent("cx1", team: "cxdesk")
        let c = try floor.connect()
        try AgentDirectory().setDesk(c, team: "cxdesk", desk: .cx)
        c.close()
        let lead = try floor.lead(team: "north", createdAt: floor.ago(600))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let vik = try await server.login("vik")
        let raised = try await vik.call("ESCALATE lead=\(lead) to=pricing summary=\"price dispute\" ask=\"re-quote at 18,500\"")
        let pricing = try #require(value(raised.first, "escalation"))
        let cx = try #require(value(try await vik.call("ESCALATE lead=\(lead) to=cx summary=\"pickup late\" ask=\"call the customer\"").first,
                                    "escalation"))
        // 45 minutes later (connections idle that long are closed: log in again).
        try await server.advance(by: .seconds(45 * 60))
        let vik2 = try await server.login("vik")
        #expect(code(try await vik2.call("ESCALATION RESOLVE escalation=\(pricing) note=done").first) == "DENIED", "a plain agent")
        let leadS = try await server.login("lead-s")
        #expect(code(try await leadS.call("ESCALATION RESOLVE escalation=\(pricing) note=done").first) == "DENIED", "another team")
        let leadN = try await server.login("lead-n")
        #expect(code(try await leadN.call("ESCALATION RESOLVE escalation=\(pricing)").first) == "NOTE_REQUIRED")
        #expect(code(try await leadN.call("ESCALATION RESOLVE escalation=\(pricing) note=\"  \"").first) == "NOTE_REQUIRED")
        #expect(code(try await leadN.call("ESCALATION RESOLVE escalation=999999 note=x").first) == "NOT_FOUND")
        let resolved = try await leadN.call("ESCALATION RESOLVE escalation=\(pricing) note=\"re-quoted at 18,500; customer agreed\" idem=r1")
        #expect(value(resolved.first, "status") == "resolved" && value(resolved.first, "resolved_by") == "lead-n", "\(resolved)")
        #expect(value(resolved.first, "age_minutes") == "45")
        #expect(try await leadN.call("ESCALATION RESOLVE escalation=\(pricing) note=\"re-quoted at 18,500; customer agreed\" idem=r1") == resolved,
                "a retry with the same idem gets the first reply")
        #expect(code(try await leadN.call("ESCALATION RESOLVE escalation=\(pricing) note=again").first) == "CONFLICT")

        // The CX desk (another team) sees and resolves what was sent to it, not the rest.
        let cx1 = try await server.login("cx1")
        let deskList = rows(try await cx1.call("ESCALATIONS"))
        #expect(deskList.map { value($0, "escalation") } == [cx], "\(deskList)")
        #expect(value(deskList.first, "age_minutes") == "45" && value(deskList.first, "status") == "open")
        #expect(code(try await cx1.call("ESCALATION RESOLVE escalation=\(pricing) note=x").first) == "DENIED")
        #expect(code(try await cx1.call("LEAD SHOW lead=\(lead)").first) == "DENIED", "the desk sees escalations, not the team's leads")
        #expect(code(try await cx1.call("LEADS team=north").first) == "DENIED")
        // One team per desk.
        let other = try floor.connect()
        defer { other.close() }
        #expect(throws: AgentDirectory.Failure.invalid("another team is already the cx desk")) {
            try AgentDirectory().setDesk(other, team: "south", desk: .cx)
        }
        #expect(throws: AgentDirectory.Failure.notFound("team nowhere")) {
            try AgentDirectory().setDesk(other, team: "nowhere", desk: .ops)
        }
        try await server.advance(by: .seconds(15 * 60))
        let cx1again = try await server.login("cx1")
        #expect(value(try await cx1again.call("ESCALATION RESOLVE escalation=\(cx) note=\"called, pickup moved to 4 PM\"").first, "age_minutes") == "60")

        let vik3 = try await server.login("vik")
        let done = rows(try await vik3.call("ESCALATIONS status=resolved"))
        #expect(done.count == 2)
        let row = done.first { value($0, "escalation") == pricing }
        #expect(value(row, "resolution") == "re-quoted at 18,500; customer agreed" && value(row, "resolved_by") == "lead-n")
        #expect(value(row, "resolved_at") != nil && value(row, "age_minutes") == "45")
        #expect(rows(try await vik3.call("ESCALATIONS status=open")).isEmpty)
        let history = rows(try await vik3.call("LEAD SHOW lead=\(lead)")).filter { value($0, "kind") == "escalation_resolved" }
        #expect(history.count == 2)
        #expect(value(history.first, "agent") == "lead-n" && value(history.first, "to") == "pricing")
        #expect(value(history.first, "note") == "re-quoted at 18,500; customer agreed")
    }

    // MARK: CONVERT

    func convert(_ lead: Int64, lease: String, _ extra: String, floor: Floor, idem: String) -> String {
        "CONVERT lead=\(lead) lease=\(lease) idem=\(idem) consent=yes price_confirmed=yes category=phone brand=Samsung "
            + "model=\"Galaxy A54\" variant=128GB conditions=screen:ok pincode=560001 address=\"14 CMH Road, Indiranagar\" "
            + "landmark=\"opposite the metro\" slot=\(wireTime(86400, after: floor.now)) payment=upi payment_ref=meena@okaxis \(extra)"
    }

    /// CONVERT checks the city against the pincode (the lead's own city unless `city=` is
    /// given), takes accessories and a slot window, and answers `consent=maybe` and
    /// `payment=cash` with the SOP codes. A refusal writes nothing.
    @Test func convertIsComplete() async throws {
        let floor = try await makeTwoTeams()
        let pune = try floor.lead(team: "north", city: "Pune", pincode: "560001", createdAt: floor.ago(600))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let vik = try await server.login("vik")
        let claim = try await vik.call("CLAIM")
        let lease = try #require(value(claim.first, "lease"))
        #expect(value(claim.first, "lead") == String(pune))

        let maybe = try await vik.call(convert(pune, lease: lease, "", floor: floor, idem: "c1").replacingOccurrences(of: "consent=yes", with: "consent=maybe"))
        #expect(code(maybe.first) == "CONSENT_REQUIRED", "\(maybe)")
        #expect(code(try await vik.call(convert(pune, lease: lease, "", floor: floor, idem: "c1")
            .replacingOccurrences(of: "price_confirmed=yes", with: "price_confirmed=maybe")).first) == "PRICE_NOT_CONFIRMED")
        let cash = try await vik.call(convert(pune, lease: lease, "", floor: floor, idem: "c1").replacingOccurrences(of: "payment=upi", with: "payment=cash"))
        #expect(code(cash.first) == "PAYMENT_REQUIRED" && cash.first?.contains("cash") == true, "\(cash)")

        // A Pune lead with a Bengaluru pincode.
        let mismatch = try await vik.call(convert(pune, lease: lease, "", floor: floor, idem: "c1"))
        #expect(code(mismatch.first) == "PINCODE_CITY_MISMATCH", "\(mismatch)")
        #expect(mismatch.first?.contains("560001 is in Bengaluru, not the lead's city") == true)
        #expect(code(try await vik.call(convert(pune, lease: lease, "city=Mumbai", floor: floor, idem: "c1")).first) == "PINCODE_CITY_MISMATCH")
        #expect(code(try await vik.call(convert(pune, lease: lease, "slot_end=\(wireTime(3600, after: floor.now))", floor: floor, idem: "c1")).first)
                == "SLOT_WINDOW_INVALID")
        #expect(code(try await vik.call(convert(pune, lease: lease, "slot_end=tomorrow", floor: floor, idem: "c1")).first) == "BAD_ARG")
        #expect(try floor.query("SELECT count(*) AS n FROM orders").first?.int("n") == 0, "refusals write nothing")

        // The city confirmed on the call (Bengaluru, any case), accessories and a window.
        let end = wireTime(86400 + 3 * 3600, after: floor.now)
        let ok = try await vik.call(convert(pune, lease: lease, "city=\" bengaluru \" accessories=\"charger, box\" slot_end=\(end)",
                                            floor: floor, idem: "c1"))
        #expect(value(ok.first, "status") == "pending_vendor_assignment", "\(ok)")
        let order = try #require(try floor.query("SELECT city, accessories, pickup_slot, pickup_slot_end FROM orders").first)
        #expect(order["city"] == "bengaluru" && order["accessories"] == "charger,box")
        #expect(order.date("pickup_slot_end").map { Int($0.timeIntervalSince(order.date("pickup_slot")!).rounded()) } == 3 * 3600)
        let event = rows(try await vik.call("LEAD SHOW lead=\(pune)")).first { value($0, "kind") == "converted" }
        #expect(value(event, "order") != nil)
    }

    /// Without slot_end the window is two hours; without accessories none are recorded; a
    /// lead whose city matches its pincode needs no `city=`.
    @Test func convertDefaults() async throws {
        let floor = try await makeTwoTeams()
        let lead = try floor.lead(team: "north", createdAt: floor.ago(600))
        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock)
        let vik = try await server.login("vik")
        let lease = try #require(value(try await vik.call("CLAIM").first, "lease"))
        let ok = try await vik.call(convert(lead, lease: lease, "", floor: floor, idem: "d1"))
        #expect(value(ok.first, "order") != nil, "\(ok)")
        let order = try #require(try floor.query("SELECT city, accessories, pickup_slot, pickup_slot_end FROM orders").first)
        #expect(order["city"] == "Bengaluru" && order["accessories"] == nil)
        #expect(order.date("pickup_slot_end").map { Int($0.timeIntervalSince(order.date("pickup_slot")!).rounded()) } == 2 * 3600)
    }
}

/// `YYYY-MM-DD` of a time on the test teams' clock (Asia/Kolkata).
enum LocalDayText {
    static func of(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "Asia/Kolkata")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }
}
