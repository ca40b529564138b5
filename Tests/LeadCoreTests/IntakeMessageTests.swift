import Foundation
import LeadCore
import Testing

/// A refused field is named once in the message: `phone: expected …`, never `phone: phone: …`.
@Suite("Lead intake messages")
struct IntakeMessageTests {
    var complete: LeadIntake.Draft {
        LeadIntake.Draft(
            phone: "9876543210", name: "Asha", city: "Bengaluru", pincode: "560001",
            category: "phone", brand: "Apple", model: "iPhone 14", variant: "128 GB",
            price: "3850000", source: "google_ads", team: "blr")
    }

    @Test(arguments: [
        ("123", "expected a 10-digit mobile number, got 3 digits"),
        ("+1 9876543210", "only Indian numbers (+91 and 10 digits) are accepted"),
        ("98765O3210", "only digits, spaces, dashes and a leading + are allowed"),
        ("5876543210", "an Indian mobile number starts with 6, 7, 8 or 9"),
    ])
    func phoneIsNamedOnce(phone: String, reason: String) {
        var draft = complete
        draft.phone = phone
        guard case .failure(let rejection) = LeadIntake.validate(draft, now: Date()) else {
            Issue.record("phone \(phone) was accepted")
            return
        }
        #expect(rejection.problems == [IntakeProblem(field: "phone", reason: reason)])
        #expect(rejection.refusal.code == .badArg)
        #expect(rejection.refusal.message == "phone: \(reason)")
        // normalizePhone on its own says the same, also with the field named once.
        #expect(refusal { try LeadIntake.normalizePhone(phone) }?.message == "phone: \(reason)")
    }

    /// No reason of any field starts with a field name of its own.
    @Test func noReasonRepeatsItsField() {
        let drafts: [LeadIntake.Draft] = [
            LeadIntake.Draft(),
            LeadIntake.Draft(phone: "12", name: String(repeating: "a", count: 201), city: " ", pincode: "012345",
                             category: "", price: "-1", campaign: String(repeating: "c", count: 201),
                             language: String(repeating: "l", count: 201)),
        ]
        for draft in drafts {
            guard case .failure(let rejection) = LeadIntake.validate(draft, now: Date()) else {
                Issue.record("accepted")
                continue
            }
            for problem in rejection.problems {
                #expect(!problem.reason.hasPrefix("\(problem.field):"), "\(problem)")
                #expect(!problem.description.hasPrefix("\(problem.field): \(problem.field):"), "\(problem)")
            }
            #expect(!rejection.refusal.message.contains("phone: phone:"))
        }
    }
}
