import Testing
import LeadProtocol

@Suite("Fuzz")
struct FuzzTests {
    /// Random bytes, biased towards the protocol's own characters, through the
    /// framer, the request parser, the catalogue and the reply parser. Nothing
    /// may crash, every error has a protocol code, memory stays bounded, and
    /// whatever parses re-encodes to an equal request.
    @Test func randomBytesNeverCrash() throws {
        var rng = SplitMix64(seed: 0xC0FFEE)
        let alphabet = Array("CLAIM DISPOSE lead=1 #t \"\\n\\\"=, \t\r\n".utf8) + [0x00, 0x7F, 0xC3, 0xA9, 0xFF, 0xE2, 0x82, 0xB9]
        var framer = LineFramer(maxLineLength: 256)
        var parsed = 0
        var refused = 0
        for _ in 0..<3000 {
            let count = Int.random(in: 0...200, using: &rng)
            let chunk = (0..<count).map { _ in
                Bool.random(using: &rng) ? alphabet.randomElement(using: &rng)! : UInt8.random(in: 0...255, using: &rng)
            }
            for event in framer.feed(chunk) {
                guard case .line(let line) = event else { continue }
                #expect(line.count <= 256)
                #expect(!line.contains(0x0A))
                switch RequestParser.parse(line) {
                case .success(let request):
                    parsed += 1
                    let again = RequestParser.parse(Array(request.encode().utf8.dropLast()))
                    #expect(again == .success(request))
                    if case .failure(let error) = Result(catching: { () throws(ProtocolError) in try VerbCatalogue.validate(request) }) {
                        #expect([.unknownVerb, .badArg].contains(error.code))
                    }
                case .failure(let error):
                    refused += 1
                    #expect([.badFormat, .badArg].contains(error.code))
                    #expect(!Reply(error).encode().dropLast().contains("\n"))
                }
                _ = ReplyLine.parse(line)
            }
            #expect(framer.bufferedByteCount <= 257)
        }
        #expect(parsed > 0)
        #expect(refused > 0)
    }

    /// Mutations of valid requests: flip, drop and insert bytes.
    @Test func mutatedRequestsNeverCrash() {
        var rng = SplitMix64(seed: 42)
        let seeds = [
            #"#a1 DISPOSE lead=42 lease=7 code=callback at=2026-11-22T19:00:00+05:30 note="busy, call at 7 PM""#,
            #"CONVERT lead=1 lease=2 idem=x consent=yes address="12 \"A\" Road\nBlock 4""#,
            "LEAD ADD phone=9876543210 name=Ravi city=Pune",
        ]
        for _ in 0..<5000 {
            var line = Array(seeds.randomElement(using: &rng)!.utf8)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let position = Int.random(in: 0..<line.count, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0: line[position] = UInt8.random(in: 0...255, using: &rng)
                case 1: line.remove(at: position)
                default: line.insert(UInt8.random(in: 0...255, using: &rng), at: position)
                }
                if line.isEmpty { line = [0x41] }
            }
            if case .success(let request) = RequestParser.parse(line) {
                #expect(RequestParser.parse(Array(request.encode().utf8.dropLast())) == .success(request))
            }
        }
    }
}
