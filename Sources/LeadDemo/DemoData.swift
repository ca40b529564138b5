import Foundation
import LeadStore
import Postgres

/// Realistic demo data for `leadline seed`: Indian cities and pincodes (some not
/// serviceable), a device catalogue with high-end and unsupported models, campaign
/// sources, teams and agents, and leads that dropped off over the last days.
///
/// Leads are written with COPY straight into `leads`, with the claim tier and SLA
/// deadline computed here by the same rules the service applies at ingest.
public struct DemoData: Sendable {
    /// An agent created by the seed, with its secret (printed once).
    public struct SeededAgent: Sendable {
        public let name: String
        public let team: String
        public let role: String
        public let token: String
    }

    public struct Report: Sendable {
        public var leads = 0
        public var callbacks = 0
        /// With `history`: lead events and orders written.
        public var events = 0
        public var orders = 0
        public var agents: [SeededAgent] = []
        public var seconds = 0.0
    }

    /// The demo floor's teams.
    public static let teams = ["north", "south", "west"]
    /// Every demo team's agents: name suffix (`<team>-<suffix>`), role, senior.
    static let roster: [(suffix: String, role: String, senior: Bool)] = [
        ("lead", "team_lead", true), ("senior1", "senior", true), ("senior2", "senior", true),
        ("agent1", "agent", false), ("agent2", "agent", false), ("agent3", "agent", false),
    ]
    /// The agents the demo seeds with a token: `<team>-lead`, `-senior1`, `-senior2`,
    /// `-agent1`…`-agent3` for every team, and `admin` (team south).
    public static var agentNames: [String] {
        teams.flatMap { team in roster.map { "\(team)-\($0.suffix)" } } + ["admin"]
    }

    /// Issues fresh tokens to the demo's own agents (`agentNames`) that exist and are not
    /// disabled, for a demo restarted on its database. Every other agent (one an operator
    /// added with `leadline agent add`, a `--history` caller) keeps its token.
    /// - Returns: the re-tokened agents with their new tokens, by team then name.
    public static func reissueTokens(_ c: PostgresConnection) throws -> [SeededAgent] {
        let rows = try c.query("""
            SELECT a.name, t.name AS team, a.role::text AS role FROM agents a JOIN teams t ON t.id = a.team_id
            WHERE a.status <> 'disabled' AND a.name = ANY($1::text[]) ORDER BY t.name, a.name
            """, [agentNames]).rows
        var agents: [SeededAgent] = []
        for row in rows {
            guard let name = row["name"] else { continue }
            let token = try AgentDirectory().rotateToken(c, name: name)
            agents.append(SeededAgent(name: name, team: row["team"] ?? "", role: row["role"] ?? "", token: token))
        }
        return agents
    }

    struct City { let name: String; let prefix: Int; let team: String }
    static let cities: [City] = [
        City(name: "Bengaluru", prefix: 560, team: "south"), City(name: "Chennai", prefix: 600, team: "south"),
        City(name: "Hyderabad", prefix: 500, team: "south"), City(name: "Kochi", prefix: 682, team: "south"),
        City(name: "Delhi", prefix: 110, team: "north"), City(name: "Gurugram", prefix: 122, team: "north"),
        City(name: "Noida", prefix: 201, team: "north"), City(name: "Jaipur", prefix: 302, team: "north"),
        City(name: "Lucknow", prefix: 226, team: "north"), City(name: "Mumbai", prefix: 400, team: "west"),
        City(name: "Pune", prefix: 411, team: "west"), City(name: "Ahmedabad", prefix: 380, team: "west"),
        City(name: "Kolkata", prefix: 700, team: "west"),
    ]

    struct Device { let category, brand, model, variant: String; let highEnd, supported: Bool; let price: Int }
    static let devices: [Device] = {
        var d: [Device] = []
        func add(_ c: String, _ b: String, _ m: String, _ variants: [String], high: Bool, supported: Bool = true, price: Int) {
            for (i, v) in variants.enumerated() { d.append(Device(category: c, brand: b, model: m, variant: v, highEnd: high, supported: supported, price: price + i * price / 8)) }
        }
        add("phone", "Apple", "iPhone 15 Pro Max", ["256GB", "512GB", "1TB"], high: true, price: 95_000)
        add("phone", "Apple", "iPhone 15 Pro", ["128GB", "256GB"], high: true, price: 80_000)
        add("phone", "Apple", "iPhone 15", ["128GB", "256GB"], high: true, price: 55_000)
        add("phone", "Apple", "iPhone 14", ["128GB", "256GB"], high: true, price: 42_000)
        add("phone", "Apple", "iPhone 13", ["128GB", "256GB"], high: true, price: 33_000)
        add("phone", "Apple", "iPhone 12", ["64GB", "128GB"], high: false, price: 22_000)
        add("phone", "Apple", "iPhone 11", ["64GB", "128GB"], high: false, price: 16_000)
        add("phone", "Apple", "iPhone 6", ["32GB"], high: false, supported: false, price: 2_000)
        add("phone", "Samsung", "Galaxy S24 Ultra", ["256GB", "512GB"], high: true, price: 78_000)
        add("phone", "Samsung", "Galaxy S23 Ultra", ["256GB", "512GB"], high: true, price: 58_000)
        add("phone", "Samsung", "Galaxy Z Fold5", ["256GB"], high: true, price: 70_000)
        add("phone", "Samsung", "Galaxy A54", ["128GB", "256GB"], high: false, price: 14_000)
        add("phone", "Samsung", "Galaxy M34", ["128GB"], high: false, price: 8_000)
        add("phone", "OnePlus", "12", ["256GB", "512GB"], high: false, price: 36_000)
        add("phone", "OnePlus", "Nord CE 3", ["128GB"], high: false, price: 11_000)
        add("phone", "Xiaomi", "Redmi Note 13", ["128GB", "256GB"], high: false, price: 9_000)
        add("phone", "Vivo", "V29", ["128GB", "256GB"], high: false, price: 15_000)
        add("phone", "Google", "Pixel 8 Pro", ["128GB", "256GB"], high: true, price: 52_000)
        add("phone", "Nokia", "3310", ["basic"], high: false, supported: false, price: 500)
        add("phone", "Micromax", "Canvas 2", ["16GB"], high: false, supported: false, price: 700)
        add("laptop", "Apple", "MacBook Pro 14 M3", ["512GB", "1TB"], high: true, price: 120_000)
        add("laptop", "Apple", "MacBook Air M2", ["256GB", "512GB"], high: true, price: 62_000)
        add("laptop", "Apple", "MacBook Air M1", ["256GB"], high: true, price: 45_000)
        add("laptop", "Dell", "XPS 13", ["512GB"], high: true, price: 55_000)
        add("laptop", "HP", "Pavilion 15", ["512GB"], high: false, price: 24_000)
        add("laptop", "Lenovo", "IdeaPad Slim 5", ["512GB"], high: false, price: 26_000)
        add("tablet", "Apple", "iPad Pro 12.9", ["128GB", "256GB"], high: true, price: 60_000)
        add("tablet", "Apple", "iPad Air", ["64GB", "256GB"], high: false, price: 30_000)
        add("tablet", "Samsung", "Galaxy Tab S9", ["128GB"], high: false, price: 32_000)
        add("watch", "Apple", "Watch Series 9", ["45mm"], high: false, price: 18_000)
        return d
    }()

    static let firstNames = ["Aarav", "Vivaan", "Aditya", "Ananya", "Diya", "Ishaan", "Kavya", "Rohan", "Priya", "Arjun",
                             "Meera", "Rahul", "Sneha", "Vikram", "Pooja", "Karan", "Neha", "Siddharth", "Aisha", "Manish",
                             "Lakshmi", "Suresh", "Fatima", "Gurpreet", "Joseph", "Tanvi", "Zoya", "Harish", "Divya", "Imran"]
    static let lastNames = ["Sharma", "Iyer", "Reddy", "Nair", "Khan", "Singh", "Patel", "Gupta", "Das", "Menon",
                            "Joshi", "Mukherjee", "Rao", "Kulkarni", "Fernandes", "Chopra", "Verma", "Pillai", "Shaikh", "Bose"]
    static let sources: [(String, String?)] = [
        ("google_search", "brand_search"), ("google_search", "iphone_exchange"), ("meta_ads", "diwali_upgrade"),
        ("meta_ads", "retarget_7d"), ("instagram", "laptop_fest"), ("organic", nil), ("referral", nil),
        ("whatsapp", "price_alert"), ("affiliate", "cashback_partner"),
    ]
    static let languages = ["hi", "en", "ta", "te", "kn", "mr", "bn", "ml"]
    static let conditions = ["screen:flawless,body:flawless,battery:good", "screen:minor_scratches,body:good,battery:good",
                             "screen:cracked,body:dents,battery:poor", "screen:good,body:minor_scratches,battery:ok,accessories:box"]

    public let leads: Int
    public let days: Int
    public let seed: UInt64
    /// Also generate the leads' past activity (`DemoHistory`): claims, calls, callbacks,
    /// conversions, breaches — for BI at scale.
    public let history: Bool
    /// With `history`: extra callers per team (`<team>-callerNNN`, no token; every fourth senior).
    public let agentsPerTeam: Int

    public init(leads: Int, days: Int = 5, seed: UInt64 = 42, history: Bool = false, agentsPerTeam: Int = 0) {
        self.leads = leads
        self.days = max(1, days)
        self.seed = seed
        self.history = history
        self.agentsPerTeam = max(0, agentsPerTeam)
    }

    /// Loads the catalogue, teams, agents and leads. Idempotent for the reference data;
    /// agents that already exist keep their tokens (and are not printed again).
    public func load(into c: PostgresConnection, now: Date) throws -> Report {
        let started = Date()
        var rng = SplitMix(seed: seed)
        var report = Report()
        try c.transaction { c in
            for team in Self.teams {
                try c.query("INSERT INTO teams (name, time_zone) VALUES ($1::text, 'Asia/Kolkata') ON CONFLICT (name) DO NOTHING", [team])
            }
            for d in Self.devices {
                try c.query("""
                    INSERT INTO devices (category, brand, model, variant, high_end, supported)
                    VALUES ($1::text, $2::text, $3::text, $4::text, $5::boolean, $6::boolean)
                    ON CONFLICT (category, brand, model, variant) DO NOTHING
                    """, [d.category, d.brand, d.model, d.variant, d.highEnd, d.supported])
            }
            for city in Self.cities {
                // Pincodes xx001–xx040 are served for every device; laptops and tablets
                // only up to xx025; watches nowhere outside the metros; xx041–xx060 nowhere.
                for n in 1...40 {
                    let pin = String(format: "%03d%03d", city.prefix, n)
                    var categories = ["phone"]
                    if n <= 25 { categories += ["laptop", "tablet"] }
                    if n <= 10 && ["Bengaluru", "Mumbai", "Delhi"].contains(city.name) { categories.append("watch") }
                    for category in categories {
                        try c.query("INSERT INTO serviceable_pincodes (pincode, category, city) VALUES ($1::text, $2::text, $3::text) ON CONFLICT DO NOTHING",
                                    [pin, category, city.name])
                    }
                }
            }
            for team in Self.teams {
                for (suffix, role, senior) in Self.roster {
                    let name = "\(team)-\(suffix)"
                    let token = AgentToken.generate()
                    let salt = AgentToken.randomBytes(16)
                    let r = try c.query("""
                        INSERT INTO agents (team_id, name, role, senior, token_salt, token_hash)
                        SELECT id, $2::text, $3::agent_role, $4::boolean, $5::bytea, $6::bytea FROM teams WHERE name = $1::text
                        ON CONFLICT (name) DO NOTHING RETURNING id
                        """, [team, name, role, senior, AgentToken.byteaHex(salt), AgentToken.byteaHex(AgentToken.hash(token: token, salt: salt))])
                    if !r.isEmpty { report.agents.append(SeededAgent(name: name, team: team, role: role, token: token)) }
                }
            }
            let adminToken = AgentToken.generate()
            let salt = AgentToken.randomBytes(16)
            let r = try c.query("""
                INSERT INTO agents (team_id, name, role, senior, token_salt, token_hash)
                SELECT id, 'admin', 'admin', true, $1::bytea, $2::bytea FROM teams WHERE name = 'south'
                ON CONFLICT (name) DO NOTHING RETURNING id
                """, [AgentToken.byteaHex(salt), AgentToken.byteaHex(AgentToken.hash(token: adminToken, salt: salt))])
            if !r.isEmpty { report.agents.append(SeededAgent(name: "admin", team: "south", role: "admin", token: adminToken)) }
        }

        var teamIDs: [String: Int] = [:]
        for row in try c.query("SELECT id, name FROM teams").rows { teamIDs[row["name"]!] = row.int("id")! }
        var deviceIDs: [String: Int] = [:]
        for row in try c.query("SELECT id, category, brand, model, variant FROM devices").rows {
            deviceIDs["\(row["category"]!)|\(row["brand"]!)|\(row["model"]!)|\(row["variant"]!)"] = row.int("id")!
        }
        var callbackOwners: [String: [Int]] = [:]
        for row in try c.query("SELECT a.id, t.name FROM agents a JOIN teams t ON t.id = a.team_id WHERE a.role <> 'admin' ORDER BY a.id").rows {
            callbackOwners[row["name"]!, default: []].append(row.int("id")!)
        }
        if history {
            try loadHistory(into: c, now: now, rng: &rng, teamIDs: teamIDs, deviceIDs: deviceIDs, report: &report)
            report.seconds = Date().timeIntervalSince(started)
            return report
        }
        let base = try c.query("SELECT coalesce(max(id), 0) AS n FROM leads").first?.int("n") ?? 0
        var lines: [String] = []
        lines.reserveCapacity(min(leads, 50_000))
        func flush() throws {
            try c.copyIn("""
                COPY leads (team_id, phone, customer_name, city, pincode, language, category, brand, model, variant,
                            device_id, conditions, quoted_price, source, campaign, created_at, high_end, state,
                            tier, next_action_at, callback_at, callback_agent_id, sla_due_at)
                FROM STDIN
                """, lines: lines)
            lines.removeAll(keepingCapacity: true)
        }
        var failure: (any Error)?
        generate(serialBase: base, now: now, rng: &rng) { lead in
            guard failure == nil else { return }
            let d = lead.device
            var tier: String? = d.highEnd ? "1" : "2"
            var nextAction: String?
            var callbackAgent: String?
            var sla: Date
            if let at = lead.callbackAt {
                tier = nil
                nextAction = PostgresTime.format(at)
                let owners = callbackOwners[lead.city.team] ?? []
                callbackAgent = owners.isEmpty ? nil : String(owners[lead.pick % owners.count])
                sla = at.addingTimeInterval(300)
                report.callbacks += 1
            } else if d.highEnd {
                sla = lead.createdAt.addingTimeInterval(15 * 60)
            } else {
                sla = Self.endOfLocalDay(lead.createdAt)
            }
            lines.append(CopyText.line([
                String(teamIDs[lead.city.team]!), lead.phone, lead.name, lead.city.name, lead.pincode, lead.language,
                d.category, d.brand, d.model, d.variant,
                deviceIDs["\(d.category)|\(d.brand)|\(d.model)|\(d.variant)"].map(String.init),
                lead.conditions, String(lead.price), lead.source, lead.campaign, PostgresTime.format(lead.createdAt),
                d.highEnd ? "t" : "f", lead.callbackAt == nil ? "new" : "callback", tier, nextAction, nextAction, callbackAgent,
                PostgresTime.format(sla),
            ]))
            if lines.count >= 50_000 {
                do { try flush() } catch { failure = error }
            }
        }
        if let failure { throw failure }
        if !lines.isEmpty { try flush() }
        try c.query("ANALYZE leads")
        report.leads = leads
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// One generated demo lead (before it is written as COPY or CSV).
    struct GeneratedLead {
        let city: City
        let device: Device
        let phone, name, pincode, language, conditions, source: String
        let campaign: String?
        let price: Int
        let createdAt: Date
        let callbackAt: Date?
        let pick: Int
    }

    static let ist = TimeZone(identifier: "Asia/Kolkata")!

    static func endOfLocalDay(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = ist
        return calendar.date(byAdding: .day, value: 1, to: calendar.startOfDay(for: date))!
    }

    func generate(serialBase: Int, now: Date, rng: inout SplitMix, _ body: (GeneratedLead) -> Void) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = Self.ist
        let span = Double(days) * 86_400
        for i in 0..<leads {
            let serial = serialBase + i
            let city = Self.cities[Int(rng.next() % UInt64(Self.cities.count))]
            let device = Self.devices[Int(rng.next() % UInt64(Self.devices.count))]
            let (source, campaign) = Self.sources[Int(rng.next() % UInt64(Self.sources.count))]
            // Drop-offs cluster in the local daytime; newer days carry more leads.
            let ageFraction = pow(Double(rng.next() % 1_000_000) / 1_000_000, 1.6)
            var created = now.addingTimeInterval(-ageFraction * span - 60)
            let hour = calendar.component(.hour, from: created)
            if hour < 8 { created = created.addingTimeInterval(Double(8 - hour) * 3600) }
            if created > now { created = now.addingTimeInterval(-Double(rng.next() % 600)) }
            let phone = "+91" + String(6_000_000_000 + (UInt64(serial) &* 7_919 &+ seed) % 3_999_999_999)
            let name = Self.firstNames[Int(rng.next() % 30)] + " " + Self.lastNames[Int(rng.next() % 20)]
            let pin = String(format: "%03d%03d", city.prefix, Int(rng.next() % 60) + 1)
            let price = (device.price + Int(rng.next() % UInt64(max(1, device.price / 5)))) * 100
            let language = Self.languages[Int(rng.next() % UInt64(Self.languages.count))]
            let isCallback = rng.next() % 100 < 8
            let callbackAt = isCallback ? now.addingTimeInterval(Double(rng.next() % (36 * 3600)) + 300) : nil
            body(GeneratedLead(city: city, device: device, phone: phone, name: name, pincode: pin, language: language,
                               conditions: Self.conditions[Int(rng.next() % UInt64(Self.conditions.count))], source: source,
                               campaign: campaign, price: price, createdAt: created, callbackAt: callbackAt,
                               pick: Int(rng.next() % 1000)))
        }
    }

    /// Writes the demo leads as a CSV file for `leadline import` (header = LEAD ADD names).
    /// Returns the number of rows written.
    @discardableResult
    public func writeCSV(to path: String, now: Date) throws -> Int {
        // Opened in place (created or truncated), never written atomically: Foundation's
        // createFile renames a temporary file over the path, which turns a device such as
        // /dev/null into a regular file when run as root.
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        var rng = SplitMix(seed: seed)
        var buffer = "phone,name,city,pincode,category,brand,model,variant,price,source,team,created_at,conditions,campaign,language\n"
        func csv(_ v: String?) -> String {
            guard let v else { return "" }
            return v.contains(",") || v.contains("\"") ? "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : v
        }
        var count = 0
        generate(serialBase: 0, now: now, rng: &rng) { lead in
            let d = lead.device
            buffer += [lead.phone, lead.name, lead.city.name, lead.pincode, d.category, d.brand, d.model, d.variant,
                       String(lead.price), lead.source, lead.city.team, PostgresTime.format(lead.createdAt), lead.conditions,
                       lead.campaign, lead.language].map(csv).joined(separator: ",")
            buffer += "\n"
            count += 1
            if buffer.utf8.count > 1 << 20 {
                handle.write(Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(buffer.utf8))
        return count
    }
}

/// A tiny deterministic random generator (SplitMix64), so seeded data is reproducible.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
