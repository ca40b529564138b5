import Foundation
import LeadCore
import LeadServer
import LeadTesting
import Testing

@Suite("Every error code")
struct ErrorCodeTests {
    /// Walks one floor through every wire error code (docs/PROTOCOL.md §13) over real
    /// sockets, and checks that nothing in `ErrorCode` was missed.
    @Test func everyErrorCode() async throws {
        let floor = try await makeFloor()
        let utcHour = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: floor.now).hour!
        try floor.team("inwin", timeZone: Self.zone(localHour: 12, utcHour: utcHour))
        try floor.team("outwin", timeZone: Self.zone(localHour: 3, utcHour: utcHour))
        try floor.agent("asha", team: "north", role: "senior")
        try floor.agent("ravi", team: "north")
        try floor.agent("pausa", team: "north", status: "paused")
        try floor.agent("maya", team: "inwin", role: "senior")
        try floor.agent("omar", team: "outwin", role: "senior")
        let l1 = try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-300))
        let l2 = try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-200))
        try floor.lead(team: "inwin", createdAt: floor.now.addingTimeInterval(-100))
        try floor.lead(team: "outwin", createdAt: floor.now.addingTimeInterval(-100))

        var seen = Set<String>()
        func expect(_ reply: [String], _ wanted: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let got = code(reply.first)
            #expect(got == wanted, "\(reply)", sourceLocation: sourceLocation)
            if let got { seen.insert(got) }
        }

        let server = try await TestServer.start(conninfo: floor.conninfo, clock: floor.clock) { $0.maxLineLength = 1024 }
        let asha = try await server.connect()
        expect(try await asha.call(#"#x NOTE text="oops"#), "BAD_FORMAT")
        expect(try await asha.call("CLAIM colour=red"), "BAD_ARG")
        expect(try await asha.call("FLY"), "UNKNOWN_VERB")
        expect(try await asha.call("MINE"), "NOAUTH")
        expect(try await asha.call("AUTH agent=asha token=nope"), "AUTH_FAILED")
        #expect(try await asha.call("AUTH agent=asha token=secret").first?.hasPrefix("OK") == true)
        expect(try await asha.call("CANCEL order=1 reason=x"), "DENIED")

        try await asha.sendRaw(Array("CLAIM wait=1\nCLAIM wait=1\n".utf8))
        let claimed = try await asha.reply()
        #expect(value(claimed.first, "lead") == String(l1))
        let lease = try #require(value(claimed.first, "lease"))
        expect(try await asha.reply(), "BUSY")
        expect(try await asha.call("CLAIM"), "AT_CAPACITY")
        expect(try await asha.call("TOUCH lead=999999 lease=1"), "NOT_FOUND")
        expect(try await asha.call("TOUCH lead=\(l1) lease=\(Int(lease)! + 5)"), "LEASE_LOST")

        let ravi = try await server.login("ravi")
        expect(try await ravi.call("CLAIM view=callback"), "EMPTY")
        expect(try await ravi.call("NOTE lead=\(l1) text=\"checking in\""), "LEASE_HELD")

        let held = "lead=\(l1) lease=\(lease)"
        expect(try await asha.call("DISPOSE \(held) code=not_interested"), "NOTE_REQUIRED")
        expect(try await asha.call("DISPOSE \(held) code=not_interested note=\"price too low for her\""), "REASON_REQUIRED")
        expect(try await asha.call("DISPOSE \(held) code=callback note=\"call later\""), "CALLBACK_TIME_REQUIRED")
        expect(try await asha.call("DISPOSE \(held) code=callback note=\"call later\" at=\(wireTime(-3600, after: floor.now))"), "CALLBACK_IN_PAST")
        expect(try await asha.call("DISPOSE \(held) code=callback note=\"call later\" at=\(wireTime(30 * 86_400, after: floor.now))"), "CALLBACK_TOO_FAR")

        expect(try await asha.call("CONVERT \(held)"), "IDEM_REQUIRED")
        var order = "CONVERT \(held) idem=c1"
        expect(try await asha.call(order), "CONSENT_REQUIRED")
        order += " consent=yes"
        expect(try await asha.call(order), "PRICE_NOT_CONFIRMED")
        order += " price_confirmed=yes"
        expect(try await asha.call(order), "DEVICE_REQUIRED")
        let device = #" category=phone brand=Samsung model="Galaxy A54" variant=128GB"#
        order += device
        expect(try await asha.call(order), "CONDITIONS_REQUIRED")
        order += " conditions=screen:ok,body:ok"
        expect(try await asha.call(order), "PINCODE_REQUIRED")
        expect(try await asha.call(order + " pincode=110001"), "ADDRESS_REQUIRED")
        order += #" address="14 CMH Road, Indiranagar""#
        expect(try await asha.call(order + " pincode=560001"), "LANDMARK_REQUIRED")
        order += #" landmark="opposite the metro""#
        expect(try await asha.call(order + " pincode=560001"), "SLOT_REQUIRED")
        expect(try await asha.call(order + " pincode=560001 slot=\(wireTime(-3600, after: floor.now))"), "SLOT_IN_PAST")
        expect(try await asha.call(order + " pincode=560001 slot=\(wireTime(30 * 86_400, after: floor.now))"), "SLOT_TOO_FAR")
        order += " slot=\(wireTime(86_400, after: floor.now))"
        expect(try await asha.call(order + " pincode=560001 slot_end=\(wireTime(3_600, after: floor.now))"), "SLOT_WINDOW_INVALID")
        expect(try await asha.call(order + " pincode=560001"), "PAYMENT_REQUIRED")
        order += " payment=upi payment_ref=meena@okaxis"
        expect(try await asha.call(order + " pincode=400001"), "PINCODE_CITY_MISMATCH")
        expect(try await asha.call(order + " pincode=110001"), "NOT_SERVICEABLE")
        let unsupported = order.replacingOccurrences(of: device, with: " category=phone brand=Nokia model=3310 variant=basic")
        expect(try await asha.call(unsupported + " pincode=560001"), "DEVICE_NOT_SUPPORTED")
        let done = try await asha.call(order + " pincode=560001")
        #expect(value(done.first, "status") == "pending_vendor_assignment", "\(done)")
        expect(try await asha.call(order.replacingOccurrences(of: "idem=c1", with: "idem=c2") + " pincode=560001"), "ALREADY_CONVERTED")
        expect(try await asha.call(order + " pincode=560001 note=\"changed my mind\""), "CONFLICT")

        let paused = try await server.login("pausa")
        expect(try await paused.call("CLAIM"), "AGENT_NOT_ACTIVE")

        // The Not Connected cadence: the attempts of the day, and the calling window.
        let maya = try await server.login("maya")
        let mayaLead = try await maya.call("CLAIM")
        let mayaID = try #require(value(mayaLead.first, "lead"))
        _ = try floor.query("""
            UPDATE leads l SET attempts = 3, attempts_today = 3, attempts_day = ($2::timestamptz AT TIME ZONE t.time_zone)::date,
                   first_attempt_at = $2::timestamptz - interval '5 hours', last_attempt_at = $2::timestamptz - interval '3 hours',
                   unanswered_since = $2::timestamptz - interval '5 hours'
            FROM teams t WHERE t.id = l.team_id AND l.id = $1::bigint
            """, [Int64(mayaID)!, floor.now])
        expect(try await maya.call("DISPOSE lead=\(mayaID) lease=\(value(mayaLead.first, "lease")!) code=not_reachable note=\"rang out, no answer\""),
               "ATTEMPT_LIMIT")
        let omar = try await server.login("omar")
        let omarLead = try await omar.call("CLAIM")
        expect(try await omar.call("DISPOSE lead=\(value(omarLead.first, "lead")!) lease=\(value(omarLead.first, "lease")!) code=not_reachable note=\"switched off\""),
               "OUTSIDE_CALL_WINDOW")

        // A lost database table is an unexpected server error, and the connection stays usable.
        let second = try await asha.call("CLAIM")
        #expect(value(second.first, "lead") == String(l2), "\(second)")
        _ = try floor.query("ALTER TABLE escalations RENAME TO escalations_elsewhere")
        expect(try await asha.call("ESCALATIONS"), "INTERNAL")
        _ = try floor.query("ALTER TABLE escalations_elsewhere RENAME TO escalations")
        #expect(try await asha.call("ESCALATIONS") == ["OK rows=0", "END"])

        let long = try await server.connect()
        try await long.sendRaw(Array(String(repeating: "P", count: 2000).utf8) + [0x0A])
        expect([try await long.line() ?? ""], "LINE_TOO_LONG")

        // A team lead assigning a Bengaluru lead to a Pune-only agent.
        try floor.agent("tl", team: "north", role: "team_lead")
        try floor.agent("punekar", team: "north", cities: ["Pune"])
        let l3 = try floor.lead(team: "north", createdAt: floor.now.addingTimeInterval(-50))
        let tl = try await server.login("tl")
        expect(try await tl.call("ASSIGN lead=\(l3) agent=punekar"), "NOT_SKILLED")

        // A returning customer whose open lead is another team's: refused, that lead untouched.
        let inwinLead = try floor.lead(team: "inwin", phone: "+919811122233", createdAt: Date().addingTimeInterval(-40))
        expect(try await tl.call(#"LEAD ADD phone=9811122233 name="Someone Else" city=Pune pincode=411001 category=phone brand=Samsung model="Galaxy A54" variant=128GB price=100 source=web team=north"#),
               "LEAD_IN_OTHER_TEAM")
        let untouched = try floor.query("SELECT customer_name, city FROM leads WHERE id = $1::bigint", [inwinLead]).first
        #expect(untouched?["customer_name"] == "Test Customer" && untouched?["city"] == "Bengaluru")

        try await ravi.send("#w CLAIM wait=30 view=callback")
        try await server.waitForClaimWaiters(1)
        try await server.stop()
        expect([try await ravi.line() ?? ""], "SHUTTING_DOWN")

        // A server whose database cannot be reached, with room for one connection.
        let dead = try await TestServer.start(conninfo: "host=/nonexistent-leadline port=5432 user=postgres dbname=none") {
            $0.maxConnections = 1
            $0.poolTimeout = 1
        }
        let lonely = try await dead.connect()
        let started = ContinuousClock.now
        expect(try await lonely.call("AUTH agent=asha token=secret"), "UNAVAILABLE")
        #expect(ContinuousClock.now - started < .seconds(3), "UNAVAILABLE comes quickly")
        let extra = try await ProtocolClient.connect(port: dead.port)
        expect([try await extra.line() ?? ""], "TOO_MANY_CONNECTIONS")
        try await dead.stop()

        let missing = Set(ErrorCode.allCases.map(\.rawValue)).subtracting(seen)
        #expect(missing.isEmpty, "codes not reached: \(missing.sorted())")
    }

    /// An `Etc/GMT±N` zone in which the local hour is `localHour` now.
    static func zone(localHour: Int, utcHour: Int) -> String {
        var offset = localHour - utcHour
        if offset < -12 { offset += 24 }
        if offset > 14 { offset -= 24 }
        if offset == 0 { return "Etc/GMT" }
        return offset > 0 ? "Etc/GMT-\(offset)" : "Etc/GMT+\(-offset)"
    }
}
