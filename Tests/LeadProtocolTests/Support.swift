import LeadProtocol

/// A small deterministic generator, so randomised tests replay exactly.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Parses a request line, failing the caller's expectation on error.
func parseOK(_ line: String) throws -> Request {
    try RequestParser.parse(line).get()
}

/// The error a request line produces, or nil if it parsed.
func parseError(_ line: [UInt8]) -> ProtocolError? {
    if case .failure(let error) = RequestParser.parse(line) { return error }
    return nil
}

func parseError(_ line: String) -> ProtocolError? {
    parseError(bytes(line))
}

/// The lines of framer events, dropping `.tooLong`.
func lines(_ events: [LineFramer.Event]) -> [String] {
    events.compactMap {
        if case .line(let bytes) = $0 { return String(decoding: bytes, as: UTF8.self) }
        return nil
    }
}
