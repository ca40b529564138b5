import Foundation
import Testing
import LeadCore

@Suite("Conversion pre-checks")
struct ConversionTests {
    let now = ist(2025, 3, 10, 12)

    var complete: ConversionRequest {
        ConversionRequest(
            consent: true, priceConfirmed: true,
            category: "phone", brand: "Apple", model: "iPhone 14", variant: "128 GB",
            conditions: ["screen:no_scratches", "body:minor_dents"],
            pincode: "560 001", address: "  12, 3rd Cross, Indiranagar  ", landmark: "Near CMH Hospital",
            slot: ist(2025, 3, 11, 10), paymentMethod: .upi, paymentRef: "Asha.K@okAxis")
    }

    func check(_ request: ConversionRequest, serviceable: Bool = true, supported: Bool = true) -> Refusal? {
        refusal { try request.validate(now: now, policy: policy, serviceable: serviceable, deviceSupported: supported) }
    }

    @Test func aCompleteRequestPassesAndIsCleaned() throws {
        let draft = try complete.validate(now: now, policy: policy, serviceable: true, deviceSupported: true)
        #expect(draft.pincode == "560001")
        #expect(draft.address == "12, 3rd Cross, Indiranagar")
        #expect(draft.paymentRef == "asha.k@okaxis")
        #expect(draft.conditions == ["screen:no_scratches", "body:minor_dents"])
        #expect(draft.slot == ist(2025, 3, 11, 10))
    }

    @Test func checksRunInTheDocumentedOrder() {
        // Start from nothing and fix one field at a time: each refusal names the next field.
        var request = ConversionRequest()
        var seen: [(ErrorCode, String)] = []
        let fixes: [(inout ConversionRequest) -> Void] = [
            { $0.consent = true }, { $0.priceConfirmed = true },
            { $0.category = "phone" }, { $0.brand = "Apple" }, { $0.model = "iPhone 14" }, { $0.variant = "128 GB" },
            { $0.conditions = ["screen:ok"] }, { $0.pincode = "560001" }, { $0.address = "12, 3rd Cross, Indiranagar" },
            { $0.landmark = "Near CMH Hospital" }, { $0.slot = ist(2025, 3, 11, 10) },
            { $0.paymentMethod = .bank }, { $0.paymentRef = "1234 5678 9012" },
        ]
        for fix in fixes {
            guard let refused = check(request, serviceable: false, supported: false) else { break }
            seen.append((refused.code, refused.message))
            fix(&request)
        }
        #expect(seen.map(\.0) == [
            .consentRequired, .priceNotConfirmed,
            .deviceRequired, .deviceRequired, .deviceRequired, .deviceRequired,
            .conditionsRequired, .pincodeRequired, .addressRequired, .landmarkRequired, .slotRequired,
            .paymentRequired, .paymentRequired,
        ])
        let fields = ["consent", "price_confirmed", "category", "brand", "model", "variant", "conditions",
                      "pincode", "address", "landmark", "slot", "payment", "payment_ref"]
        for (message, field) in zip(seen.map(\.1), fields) {
            #expect(message.hasPrefix(field + ":"), "\(message) should name \(field)")
        }
        // Every field now present: the catalogue verdicts come last, serviceability first.
        #expect(check(request, serviceable: false, supported: false)?.code == .notServiceable)
        #expect(check(request, serviceable: true, supported: false)?.code == .deviceNotSupported)
        #expect(check(request) == nil)
        #expect(ConversionRequest.checkOrder.prefix(fields.count).elementsEqual(fields))
    }

    @Test func consentAndPriceMustBeAnExplicitYes() {
        var request = complete
        request.consent = false
        #expect(check(request)?.code == .consentRequired)
        request = complete
        request.priceConfirmed = false
        #expect(check(request)?.code == .priceNotConfirmed)
    }

    @Test func blankDeviceFieldsAndConditionsAreMissing() {
        var request = complete
        request.model = "   "
        #expect(check(request)?.message.hasPrefix("model:") == true)
        request = complete
        request.conditions = []
        #expect(check(request)?.code == .conditionsRequired)
        request.conditions = ["screen:ok", " "]
        #expect(check(request)?.code == .conditionsRequired)
    }

    @Test(arguments: ["012345", "56001", "5600011", "56OO01", "५६०००१"])
    func badPincodes(pincode: String) {
        var request = complete
        request.pincode = pincode
        #expect(check(request)?.code == .pincodeRequired)
    }

    @Test func addressMustBeFull() {
        var request = complete
        request.address = "  Flat 4  "
        #expect(check(request)?.code == .addressRequired)
        request.address = "Flat 4, MG"
        #expect(check(request) == nil)
        request.landmark = "\n"
        #expect(check(request)?.code == .landmarkRequired)
    }

    @Test func slotMustBeSoonButNotPast() {
        var request = complete
        request.slot = now
        #expect(check(request)?.code == .slotInPast)
        request.slot = now - hour
        #expect(check(request)?.code == .slotInPast)
        request.slot = now + 14 * day
        #expect(check(request) == nil)
        request.slot = now + 14 * day + 1
        let far = check(request)
        #expect(far?.code == .slotTooFar)
        #expect(far?.message.hasPrefix("slot:") == true)
    }

    @Test func paymentReferenceMustFitTheMethod() {
        var request = complete
        request.paymentMethod = nil
        #expect(check(request)?.message.hasPrefix("payment:") == true)
        request.paymentMethod = .upi
        for bad in ["9876543210", "name@", "@okaxis", "a@b", "name@ok axis", "na me@okaxis", "x@y@z"] {
            request.paymentRef = bad
            #expect(check(request)?.code == .paymentRequired, "\(bad)")
        }
        request.paymentRef = "9876543210@ybl"
        #expect(check(request) == nil)
        request.paymentMethod = .bank
        #expect(check(request)?.code == .paymentRequired, "a UPI id is not a bank account")
        request.paymentRef = "12345678"
        #expect(check(request)?.code == .paymentRequired, "8 digits is too short")
        request.paymentRef = "1234-5678-9012-3456"
        #expect(check(request) == nil)
    }

    @Test func serviceabilityAndSupportAreRefusedWithTheirCodes() {
        let notServed = check(complete, serviceable: false)
        #expect(notServed?.code == .notServiceable)
        #expect(notServed?.message.contains("560001") == true)
        #expect(check(complete, supported: false)?.code == .deviceNotSupported)
    }
}
