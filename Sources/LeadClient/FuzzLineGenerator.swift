import DequeModule
import Foundation
import LeadCore
import LeadProtocol

/// Random request lines: valid verbs with random arguments, mutations of valid lines,
/// random bytes, invalid UTF-8, NUL, huge ids and values, over-long and blank lines.
/// Every line ends with `\n` (sometimes `\r\n`) and holds no other `\n`.
struct FuzzLineGenerator {
    var rng: FuzzRandom
    let settings: ProtocolFuzzer.Settings
    let loggedIn: Bool
    var counter = 0
    /// Leads and leases seen in replies (so some requests name a real lease).
    var seenLeads: Deque<String> = []
    var seenLeases: Deque<String> = []

    init(seed: UInt64, settings: ProtocolFuzzer.Settings, loggedIn: Bool) {
        rng = FuzzRandom(seed: seed)
        self.settings = settings
        self.loggedIn = loggedIn
    }

    mutating func burstSize() -> Int {
        rng.chance(0.4) ? 1 : Int.random(in: 2...48, using: &rng)
    }

    /// Remembers the lead and lease of an OK reply.
    mutating func learn(_ fields: [Field]) {
        if let lead = fields.value("lead") { remember(&seenLeads, lead) }
        if let lease = fields.value("lease") { remember(&seenLeases, lease) }
    }

    private func remember(_ list: inout Deque<String>, _ value: String) {
        if list.count >= 32 { list.removeFirst() }
        list.append(value)
    }

    /// One line, terminator included.
    mutating func line() -> [UInt8] {
        counter += 1
        var body: [UInt8]
        let roll = Int.random(in: 0..<1000, using: &rng)
        switch roll {
        case 0..<330: body = Array(request().utf8)
        case 330..<550: body = mutate(Array(request().utf8))
        case 550..<640: body = randomBytes(Int.random(in: 0...300, using: &rng))
        case 640..<720: body = withInvalidUTF8(Array(request().utf8))
        case 720..<770: body = withNUL()
        case 770..<820: body = Array(hugeValue().utf8)
        case 820..<825: body = overLong()
        case 825..<827: body = Array("\(tag()) QUIT".utf8)
        case 827..<880: body = blank()
        default: body = Array((rng.chance(0.5) ? "\(tag()) PING" : "\(tag()) HELP").utf8)
        }
        for i in body.indices where body[i] == 0x0A { body[i] = 0x0B }
        if rng.chance(0.1) { body.append(0x0D) }
        body.append(0x0A)
        return body
    }

    /// A readable tag most of the time, sometimes none or an invalid one.
    mutating func tag() -> String {
        let roll = Int.random(in: 0..<100, using: &rng)
        if roll < 80 { return "#f\(counter)" }
        if roll < 90 { return "" }
        return ["#", "#" + String(repeating: "t", count: 33), "#a/b", "#é", "##x"].randomElement(using: &rng)!
    }

    /// A request for a catalogue verb with random arguments: required keys mostly there,
    /// optional ones sometimes, now and then an unknown or repeated key.
    mutating func request() -> String {
        let spec = pickVerb()
        var words: [String] = []
        let t = tag()
        if !t.isEmpty { words.append(t) }
        var verb = spec.verb
        if rng.chance(0.1) { verb = verb.lowercased() }
        if rng.chance(0.05) { verb = verb.replacingOccurrences(of: " ", with: " \t ") }
        words.append(verb)
        var keys: [String] = []
        for key in spec.required where rng.chance(0.92) { keys.append(key) }
        for key in spec.optional where rng.chance(0.3) { keys.append(key) }
        if rng.chance(0.05) { keys.append(["colour", "Lead", "x", "lead_id", "a-b"].randomElement(using: &rng)!) }
        if rng.chance(0.03), let again = keys.randomElement(using: &rng) { keys.append(again) }
        if rng.chance(0.3) { keys.shuffle(using: &rng) }
        for key in keys { words.append("\(key)=\(encoded(value(for: key)))") }
        return words.joined(separator: rng.chance(0.05) ? "\t" : " ")
    }

    /// Verbs a connection's role may run, mostly; others (refused) sometimes.
    mutating func pickVerb() -> VerbSpec {
        let all = VerbCatalogue.all
        if !loggedIn, rng.chance(0.6) {
            let open = all.filter { $0.verb != "QUIT" && ($0.verb == "PING" || $0.verb == "HELP" || $0.verb == "AUTH") }
            return open.randomElement(using: &rng)!
        }
        // QUIT comes from line(), at its own rate; AUTH on a logged-in connection is DENIED.
        let choices = all.filter { $0.verb != "QUIT" && ($0.verb != "AUTH" || rng.chance(0.05)) }
        return choices.randomElement(using: &rng)!
    }

    /// A value for `key`: plausible most of the time, junk otherwise.
    mutating func value(for key: String) -> String {
        if rng.chance(0.12) { return junk() }
        switch key {
        case "lead":
            if !seenLeads.isEmpty, rng.chance(0.4) { return seenLeads.randomElement(using: &rng)! }
            if let id = settings.leadIDs.randomElement(using: &rng), rng.chance(0.8) { return String(id) }
            return ["0", "1", "-1", "99999999999999999999", "abc", ""].randomElement(using: &rng)!
        case "lease":
            if !seenLeases.isEmpty, rng.chance(0.5) { return seenLeases.randomElement(using: &rng)! }
            return String(Int.random(in: 0...40, using: &rng))
        case "wait":
            // Never a long wait: a CLAIM waits at most a second.
            return ["0", "0", "1", "-1", "301", "x", "", "1.5"].randomElement(using: &rng)!
        case "view": return ["high_end", "not_called", "callback", "all", "HIGH_END", "none"].randomElement(using: &rng)!
        case "code":
            return ["not_reachable", "callback", "not_interested", "will_place_order", "waiting_for_quote", "already_placed_order",
                    "sold_elsewhere", "wrong_number", "not_serviceable", "device_not_supported", "create_order", "maybe"]
                .randomElement(using: &rng)!
        case "reason":
            return ["price_too_low", "competitor_quote", "pickup_trust", "payment_delay", "busy_later", "no_pickup_area", "other", "why"]
                .randomElement(using: &rng)!
        case "at", "slot", "created_at", "before", "after":
            return ["2030-01-01T10:00:00Z", "2020-01-01T10:00:00Z", "2026-12-24T19:00:00+05:30", "2027-01-01T00:00:00.5Z",
                    "2026-13-01T00:00:00Z", "2026-12-24T19:00:00", "tomorrow", "2026-12-24T24:00:60Z"].randomElement(using: &rng)!
        case "to" where rng.chance(0.5):
            return ["cx", "ops", "pricing", "pool", "legal"].randomElement(using: &rng)!
        case "agent", "from", "to":
            if let name = settings.agentNames.randomElement(using: &rng), rng.chance(0.7) { return name }
            return ["pool", "nobody", "admin", ""].randomElement(using: &rng)!
        case "team":
            if let team = settings.teams.randomElement(using: &rng), rng.chance(0.7) { return team }
            return ["north", "nowhere", ""].randomElement(using: &rng)!
        case "token": return String(format: "%016llx", rng.next())
        case "idem":
            if rng.chance(0.1) { return hugeID() }
            return "i\(rng.next() % 5000)"
        case "phone": return rng.chance(0.8) ? "+9196\(String(format: "%08d", Int.random(in: 0..<100_000_000, using: &rng)))" : "12ab"
        case "price", "count", "limit", "capacity", "order", "lease_minutes", "callback_grace_minutes", "callback_horizon_days",
             "follow_up_hours", "attempts_per_day", "attempt_spacing_minutes", "unreachable_after_days", "events":
            return [String(Int.random(in: 0...50, using: &rng)), String(Int.random(in: 0...5_000_000, using: &rng)), "-5", "1e3",
                    "99999999999999999999"].randomElement(using: &rng)!
        case "consent", "price_confirmed", "senior", "force", "starred_mode", "junior_high_ends":
            return ["1", "yes", "true", "0", "no", "FALSE", "maybe"].randomElement(using: &rng)!
        case "category": return ["phone", "laptop", "tablet", "toaster"].randomElement(using: &rng)!
        case "brand": return ["Apple", "Samsung", "Nokia", "Acme"].randomElement(using: &rng)!
        case "model": return ["iPhone 15 Pro", "Galaxy A54", "3310", "Z"].randomElement(using: &rng)!
        case "variant": return ["256GB", "128GB", "basic", ""].randomElement(using: &rng)!
        case "pincode": return ["560001", "400001", "411001", "000000", "5600"].randomElement(using: &rng)!
        case "city", "cities": return ["Bengaluru", "Mumbai", "Pune, New Delhi", "a,,b", ""].randomElement(using: &rng)!
        case "devices", "languages": return ["phone", "phone,laptop", "hindi,english", "", ",,"].randomElement(using: &rng)!
        case "conditions": return ["screen=good", "screen:ok,body:minor_dents", "", "x"].randomElement(using: &rng)!
        case "payment": return ["upi", "bank", "cash"].randomElement(using: &rng)!
        case "payment_ref": return ["customer@okbank", "IFSC0001:1234", ""].randomElement(using: &rng)!
        case "kind": return ["online", "price_recheck", "payment_failed", "magic"].randomElement(using: &rng)!
        case "status": return ["open", "resolved", "closed"].randomElement(using: &rng)!
        case "source": return ["web", "app", "walk_in", "test"].randomElement(using: &rng)!
        case "shift_end": return ["18:00", "none", "25:00", "", "09:30:15"].randomElement(using: &rng)!
        case "call_window": return ["00:00-23:59", "09:00-21:00", "21:00-09:00", "x"].randomElement(using: &rng)!
        case "verb": return VerbCatalogue.all.randomElement(using: &rng)!.verb.lowercased()
        default: return text()
        }
    }

    /// Free text: words, punctuation that needs quoting, escapes, non-ASCII.
    mutating func text() -> String {
        let pieces = ["busy", "call at 7 PM", "\"quoted\"", "back\\slash", "line\nbreak", "tab\there", "₹18,500", "नमस्ते",
                      "🇮🇳", "e\u{301}", "=", "#", ",", "", " ", "\u{7f}", "\u{1b}[0m"]
        return (0..<Int.random(in: 0...4, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined(separator: " ")
    }

    /// A value the encoder may not produce: broken quoting, stray backslashes, bad escapes.
    mutating func junk() -> String {
        ["\"unterminated", "a\"b", "x\\y", "\"\\q\"", "\"\\xff\"", "\"a\"b", "\"\\x0\"", String(repeating: "z", count: 300)]
            .randomElement(using: &rng)!
    }

    /// Values are sent encoded (§4) most of the time; junk goes raw.
    mutating func encoded(_ value: String) -> String {
        if value.hasPrefix("\"") || value.contains("\\") && rng.chance(0.5) { return value }
        return Wire.encodeValue(value)
    }

    /// An id of 129–300 code points (BAD_ARG), ASCII or emoji.
    mutating func hugeID() -> String {
        let count = Int.random(in: 129...300, using: &rng)
        return rng.chance(0.5) ? String(repeating: "k", count: count) : String(repeating: "🇮🇳", count: (count + 1) / 2)
    }

    /// A request with a huge idem or a value near the line limit.
    mutating func hugeValue() -> String {
        if rng.chance(0.5) {
            return "\(tag()) NOTE lead=\(value(for: "lead")) text=busy idem=\(Wire.encodeValue(hugeID()))"
        }
        let room = max(16, settings.maxLineLength - 64)
        return "\(tag()) NOTE lead=\(value(for: "lead")) text=\(String(repeating: "n", count: Int.random(in: room / 2...room, using: &rng)))"
    }

    /// Flips, drops, inserts or duplicates a few bytes.
    mutating func mutate(_ line: [UInt8]) -> [UInt8] {
        var out = line
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !out.isEmpty else { break }
            let i = Int.random(in: 0..<out.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: out[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: out.remove(at: i)
            case 2: out.insert([0x22, 0x5C, 0x3D, 0x20, 0x23, 0x09, 0x0D, 0x00].randomElement(using: &rng)!, at: i)
            case 3: out.insert(contentsOf: out[i..<min(out.count, i + 8)], at: i)
            default: out[i] ^= 0x20
            }
        }
        return out
    }

    mutating func randomBytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// A request with an invalid UTF-8 sequence spliced in.
    mutating func withInvalidUTF8(_ line: [UInt8]) -> [UInt8] {
        let bad: [[UInt8]] = [[0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xC3], [0x80]]
        var out = line
        out.insert(contentsOf: bad.randomElement(using: &rng)!, at: Int.random(in: 0...out.count, using: &rng))
        return out
    }

    /// NUL as a raw byte (BAD_FORMAT) or escaped in a quoted value (BAD_ARG).
    mutating func withNUL() -> [UInt8] {
        if rng.chance(0.5) { return Array("\(tag()) NOTE lead=1 text=\"a\\x00b\"".utf8) }
        var out = Array("\(tag()) PING".utf8)
        out.insert(0x00, at: Int.random(in: 0...out.count, using: &rng))
        return out
    }

    /// Just past the line limit (LINE_TOO_LONG, then the server closes).
    mutating func overLong() -> [UInt8] {
        Array("NOTE lead=1 text=".utf8) + [UInt8](repeating: 0x61, count: settings.maxLineLength + Int.random(in: 1...3000, using: &rng))
    }

    /// Empty, or spaces and tabs only: no reply.
    mutating func blank() -> [UInt8] {
        (0..<Int.random(in: 0...6, using: &rng)).map { _ in rng.chance(0.5) ? 0x20 : 0x09 }
    }
}

/// SplitMix64: small, fast, seedable.
struct FuzzRandom: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}
