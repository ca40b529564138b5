import Foundation
import Testing
import LeadCore

@Suite("Lead intake")
struct LeadIntakeTests {
    var complete: LeadIntake.Draft {
        LeadIntake.Draft(
            phone: "+91 98765-43210", name: " Asha K ", city: "Bengaluru", pincode: "560001",
            category: "phone", brand: "Apple", model: "iPhone 14", variant: "128 GB",
            price: "3850000", source: "google_ads", team: "blr",
            campaign: "summer", conditions: ["screen:ok", " "], isHighEnd: true)
    }

    @Test(arguments: [
        "9876543210", "+919876543210", "+91 98765 43210", "+91-98765-43210",
        "919876543210", "09876543210", " 98765-43210 ", "91 9876 543 210",
    ])
    func indianMobilesNormalise(raw: String) throws {
        #expect(try LeadIntake.normalizePhone(raw) == "+919876543210")
    }

    @Test(arguments: [
        "5876543210",        // does not start 6–9
        "+1 9876543210",     // another country
        "98765 4321",        // 9 digits
        "98765432101",       // 11 digits without a 0 prefix
        "98765O3210",        // a letter O
        "(987) 654-3210",    // brackets
        "+910987654321",     // +91 then a leading 0
        "९८७६५४३२१०",          // Devanagari digits
        "+",
    ])
    func otherNumbersAreRefused(raw: String) {
        #expect(refusal { try LeadIntake.normalizePhone(raw) }?.code == .badArg)
    }

    @Test func phonesAreMaskedForLogs() {
        #expect(LeadIntake.maskPhone("+919876543210") == "+91******3210")
        #expect(LeadIntake.maskPhone("98765 43210") == "+91******3210")
        #expect(LeadIntake.maskPhone("garbage12") == "*******12")
        #expect(!LeadIntake.maskPhone("12345").contains("123"))
    }

    @Test func aCompleteLeadIsAccepted() throws {
        let intake = try LeadIntake.validate(complete, now: Date()).get()
        #expect(intake.phone == "+919876543210")
        #expect(intake.name == "Asha K")
        #expect(intake.priceMinor == 3_850_000)
        #expect(intake.conditions == ["screen:ok"])
        #expect(intake.campaign == "summer" && intake.channel == nil)
        #expect(intake.isHighEnd)
    }

    @Test func everyMissingFieldIsReportedInOrder() {
        guard case .failure(let rejection) = LeadIntake.validate(LeadIntake.Draft(name: "  "), now: Date()) else {
            Issue.record("an empty lead was accepted")
            return
        }
        #expect(rejection.fields == ["phone", "name", "city", "pincode", "category", "brand", "model",
                                     "variant", "price", "source", "team"])
        #expect(rejection.problems.allSatisfy { $0.reason == "required" })
        #expect(rejection.refusal.code == .badArg)
        #expect(rejection.refusal.message.hasPrefix("phone: required; name: required"))
    }

    @Test(arguments: ["-100", "12.50", "₹500", "abc", "99999999999999999999"])
    func priceMustBeWholeNonNegativeMinorUnits(price: String) {
        var draft = complete
        draft.price = price
        guard case .failure(let rejection) = LeadIntake.validate(draft, now: Date()) else {
            Issue.record("price \(price) was accepted")
            return
        }
        #expect(rejection.fields == ["price"])
    }

    @Test func zeroPriceIsAllowed() throws {
        var draft = complete
        draft.price = "0"
        #expect(try LeadIntake.validate(draft, now: Date()).get().priceMinor == 0)
    }

    @Test func badPhoneAndPincodeAreBothReported() {
        var draft = complete
        draft.phone = "12345"
        draft.pincode = "012345"
        guard case .failure(let rejection) = LeadIntake.validate(draft, now: Date()) else {
            Issue.record("accepted")
            return
        }
        #expect(rejection.fields == ["phone", "pincode"])
        #expect(rejection.problems[1].reason.contains("6 digits"))
    }

    @Test func overlongTextIsRefused() {
        var draft = complete
        draft.name = String(repeating: "a", count: 201)
        guard case .failure(let rejection) = LeadIntake.validate(draft, now: Date()) else {
            Issue.record("accepted")
            return
        }
        #expect(rejection.fields == ["name"])
    }

    /// Issue 13 item 10: a drop-off time more than 5 minutes after now is refused (it would
    /// push a High End's 15-minute deadline out); up to 5 minutes of clock skew is allowed.
    @Test func aCreatedAtBeyondTheClockSkewAllowanceIsRefused() throws {
        let now = Date(timeIntervalSince1970: 1_764_000_000)
        var draft = complete
        draft.createdAt = now.addingTimeInterval(LeadIntake.maxClockSkew)
        #expect(try LeadIntake.validate(draft, now: now).get().createdAt == now.addingTimeInterval(300))
        draft.createdAt = now.addingTimeInterval(-86_400 * 3)
        #expect((try? LeadIntake.validate(draft, now: now).get()) != nil)

        draft.createdAt = now.addingTimeInterval(301)
        draft.pincode = "012345"
        guard case .failure(let rejection) = LeadIntake.validate(draft, now: now) else {
            Issue.record("a created_at 301 s ahead was accepted")
            return
        }
        // In synopsis order: after team, so after pincode.
        #expect(rejection.fields == ["pincode", "created_at"])
        #expect(rejection.refusal.code == .badArg)
        #expect(rejection.refusal.message.contains("created_at: in the future"))
        #expect(LeadIntake.checkCreatedAt(now.addingTimeInterval(3 * 86_400), now: now)?.field == "created_at")
        #expect(LeadIntake.checkCreatedAt(nil, now: now) == nil)
    }
}
