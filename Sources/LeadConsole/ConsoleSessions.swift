import Foundation
import LeadServer
import Synchronization

/// The console's logins, by the random id in the browser's session cookie.
///
/// It exists so the agent's token is sent once (the login form) and never again: the
/// browser holds only an opaque, HttpOnly, SameSite=Strict cookie, and every POST must
/// also carry the login's CSRF token, which the page got in its HTML. A login ends after
/// `idleLimit` without a request, measured on the server's `FloorClock`, at logout, or
/// when its agent is disabled or given a new token.
final class ConsoleSessions: Sendable {
    /// One browser login.
    struct Entry: Sendable {
        var login: ConsoleLogin
        let csrf: String
        /// The team's time zone (IANA), for the callback picker.
        let timeZone: String
        var lastSeen: Date
    }

    private let entries = Mutex<[String: Entry]>([:])
    let idleLimit: TimeInterval

    init(idleLimit: TimeInterval) {
        self.idleLimit = idleLimit
    }

    var count: Int { entries.withLock { $0.count } }

    /// A new login; returns its cookie id and the entry.
    func create(_ login: ConsoleLogin, timeZone: String, now: Date) -> (id: String, entry: Entry) {
        let id = Self.randomToken()
        let entry = Entry(login: login, csrf: Self.randomToken(), timeZone: timeZone, lastSeen: now)
        entries.withLock { table in
            // Forget expired logins now and then (a table of abandoned browsers stays small).
            if table.count > 1000 { table = table.filter { now.timeIntervalSince($0.value.lastSeen) <= idleLimit } }
            table[id] = entry
        }
        return (id, entry)
    }

    /// The login of a cookie id, if it exists and has not expired; a request counts as
    /// activity (`touch: false` for the live feed, which is not the person acting).
    func find(_ id: String, now: Date, touch: Bool = true) -> Entry? {
        entries.withLock { table in
            guard var entry = table[id] else { return nil }
            guard now.timeIntervalSince(entry.lastSeen) <= idleLimit else {
                table[id] = nil
                return nil
            }
            if touch {
                entry.lastSeen = max(entry.lastSeen, now)
                table[id] = entry
            }
            return entry
        }
    }

    /// Stores a login a verb changed (e.g. logged out after a revocation).
    func update(_ id: String, login: ConsoleLogin) {
        entries.withLock { table in table[id]?.login = login }
    }

    func remove(_ id: String) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    /// 32 random bytes as hex, from the system's cryptographic generator.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let n = generator.next() as UInt64
            let hex = String(n, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// Compares two secrets in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
