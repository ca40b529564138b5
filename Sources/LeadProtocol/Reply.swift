/// A complete server reply, ready to encode.
///
/// It exists so the server never writes reply syntax by hand: every form of
/// docs/PROTOCOL.md §5 is one case here, and `encode()` produces the exact
/// bytes, including value quoting and the `rows=N` / `ROW` / `END` framing.
public enum Reply: Sendable, Equatable {
    /// `HELLO leadline proto=1`, sent once on connect.
    case hello
    /// `OK [#tag] key=value …`
    case ok(tag: String?, fields: [Field])
    /// `ERR [#tag] CODE message`. `code` is any wire error code; the message is
    /// free text for people (control characters become spaces).
    case error(tag: String?, code: String, message: String)
    /// `OK [#tag] rows=N key=value …`, then N `ROW key=value …` lines, then
    /// `END [#tag]`. `fields` are extra header fields after `rows=N`.
    case rows(tag: String?, fields: [Field] = [], rows: [[Field]])

    /// The reply for a protocol error, echoing its tag.
    public init(_ error: ProtocolError) {
        self = .error(tag: error.tag, code: error.code.rawValue, message: error.message)
    }

    /// The reply as wire text, every line ending in `\n`.
    public func encode() -> String {
        switch self {
        case .hello:
            return Wire.greeting + "\n"
        case .ok(let tag, let fields):
            assert(fields.first?.key != "rows", "rows= as first field is reserved for multi-row replies")
            return "OK" + Self.tagPart(tag) + Wire.encodeFields(fields) + "\n"
        case .error(let tag, let code, let message):
            let text = Self.sanitized(message)
            return "ERR" + Self.tagPart(tag) + " " + code + (text.isEmpty ? "" : " " + text) + "\n"
        case .rows(let tag, let fields, let rows):
            var out = "OK" + Self.tagPart(tag) + " rows=\(rows.count)" + Wire.encodeFields(fields) + "\n"
            for row in rows {
                out += "ROW" + Wire.encodeFields(row) + "\n"
            }
            return out + "END" + Self.tagPart(tag) + "\n"
        }
    }

    private static func tagPart(_ tag: String?) -> String {
        guard let tag else { return "" }
        assert(Wire.isValidTag(tag), "invalid tag \(tag)")
        return " #" + tag
    }

    /// The message with control characters replaced by spaces and leading
    /// spaces removed, so it stays on one line and parses back unchanged.
    static func sanitized(_ message: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in message.unicodeScalars {
            let printable = scalar.value >= 0x20 && scalar.value != 0x7F
            if scalars.isEmpty && !(printable && scalar != " ") { continue }
            scalars.append(printable ? scalar : " ")
        }
        return String(scalars)
    }
}

/// One line of a reply as a client reads it.
///
/// It exists for clients (the CLI, test helpers, independent checkers): the
/// server encodes `Reply`, clients parse `ReplyLine`s and assemble them with
/// `ReplyReader`.
public enum ReplyLine: Sendable, Equatable {
    /// `HELLO <server> key=value …`
    case hello(server: String, fields: [Field])
    /// `OK [#tag] key=value …` (a multi-row header starts with `rows=`).
    case ok(tag: String?, fields: [Field])
    /// `ERR [#tag] CODE message`
    case error(tag: String?, code: String, message: String)
    /// `ROW key=value …`
    case row(fields: [Field])
    /// `END [#tag]`
    case end(tag: String?)

    /// Parses one reply line (without its `\n`).
    public static func parse(_ line: [UInt8]) -> Result<ReplyLine, ProtocolError> {
        do throws(ProtocolError) {
            return .success(try parseLine(line))
        } catch {
            return .failure(error)
        }
    }

    /// Parses one reply line given as text.
    public static func parse(_ line: String) -> Result<ReplyLine, ProtocolError> {
        parse(Array(line.utf8))
    }

    private static func parseLine(_ line: [UInt8]) throws(ProtocolError) -> ReplyLine {
        try LineScanner.checkBytes(line, tag: nil)
        var scanner = LineScanner(line)
        let keyword = String(decoding: scanner.rawWord(), as: UTF8.self)
        switch keyword {
        case "HELLO":
            let server = String(decoding: scanner.rawWord(), as: UTF8.self)
            return .hello(server: server, fields: try scanner.pairs())
        case "OK":
            let tag = try readTag(&scanner)
            return .ok(tag: tag, fields: try scanner.pairs())
        case "ERR":
            let tag = try readTag(&scanner)
            let code = scanner.rawWord()
            guard !code.isEmpty, code.allSatisfy({ ASCII.isUpper($0) || ASCII.isDigit($0) || $0 == UInt8(ascii: "_") }) else {
                throw .badFormat("ERR without an upper-case error code")
            }
            return .error(tag: tag, code: String(decoding: code, as: UTF8.self), message: scanner.rest())
        case "ROW":
            return .row(fields: try scanner.pairs())
        case "END":
            let tag = try readTag(&scanner)
            scanner.skipSpaces()
            guard scanner.atEnd else { throw .badFormat("END takes only a tag") }
            return .end(tag: tag)
        default:
            throw .badFormat("unknown reply \(LineScanner.preview(Array(keyword.utf8)[...]))")
        }
    }

    private static func readTag(_ scanner: inout LineScanner) throws(ProtocolError) -> String? {
        scanner.skipSpaces()
        guard scanner.peek == ASCII.hash else { return nil }
        let word = scanner.rawWord().dropFirst()
        guard Wire.isValidTag(word) else { throw .badFormat("invalid tag") }
        return String(decoding: word, as: UTF8.self)
    }
}

/// Assembles `ReplyLine`s into whole `Reply`s on the client side.
///
/// It exists because a multi-row reply spans `2 + N` lines; the reader checks
/// that the `ROW` count matches `rows=N` and that `END` echoes the tag.
public struct ReplyReader: Sendable {
    private struct Pending: Sendable {
        var tag: String?
        var fields: [Field]
        var expected: Int
        var rows: [[Field]]
    }

    private var pending: Pending?

    public init() {}

    /// True between a `rows=N` header and its `END`.
    public var isInsideRows: Bool { pending != nil }

    /// Consumes one line; returns a reply when one is complete, nil while a
    /// multi-row reply is still arriving. Out-of-place lines are BAD_FORMAT.
    public mutating func read(_ line: ReplyLine) throws(ProtocolError) -> Reply? {
        if var current = pending {
            switch line {
            case .row(let fields):
                guard current.rows.count < current.expected else {
                    throw .badFormat("more ROW lines than rows=\(current.expected)")
                }
                current.rows.append(fields)
                pending = current
                return nil
            case .end(let tag):
                guard current.rows.count == current.expected else {
                    throw .badFormat("END after \(current.rows.count) of \(current.expected) rows")
                }
                guard tag == current.tag else { throw .badFormat("END tag does not match the OK tag") }
                pending = nil
                return .rows(tag: current.tag, fields: current.fields, rows: current.rows)
            default:
                throw .badFormat("expected ROW or END inside a multi-row reply")
            }
        }
        switch line {
        case .hello(let server, let fields):
            guard server == "leadline", fields.value("proto") == String(Wire.protocolVersion) else {
                throw .badFormat("unsupported greeting: want leadline proto=\(Wire.protocolVersion)")
            }
            return .hello
        case .ok(let tag, let fields):
            guard let header = fields.first, header.key == "rows" else {
                return .ok(tag: tag, fields: fields)
            }
            guard !header.value.isEmpty, header.value.utf8.allSatisfy(ASCII.isDigit), let count = Int(header.value) else {
                throw .badFormat("rows= must be a non-negative integer")
            }
            pending = Pending(tag: tag, fields: Array(fields.dropFirst()), expected: count, rows: [])
            return nil
        case .error(let tag, let code, let message):
            return .error(tag: tag, code: code, message: message)
        case .row, .end:
            throw .badFormat("ROW or END outside a multi-row reply")
        }
    }
}
