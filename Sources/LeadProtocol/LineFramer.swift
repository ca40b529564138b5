/// Splits a byte stream into protocol lines, with a hard bound on memory.
///
/// It exists because a TCP read can hold half a line or many lines, and a
/// client must not be able to make the server buffer an endless line. Feed it
/// whatever bytes arrive; it returns the complete lines (without `\n` and
/// without a `\r` just before it) and reports `.tooLong` once, as soon as the
/// current line exceeds `maxLineLength`. After `.tooLong` it drops bytes up to
/// and including the next `\n`, then frames normally again.
///
/// Blank lines (empty, or only spaces and tabs) are dropped here: the protocol
/// gives them no reply. The framer never holds more than `maxLineLength + 1`
/// bytes. A partial line left when the stream ends is simply never emitted.
public struct LineFramer: Sendable {
    /// What one feed produced, in stream order.
    public enum Event: Sendable, Equatable {
        /// A complete line, without its `\n` or `\r\n` terminator.
        case line([UInt8])
        /// The current line exceeded `maxLineLength` bytes; it is being discarded.
        case tooLong
    }

    /// The default maximum line length in bytes, terminator not counted.
    public static let defaultMaxLineLength = 8192

    /// The longest line accepted, in bytes, not counting `\r\n` or `\n`.
    public let maxLineLength: Int

    private var buffer: [UInt8] = []
    private var discarding = false

    public init(maxLineLength: Int = LineFramer.defaultMaxLineLength) {
        precondition(maxLineLength > 0, "maxLineLength must be positive")
        self.maxLineLength = maxLineLength
    }

    /// Bytes of the unfinished current line held in memory (at most `maxLineLength + 1`).
    public var bufferedByteCount: Int { buffer.count }

    /// True while the rest of an over-long line is being thrown away.
    public var isDiscarding: Bool { discarding }

    /// Consumes `bytes` and returns the lines and `.tooLong` events they complete.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [Event] where Bytes.Element == UInt8 {
        var events: [Event] = []
        for byte in bytes {
            if discarding {
                if byte == ASCII.lf { discarding = false }
                continue
            }
            if byte == ASCII.lf {
                if buffer.last == ASCII.cr { buffer.removeLast() }
                if !Self.isBlank(buffer) { events.append(.line(buffer)) }
                buffer.removeAll(keepingCapacity: true)
                continue
            }
            buffer.append(byte)
            if buffer.count > maxLineLength {
                // One byte of grace: a CR right at the limit may be the CR of "\r\n".
                if buffer.count == maxLineLength + 1 && byte == ASCII.cr { continue }
                events.append(.tooLong)
                buffer.removeAll(keepingCapacity: true)
                discarding = true
            }
        }
        return events
    }

    /// True if the line is empty or holds only spaces and tabs.
    public static func isBlank<Bytes: Sequence>(_ line: Bytes) -> Bool where Bytes.Element == UInt8 {
        line.allSatisfy { $0 == ASCII.space || $0 == ASCII.tab }
    }
}

/// Byte constants used by the framer, parser and encoder.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22 // "
    static let hash: UInt8 = 0x23 // #
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let equals: UInt8 = 0x3D
    static let backslash: UInt8 = 0x5C
    static let del: UInt8 = 0x7F

    static func isSpace(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// A control byte that may not appear raw in a line: everything below
    /// 0x20 except tab, and DEL.
    static func isForbiddenControl(_ byte: UInt8) -> Bool {
        (byte < 0x20 && byte != tab) || byte == del
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    static func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
    static func isLetter(_ byte: UInt8) -> Bool { isLower(byte) || isUpper(byte) }
    static func uppercased(_ byte: UInt8) -> UInt8 { isLower(byte) ? byte - 0x20 : byte }
}
