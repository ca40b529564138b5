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
        // The optional keys (slot_end, accessories) sit after the slot; the city check opens
        // the catalogue's verdicts.
        #expect(ConversionRequest.checkOrder == Array(fields.prefix(11)) + ["slot_end", "accessories", "payment", "payment_ref",
                                                                            "city", "serviceable", "device_supported"])
    }

    /// SOP 003 "Golden Rule": only an explicit yes is consent; `maybe` is a refusal with
    /// the SOP's code, never a malformed argument.
    @Test func onlyAnExplicitYesIsConsent() {
        for yes in ["1", "yes", "YES", " true "] { #expect(ConversionRequest.explicitYes(yes) == true, "\(yes)") }
        for no in ["0", "no", "maybe", "", "y", "ok"] { #expect(ConversionRequest.explicitYes(no) == false, "\(no)") }
        #expect(ConversionRequest.explicitYes(nil) == nil)
        var request = complete
        request.consent = ConversionRequest.explicitYes("maybe")
        #expect(check(request)?.code == .consentRequired)
    }

    /// `payment=cash`: the customer is paid by UPI or bank (SOP 003 §4E), so any other method
    /// is PAYMENT_REQUIRED, naming it.
    @Test func anUnknownPaymentMethodIsPaymentRequired() {
        var request = complete
        request.paymentMethod = nil
        request.unknownPaymentMethod = "cash"
        let refused = check(request)
        #expect(refused?.code == .paymentRequired)
        #expect(refused?.message == "payment: cash is not accepted; the customer is paid by upi or bank")
    }

    /// The pickup slot is a window: two hours by default, else [slot, slot_end) of at most
    /// 12 hours that ends after it starts.
    @Test func theSlotIsAWindow() throws {
        let start = ist(2025, 3, 11, 10)
        #expect(try complete.validate(now: now, policy: policy, serviceable: true, deviceSupported: true).slotEnd
                == start.addingTimeInterval(2 * 3600))
        var request = complete
        request.slotEnd = ist(2025, 3, 11, 13)
        #expect(try request.validate(now: now, policy: policy, serviceable: true, deviceSupported: true).slotEnd == ist(2025, 3, 11, 13))
        for bad in [start, ist(2025, 3, 11, 9), ist(2025, 3, 11, 22, 0, 1)] {
            request.slotEnd = bad
            #expect(check(request)?.code == .slotWindowInvalid, "\(bad)")
        }
        request.slotEnd = ist(2025, 3, 11, 22)
        #expect(check(request) == nil, "exactly 12 hours is allowed")
        // The window is checked after the start: a missing slot is still SLOT_REQUIRED.
        request.slot = nil
        #expect(check(request)?.code == .slotRequired)
    }

    /// Accessories (SOP 003 §4B, "if applicable"): nil is not applicable, [] none; trimmed;
    /// at most 20 items of at most 200 characters.
    @Test func accessoriesAreOptionalAndBounded() throws {
        #expect(try complete.validate(now: now, policy: policy, serviceable: true, deviceSupported: true).accessories == nil)
        var request = complete
        request.accessories = [" charger ", "box"]
        #expect(try request.validate(now: now, policy: policy, serviceable: true, deviceSupported: true).accessories == ["charger", "box"])
        request.accessories = []
        #expect(try request.validate(now: now, policy: policy, serviceable: true, deviceSupported: true).accessories == [])
        request.accessories = Array(repeating: "cable", count: 21)
        #expect(check(request)?.code == .badArg)
        request.accessories = [String(repeating: "x", count: 201)]
        #expect(check(request)?.message.hasPrefix("accessories:") == true)
    }

    /// SOP 003 §4A "correct city & pincode": a pincode the catalogue places in another city
    /// is PINCODE_CITY_MISMATCH, before serviceability; an unknown pincode (no verdict) is
    /// left to NOT_SERVICEABLE.
    @Test func theCityMustMatchThePincode() {
        var request = complete
        request.city = "Pune"
        let refused = refusal {
            try request.validate(now: now, policy: policy, serviceable: false, deviceSupported: false,
                                 cityMatches: false, pincodeCity: "Bengaluru")
        }
        #expect(refused?.code == .pincodeCityMismatch)
        #expect(refused?.message == "city: pincode 560001 is in Bengaluru, not Pune")
        #expect(refusal {
            try request.validate(now: now, policy: policy, serviceable: false, deviceSupported: true, cityMatches: nil)
        }?.code == .notServiceable)
        #expect(refusal {
            try request.validate(now: now, policy: policy, serviceable: true, deviceSupported: true, cityMatches: true)
        } == nil)
        // Payment comes first: the customer's details before the catalogue's verdicts.
        request.paymentRef = nil
        #expect(refusal {
            try request.validate(now: now, policy: policy, serviceable: true, deviceSupported: true, cityMatches: false)
        }?.code == .paymentRequired)
    }

    @Test func localDaysAreReadStrictly() {
        #expect(LocalDay(iso: "2026-06-15") == LocalDay(year: 2026, month: 6, day: 15))
        #expect(LocalDay(iso: "2024-02-29") == LocalDay(year: 2024, month: 2, day: 29))
        for bad in ["2026-02-30", "2025-02-29", "2026-6-15", "2026-13-01", "2026-06-00", "15-06-2026", "2026-06-15T00:00", ""] {
            #expect(LocalDay(iso: bad) == nil, "\(bad)")
        }
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
