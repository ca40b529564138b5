import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Postgres

// The admin verbs that change the catalogue every team shares: DEVICE ADD, DEVICE RETIRE,
// HIGHEND ADD, HIGHEND RETIRE, PINCODE ADD, PINCODE RETIRE (level admin: a team lead gets
// DENIED, because a catalogue change re-tiers every team's leads). The rules and the SQL
// are LeadStore's Catalogue.
extension Verbs {
    /// DEVICE ADD / DEVICE RETIRE / HIGHEND ADD / HIGHEND RETIRE category= brand= model= variant= …
    func device(_ request: Request, action: Catalogue.DeviceAction, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let category = try request.string("category")
        let brand = try request.string("brand")
        let model = try request.string("model")
        let variant = try request.string("variant")
        let highEnd = try request.optionalBool("high_end")
        let supported = try request.optionalBool("supported")
        let change = try await db { c in
            try Catalogue().setDevice(c, action: action, category: category, brand: brand, model: model, variant: variant,
                                      highEnd: highEnd, supported: supported, by: me.id, now: clock.now())
        }
        session.logger.info("catalogue device", metadata: [
            "action": "\(action.rawValue)", "device": "\(change.id)", "retiered": "\(change.retiered)",
        ])
        return .ok(tag: request.tag, fields: Replies.device(change))
    }

    /// PINCODE ADD pincode= category= city=
    func pincodeAdd(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let pincode = try request.string("pincode")
        let category = try request.string("category")
        let city = try request.string("city")
        let change = try await db { c in
            try Catalogue().addPincode(c, pincode: pincode, category: category, city: city, by: me.id, now: clock.now())
        }
        session.logger.info("catalogue pincode added", metadata: ["pincode": "\(change.pincode)", "category": "\(change.category)"])
        return .ok(tag: request.tag, fields: Replies.pincode(change))
    }

    /// PINCODE RETIRE pincode= category=
    func pincodeRetire(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let pincode = try request.string("pincode")
        let category = try request.string("category")
        let change = try await db { c in
            try Catalogue().retirePincode(c, pincode: pincode, category: category, by: me.id, now: clock.now())
        }
        session.logger.info("catalogue pincode retired", metadata: ["pincode": "\(change.pincode)", "category": "\(change.category)"])
        return .ok(tag: request.tag, fields: Replies.pincode(change))
    }
}
