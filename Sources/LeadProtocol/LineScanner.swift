/// Reads the tokens of one line: bare words and `key=value` pairs.
///
/// Shared by the request parser and the reply parser so both sides read
/// quoting and escapes the same way. It works on bytes: every delimiter is
/// ASCII, and UTF-8 never uses ASCII bytes inside a multi-byte character, so
/// splitting at delimiters cannot cut a character in half. Callers check the
/// whole line for control bytes and valid UTF-8 first.
struct LineScanner {
    enum Token: Equatable {
        case word(String)
        case pair(key: String, value: String)
    }

    let bytes: [UInt8]
    /// The tag to attach to errors, once known.
    var tag: String?
    private(set) var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { index >= bytes.count }

    var peek: UInt8? { atEnd ? nil : bytes[index] }

    mutating func skipSpaces() {
        while let byte = peek, ASCII.isSpace(byte) { index += 1 }
    }

    /// The bytes up to the next space or tab (or the end), without interpretation.
    mutating func rawWord() -> ArraySlice<UInt8> {
        skipSpaces()
        let start = index
        while let byte = peek, !ASCII.isSpace(byte) { index += 1 }
        return bytes[start..<index]
    }

    /// Everything after the current position, leading spaces skipped.
    mutating func rest() -> String {
        skipSpaces()
        defer { index = bytes.count }
        return String(decoding: bytes[index...], as: UTF8.self)
    }

    /// The next word or pair, or nil at the end of the line.
    mutating func nextToken() throws(ProtocolError) -> Token? {
        skipSpaces()
        guard !atEnd else { return nil }
        let start = index
        while let byte = peek, !ASCII.isSpace(byte), byte != ASCII.equals { index += 1 }
        guard peek == ASCII.equals else {
            return .word(String(decoding: bytes[start..<index], as: UTF8.self))
        }
        let keyBytes = bytes[start..<index]
        index += 1 // past "="
        guard Wire.isValidKey(keyBytes) else {
            throw .badFormat("invalid key \(Self.preview(keyBytes)): keys are lower case, [a-z][a-z0-9_]*", tag: tag)
        }
        let key = String(decoding: keyBytes, as: UTF8.self)
        return .pair(key: key, value: try value(for: key))
    }

    /// The `key=value` pairs up to the end of the line; a bare word or a
    /// repeated key is an error.
    mutating func pairs() throws(ProtocolError) -> [Field] {
        var fields: [Field] = []
        while let token = try nextToken() {
            switch token {
            case .word(let word):
                throw .badFormat("expected key=value, got \(Self.preview(Array(word.utf8)[...]))", tag: tag)
            case .pair(let key, let value):
                guard fields.value(key) == nil else { throw .badArg(key, "repeated", tag: tag) }
                fields.append(Field(key, value))
            }
        }
        return fields
    }

    private mutating func value(for key: String) throws(ProtocolError) -> String {
        guard let first = peek, !ASCII.isSpace(first) else { return "" }
        if first == ASCII.quote { return try quotedValue(for: key) }
        let start = index
        while let byte = peek, !ASCII.isSpace(byte) {
            if byte == ASCII.quote || byte == ASCII.backslash {
                throw .badFormat("\(key): \" or \\ inside an unquoted value; quote the whole value", tag: tag)
            }
            index += 1
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func quotedValue(for key: String) throws(ProtocolError) -> String {
        index += 1 // past the opening quote
        var out: [UInt8] = []
        while true {
            guard let byte = peek else {
                throw .badFormat("\(key): unterminated quoted value", tag: tag)
            }
            index += 1
            if byte == ASCII.quote { break }
            guard byte == ASCII.backslash else {
                out.append(byte)
                continue
            }
            guard let escape = peek else {
                throw .badFormat("\(key): unterminated quoted value", tag: tag)
            }
            index += 1
            switch escape {
            case ASCII.quote: out.append(ASCII.quote)
            case ASCII.backslash: out.append(ASCII.backslash)
            case UInt8(ascii: "n"): out.append(ASCII.lf)
            case UInt8(ascii: "t"): out.append(ASCII.tab)
            case UInt8(ascii: "r"): out.append(ASCII.cr)
            case UInt8(ascii: "x"):
                guard index + 2 <= bytes.count,
                      let high = Self.hexValue(bytes[index]), let low = Self.hexValue(bytes[index + 1]),
                      high < 8
                else {
                    throw .badFormat("\(key): \\x needs two hex digits from 00 to 7f", tag: tag)
                }
                index += 2
                out.append(high << 4 | low)
            default:
                throw .badFormat("\(key): unknown escape \\\(Self.preview([escape])); use \\\" \\\\ \\n \\t \\r or \\xHH", tag: tag)
            }
        }
        if let next = peek, !ASCII.isSpace(next) {
            throw .badFormat("\(key): a space must follow the closing quote", tag: tag)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// A short, printable, quoted rendering of user input for error messages.
    static func preview(_ bytes: ArraySlice<UInt8>) -> String {
        let limit = 24
        var text = String(decoding: bytes.prefix(limit), as: UTF8.self)
        text = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return "\"" + text + (bytes.count > limit ? "…" : "") + "\""
    }

    /// Rejects raw control bytes (other than tab) and invalid UTF-8.
    static func checkBytes(_ bytes: [UInt8], tag: String?) throws(ProtocolError) {
        if let position = bytes.firstIndex(where: ASCII.isForbiddenControl) {
            let hex = String(bytes[position], radix: 16)
            throw .badFormat("control byte 0x\(hex.count == 1 ? "0" + hex : hex) at byte \(position + 1); escape it inside a quoted value", tag: tag)
        }
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw .badFormat("the line is not valid UTF-8", tag: tag)
        }
    }
}
