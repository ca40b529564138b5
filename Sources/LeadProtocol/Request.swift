/// One parsed request line: `[#tag] VERB key=value …`.
///
/// It exists to hand the server a verb and its arguments with all wire syntax
/// (tags, quoting, escapes, case) already resolved. It says nothing about
/// whether the verb exists or the keys fit it: that is `VerbCatalogue.validate`.
public struct Request: Sendable, Equatable {
    /// The tag without `#`, echoed in the reply; nil if the request had none.
    public var tag: String?
    /// One or two upper-case words joined by one space, e.g. `CLAIM`, `LEAD ADD`.
    public var verb: String
    /// The arguments in the order they were sent; keys are unique.
    public var args: [Field]

    public init(tag: String? = nil, verb: String, args: [Field] = []) {
        self.tag = tag
        self.verb = verb
        self.args = args
    }

    /// The raw value of `key`, or nil if it was not sent.
    public subscript(key: String) -> String? {
        args.value(key)
    }

    /// The request as a wire line, ending in `\n`. Used by clients and tests.
    public func encode() -> String {
        var line = tag.map { "#\($0) " } ?? ""
        line += verb
        line += Wire.encodeFields(args)
        return line + "\n"
    }
}

/// Turns one framed line into a `Request`.
///
/// It exists so that every syntax rule of docs/PROTOCOL.md §2–§4 is enforced in
/// one pure function the server, the CLI and the fuzz tests share.
public enum RequestParser {
    /// Parses a line without its terminator (as `LineFramer` yields it).
    ///
    /// Errors are BAD_FORMAT (grammar) or BAD_ARG (a repeated key). The tag is
    /// read first, so an error found later in the line still carries it.
    public static func parse(_ line: [UInt8]) -> Result<Request, ProtocolError> {
        do throws(ProtocolError) {
            return .success(try parseLine(line))
        } catch {
            return .failure(error)
        }
    }

    /// Parses a line given as text; convenient for tests and clients.
    public static func parse(_ line: String) -> Result<Request, ProtocolError> {
        parse(Array(line.utf8))
    }

    private static func parseLine(_ line: [UInt8]) throws(ProtocolError) -> Request {
        var scanner = LineScanner(line)
        scanner.skipSpaces()
        if scanner.peek == ASCII.hash {
            let word = scanner.rawWord()
            guard Wire.isValidTag(word.dropFirst()) else {
                throw .badFormat("invalid tag: # then 1 to 32 of A-Z a-z 0-9 _ . : -")
            }
            scanner.tag = String(decoding: word.dropFirst(), as: UTF8.self)
        }
        let tag = scanner.tag
        try LineScanner.checkBytes(line, tag: tag)

        var verbWords: [String] = []
        var args: [Field] = []
        while let token = try scanner.nextToken() {
            switch token {
            case .word(let word):
                guard args.isEmpty else {
                    throw .badFormat("expected key=value, got \(LineScanner.preview(Array(word.utf8)[...]))", tag: tag)
                }
                guard word.utf8.allSatisfy(ASCII.isLetter) else {
                    throw .badFormat("invalid verb \(LineScanner.preview(Array(word.utf8)[...])): a verb is letters only", tag: tag)
                }
                verbWords.append(String(decoding: word.utf8.map(ASCII.uppercased), as: UTF8.self))
                guard verbWords.count <= 2 else {
                    throw .badFormat("too many words before the first key=value: a verb has at most two words", tag: tag)
                }
            case .pair(let key, let value):
                guard !verbWords.isEmpty else { throw .badFormat("missing verb before key=value", tag: tag) }
                guard args.value(key) == nil else { throw .badArg(key, "repeated", tag: tag) }
                args.append(Field(key, value))
            }
        }
        guard !verbWords.isEmpty else { throw .badFormat("missing verb", tag: tag) }
        return Request(tag: tag, verb: verbWords.joined(separator: " "), args: args)
    }
}
