import Foundation
import LeadCore
import Postgres

/// A device of the catalogue after a change: the reply to DEVICE ADD, DEVICE RETIRE,
/// HIGHEND ADD and HIGHEND RETIRE.
public struct DeviceChange: Sendable, Equatable {
    public let id: Int64
    /// The catalogue's spelling (an existing device keeps its own).
    public let category: String
    public let brand: String
    public let model: String
    public let variant: String
    public let highEnd: Bool
    public let supported: Bool
    /// The device was not in the catalogue and was added.
    public let created: Bool
    /// Open leads whose High End flag (and claim tier) changed with it.
    public let retiered: Int
}

/// A serviceable pincode after PINCODE ADD or PINCODE RETIRE.
public struct PincodeChange: Sendable, Equatable {
    public let pincode: String
    public let category: String
    public let city: String
    /// Added (PINCODE ADD of a new entry).
    public let created: Bool
    /// Removed (PINCODE RETIRE).
    public let retired: Bool
}

/// The catalogue's keeper: devices, the High End list, serviceable pincodes (the BD team's
/// city and pincode coverage). Admins change it over the protocol, operators with
/// `leadline catalogue import|list`.
///
/// It exists so every catalogue change runs the same way: entries checked by
/// `LeadCore.CatalogueEntry`, matched with SQL's `catalogue_text()` (so a change is
/// idempotent whatever the letter case and spacing), writers serialised
/// (`catalogue_lock.sql`), open leads re-tiered in the same transaction when a High End
/// flag changes (`catalogue_retier.sql`), and one audit row per change
/// (`catalogue_changes`) with the number of leads re-tiered (docs/RULES.md §13).
public struct Catalogue: Sendable {
    public init() {}

    /// What `set` changes on a device; nil keeps the stored value.
    public enum DeviceAction: String, Sendable {
        /// DEVICE ADD: add, or set the given flags.
        case deviceAdd = "device_add"
        /// DEVICE RETIRE: no longer supported (CONVERT refuses it).
        case deviceRetire = "device_retire"
        /// HIGHEND ADD: on the High End list (added as a supported device when missing).
        case highEndAdd = "high_end_add"
        /// HIGHEND RETIRE: off the High End list.
        case highEndRetire = "high_end_retire"

        /// Whether a device missing from the catalogue is added (ADD) or NOT_FOUND (RETIRE).
        var creates: Bool { self == .deviceAdd || self == .highEndAdd }
    }

    /// Changes one device. `highEnd`, `supported`: the flags to set (DEVICE ADD); the other
    /// actions set theirs. Re-tiers open leads when the High End flag changes, and audits a
    /// change (nothing is audited when nothing changed).
    /// - Throws: BAD_ARG (a blank or too long field), NOT_FOUND (a RETIRE of a device not in
    ///   the catalogue).
    public func setDevice(_ c: PostgresConnection, action: DeviceAction, category: String?, brand: String?, model: String?,
                          variant: String?, highEnd: Bool? = nil, supported: Bool? = nil, by actor: Int64?,
                          now: Date) throws -> DeviceChange {
        let device = try CatalogueEntry.device(category: category, brand: brand, model: model, variant: variant)
        var flags: (Bool?, Bool?) = (highEnd, supported)
        switch action {
        case .deviceAdd: break
        case .deviceRetire: flags = (nil, false)
        case .highEndAdd: flags = (true, nil)
        case .highEndRetire: flags = (false, nil)
        }
        return try c.transaction { c in
            try c.query(SQLFiles.query("catalogue_lock"))
            let rows = try c.query(SQLFiles.query("catalogue_devices_upsert"), [
                [1], [device.category], [device.brand], [device.model], [device.variant], [flags.0], [flags.1], action.creates,
            ], prepared: true)
            guard let row = rows.first, let id = row.int64("id") else {
                throw Refusal(.notFound, "device: \(device.category)/\(device.brand)/\(device.model)/\(device.variant) is not in the catalogue")
            }
            let created = row.bool("created") ?? false
            let before = (row.bool("high_end_before"), row.bool("supported_before"))
            let after = (row.bool("high_end") ?? false, row.bool("supported") ?? true)
            var retiered = 0
            if created ? after.0 : before.0 != after.0 {
                retiered = try retier(c, [device], now: now)
            }
            if created || before.0 != after.0 || before.1 != after.1 {
                let entry = Self.json([
                    "category": row["category"] ?? "", "brand": row["brand"] ?? "", "model": row["model"] ?? "",
                    "variant": row["variant"] ?? "", "created": created,
                    "high_end": ["before": before.0 as Any, "after": after.0], "supported": ["before": before.1 as Any, "after": after.1],
                ])
                try audit(c, now: now, actor: actor, action: action.rawValue, entry: entry, retiered: retiered)
            }
            return DeviceChange(id: id, category: row["category"] ?? device.category, brand: row["brand"] ?? device.brand,
                                model: row["model"] ?? device.model, variant: row["variant"] ?? device.variant,
                                highEnd: after.0, supported: after.1, created: created, retiered: retiered)
        }
    }

    /// PINCODE ADD: the pincode is served for the device category, in `city` (a known
    /// pincode and category takes the new city). Audited when something changed.
    /// - Throws: BAD_ARG.
    public func addPincode(_ c: PostgresConnection, pincode: String?, category: String?, city: String?, by actor: Int64?,
                           now: Date) throws -> PincodeChange {
        let entry = try CatalogueEntry.pincode(pincode, category: category, city: city)
        return try c.transaction { c in
            try c.query(SQLFiles.query("catalogue_lock"))
            guard let row = try c.query(SQLFiles.query("catalogue_pincodes_upsert"),
                                        [[1], [entry.pincode], [entry.category], [entry.city]], prepared: true).first else {
                throw Refusal(.internal, "pincode \(entry.pincode) was not written")
            }
            let created = row.bool("created") ?? false
            let before = row["old_city"]
            if created || before != entry.city {
                try audit(c, now: now, actor: actor, action: "pincode_add", entry: Self.json([
                    "pincode": entry.pincode, "category": row["category"] ?? entry.category,
                    "city": ["before": before as Any, "after": entry.city], "created": created,
                ]), retiered: 0)
            }
            return PincodeChange(pincode: entry.pincode, category: row["category"] ?? entry.category, city: entry.city,
                                 created: created, retired: false)
        }
    }

    /// PINCODE RETIRE: the pincode is no longer served for the device category.
    /// - Throws: BAD_ARG, NOT_FOUND (it was not served).
    public func retirePincode(_ c: PostgresConnection, pincode: String?, category: String?, by actor: Int64?,
                              now: Date) throws -> PincodeChange {
        let key = try CatalogueEntry.pincodeKey(pincode, category: category)
        return try c.transaction { c in
            try c.query(SQLFiles.query("catalogue_lock"))
            guard let row = try c.query(SQLFiles.query("catalogue_pincode_retire"), [key.pincode, key.category], prepared: true).first else {
                throw Refusal(.notFound, "pincode: \(key.pincode) is not served for \(key.category)")
            }
            try audit(c, now: now, actor: actor, action: "pincode_retire", entry: Self.json([
                "pincode": key.pincode, "category": row["category"] ?? key.category, "city": row["city"] ?? "",
            ]), retiered: 0)
            return PincodeChange(pincode: key.pincode, category: row["category"] ?? key.category, city: row["city"] ?? "",
                                 created: false, retired: true)
        }
    }

    /// Re-tiers the open leads of `devices` (catalogue_retier.sql); returns how many changed.
    public func retier(_ c: PostgresConnection, _ devices: [CatalogueEntry.Device], now: Date) throws -> Int {
        guard !devices.isEmpty else { return 0 }
        let row = try c.query(SQLFiles.query("catalogue_retier"), [
            devices.map(\.category), devices.map(\.brand), devices.map(\.model), devices.map(\.variant), now,
        ], prepared: true).first
        return row?.int("retiered") ?? 0
    }

    /// One `catalogue_changes` audit row.
    public func audit(_ c: PostgresConnection, now: Date, actor: Int64?, action: String, entry: String, retiered: Int) throws {
        try c.query(SQLFiles.query("catalogue_audit"), [now, actor, action, entry, retiered], prepared: true)
    }

    /// A JSON object, keys sorted.
    public static func json(_ object: [String: Any]) -> String {
        let clean = object.mapValues(Self.jsonValue)
        let data = (try? JSONSerialization.data(withJSONObject: clean, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    private static func jsonValue(_ value: Any) -> Any {
        switch value {
        case let dictionary as [String: Any]: return dictionary.mapValues(jsonValue)
        case let optional as Bool?: return optional.map { $0 as Any } ?? NSNull()
        case let optional as String?: return optional.map { $0 as Any } ?? NSNull()
        default: return value
        }
    }

    // MARK: listing

    /// What `leadline catalogue list` prints.
    public enum Listing: String, Sendable, CaseIterable {
        case devices
        case pincodes
        case highEnds = "high-ends"

        /// The CSV header, the columns `leadline catalogue import` reads back.
        public var header: [String] {
            self == .pincodes ? ["pincode", "category", "city"] : ["category", "brand", "model", "variant", "high_end", "supported"]
        }
    }

    /// The catalogue's rows as CSV cells, in `listing.header` order.
    public func list(_ c: PostgresConnection, _ listing: Listing) throws -> [[String]] {
        try c.query(SQLFiles.query("catalogue_list"), [listing.rawValue], prepared: true).rows.map { row in
            switch listing {
            case .pincodes:
                return [row["pincode"] ?? "", row["category"] ?? "", row["city"] ?? ""]
            case .devices, .highEnds:
                return [row["category"] ?? "", row["brand"] ?? "", row["model"] ?? "", row["variant"] ?? "",
                        row.bool("high_end") == true ? "1" : "0", row.bool("supported") == true ? "1" : "0"]
            }
        }
    }
}
