import Crypto

/// Agent secrets: random tokens, stored only as a salted SHA-256 hash and compared in
/// constant time. SHA-256 comes from swift-crypto (BoringSSL's on Linux), so the service
/// needs no OpenSSL headers; the digests are the same bytes OpenSSL made
/// (`AgentTokenTests`), so tokens issued before still work.
///
/// Tokens are 160-bit random strings handed out by `leadline agent add/token`, not
/// human passwords, so one salted hash resists offline guessing as well as a slow KDF
/// would, while keeping AUTH cheap for thousands of connections.
public enum AgentToken {
    /// A new secret: 32 characters of lowercase base32 (160 bits).
    public static func generate() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)
        var bytes = randomBytes(32)
        for i in bytes.indices { bytes[i] = alphabet[Int(bytes[i] & 31)] }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `count` bytes from the system's cryptographically secure generator (`getrandom`
    /// on Linux, the generator `SystemRandomNumberGenerator` documents as secure).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// SHA-256 of salt ‖ token.
    public static func hash(token: String, salt: [UInt8]) -> [UInt8] {
        var sha = SHA256()
        sha.update(data: salt)
        sha.update(data: Array(token.utf8))
        return Array(sha.finalize())
    }

    /// Constant-time equality of two digests: every byte is compared, whatever differs.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// `\x…` hex, PostgreSQL's bytea text format.
    public static func byteaHex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = Array("\\x".utf8)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses `\x…` hex.
    public static func fromByteaHex(_ text: String) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count >= 2, u[0] == UInt8(ascii: "\\"), u[1] == UInt8(ascii: "x"), u.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out: [UInt8] = []
        var i = 2
        while i < u.count {
            guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}
