import LeadStore
import Testing

/// The stored token hash must not change when its implementation does: agents' tokens
/// already in `agents.token_hash` (and the request ledger's digests) were made by the
/// OpenSSL `EVP_Digest(EVP_sha256())` code this replaced.
///
/// The expected digests were computed before the switch by OpenSSL itself
/// (`openssl dgst -sha256`, the same `EVP_sha256` the old code called) and by Python's
/// `hashlib`, over the bytes salt ‖ token.
@Suite struct AgentTokenTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test(arguments: [
        ([UInt8](), "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ([UInt8](), "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (Array(UInt8(0)...UInt8(15)), "abcdefghijklmnopqrstuvwxyz234567",
         "5a440f0bfb6dc2ff49300cfbd5a12b7ce0055b7029885edbd8e9b12a4957818e"),
        ([UInt8](repeating: 0xff, count: 16), "café-ünïcode",
         "3bea9ac74b7f5e2eec1e17a180a22d2c26b55f95d44b78accc6aa9a82518561b"),
        (Array([UInt8]([7, 0, 200, 13]).repeated(4)), String(repeating: "x", count: 1000),
         "09eb581591c5d97304bf8203ce3c8fd3b657befe82e426d39633082d61451501"),
    ])
    func hashIsSHA256OfSaltThenToken(salt: [UInt8], token: String, expected: String) {
        #expect(Self.hex(AgentToken.hash(token: token, salt: salt)) == expected)
    }

    @Test func equalComparesWholeDigests() {
        let a = AgentToken.hash(token: "abc", salt: [1, 2, 3])
        var b = a
        #expect(AgentToken.equal(a, b))
        b[31] ^= 1
        #expect(!AgentToken.equal(a, b))
        #expect(!AgentToken.equal(a, Array(a.prefix(31))))
    }

    @Test func generatedTokensAreBase32AndDistinct() {
        let tokens = (0..<200).map { _ in AgentToken.generate() }
        #expect(Set(tokens).count == tokens.count)
        for token in tokens {
            #expect(token.utf8.count == 32)
            #expect(token.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
        }
        let salts = (0..<50).map { _ in AgentToken.randomBytes(16) }
        #expect(Set(salts).count == salts.count)
        #expect(salts.allSatisfy { $0.count == 16 })
    }

    @Test func byteaHexRoundTrips() {
        let bytes = AgentToken.hash(token: "abc", salt: [])
        let text = AgentToken.byteaHex(bytes)
        #expect(text == "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(AgentToken.fromByteaHex(text) == bytes)
        #expect(AgentToken.fromByteaHex("ba78") == nil)
    }
}

extension Array {
    fileprivate func repeated(_ times: Int) -> [Element] { (0..<times).flatMap { _ in self } }
}
