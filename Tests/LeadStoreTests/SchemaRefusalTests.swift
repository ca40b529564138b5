import Foundation
import LeadCore
import LeadStore
import LeadTesting
import Postgres
import Testing

/// What the database itself refuses, whatever the code above it does.
@Suite struct SchemaRefusalTests {
    func setUp() async throws -> (Floor, Int64, Int64, Int64) {
        let floor = try await Floor.make()
        try floor.team("blr")
        let a = try floor.agent("asha", team: "blr")
        let b = try floor.agent("bala", team: "blr")
        let lead = try floor.lead(team: "blr", createdAt: Date())
        return (floor, a, b, lead)
    }

    @Test func twoLiveClaimsOnOneLeadAreRefused() async throws {
        let (floor, a, b, lead) = try await setUp()
        let c = try floor.connect()
        try c.query("UPDATE leads SET holder_agent_id = $1::bigint, lease_gen = lease_gen + 1, lease_expires_at = now() + interval '10 minutes', tier = NULL WHERE id = $2::bigint", [a, lead])
        do {
            try c.query("UPDATE leads SET holder_agent_id = $1::bigint, lease_gen = lease_gen + 1 WHERE id = $2::bigint", [b, lead])
            Issue.record("a second holder was accepted")
        } catch {
            #expect(error.constraint == "leads_one_live_claim")
            #expect(error.kind == .integrityViolation)
        }
        // Re-leasing under the same token is refused too.
        try c.query("UPDATE leads SET holder_agent_id = NULL, lease_expires_at = NULL WHERE id = $1::bigint", [lead])
        do {
            try c.query("UPDATE leads SET holder_agent_id = $1::bigint, lease_expires_at = now() + interval '1 minute' WHERE id = $2::bigint", [b, lead])
            Issue.record("a claim without a new lease generation was accepted")
        } catch {
            #expect(error.constraint == "leads_lease_gen_grows")
        }
    }

    @Test func unknownDispositionIsRefused() async throws {
        let (floor, a, _, lead) = try await setUp()
        let c = try floor.connect()
        do {
            try c.query("INSERT INTO lead_events (lead_id, kind, agent_id, at, disposition) VALUES ($1::bigint, 'disposition', $2::bigint, now(), $3::disposition)",
                        [lead, a, "maybe_later"])
            Issue.record("an unknown disposition was accepted")
        } catch {
            #expect(error.sqlState == "22P02")  // invalid_text_representation for the enum
        }
        // Every LeadCore disposition is known to the database, and nothing else.
        let db = try c.query("SELECT unnest(enum_range(NULL::disposition))::text AS d").rows.compactMap { $0["d"] }
        #expect(Set(db) == Set(Disposition.allCases.map(\.rawValue)))
        let reasons = try c.query("SELECT unnest(enum_range(NULL::non_conversion_reason))::text AS r").rows.compactMap { $0["r"] }
        #expect(Set(reasons) == Set(NonConversionReason.allCases.map(\.rawValue)))
    }

    @Test func orderWithoutALeadIsRefused() async throws {
        let (floor, a, _, _) = try await setUp()
        let c = try floor.connect()
        for lead in [Int64?.none, Int64(999_999)] {
            do {
                try c.query("""
                    INSERT INTO orders (lead_id, created_by, category, brand, model, variant, conditions, pincode, address, landmark,
                                        pickup_slot, payment_method, payment_ref, quoted_price, consent_at, price_confirmed_at, request_id, created_at)
                    VALUES ($1::bigint, $2::bigint, 'phone', 'Apple', 'iPhone 15 Pro', '256GB', 'good', '560001', '12 MG Road', 'Near metro',
                            now() + interval '1 day', 'upi', 'asha@upi', 100, now(), now(), 'r1', now())
                    """, [lead, a])
                Issue.record("an order without a lead was accepted")
            } catch {
                #expect(error.kind == .integrityViolation)
                #expect(["23502", "23503"].contains(error.sqlState ?? ""))
            }
        }
    }

    @Test func eventsAreAppendOnly() async throws {
        let (floor, _, _, lead) = try await setUp()
        let c = try floor.connect()
        let count = try c.query("SELECT count(*) AS n FROM lead_events WHERE lead_id = $1::bigint", [lead]).first!.int("n")!
        #expect(count == 1)  // the 'created' event
        for sql in ["UPDATE lead_events SET note = 'rewritten' WHERE lead_id = $1::bigint",
                    "DELETE FROM lead_events WHERE lead_id = $1::bigint"] {
            do {
                try c.query(sql, [lead])
                Issue.record("lead_events accepted: \(sql)")
            } catch {
                #expect(error.kind == .integrityViolation)
            }
        }
        do {
            try c.query("TRUNCATE lead_events CASCADE")
            Issue.record("lead_events accepted TRUNCATE")
        } catch {
            #expect(error.kind == .integrityViolation)
        }
        #expect(try c.query("SELECT count(*) AS n FROM lead_events WHERE lead_id = $1::bigint", [lead]).first!.int("n")! == count)
    }

    @Test func agentCapacityIsStrict() async throws {
        let (floor, a, _, lead) = try await setUp()
        let second = try floor.lead(team: "blr", createdAt: Date())
        let c = try floor.connect()
        try c.query("UPDATE leads SET holder_agent_id = $1::bigint, lease_gen = lease_gen + 1, lease_expires_at = now() + interval '1 minute', tier = NULL WHERE id = $2::bigint", [a, lead])
        do {
            try c.query("UPDATE leads SET holder_agent_id = $1::bigint, lease_gen = lease_gen + 1, lease_expires_at = now() + interval '1 minute', tier = NULL WHERE id = $2::bigint", [a, second])
            Issue.record("capacity 1 agent took a second lead")
        } catch {
            #expect(error.constraint == "agents_capacity")
        }
        #expect(try c.query("SELECT holding FROM agents WHERE id = $1::bigint", [a]).first?.int("holding") == 1)
    }
}
