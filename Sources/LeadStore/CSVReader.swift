import Foundation

/// A streaming RFC 4180 CSV reader: quoted fields, doubled quotes, CRLF or LF, and
/// newlines inside quotes. Reads in chunks so a million-row file is not held in memory.
public struct CSVReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false
    /// The physical line number where the last returned record started (1-based).
    public private(set) var recordLine = 0
    private var line = 1

    public init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        self.handle = handle
    }

    /// Makes sure a byte is buffered at `position`; false at the end of the file.
    private mutating func fill() -> Bool {
        if position < buffer.count { return true }
        if finished { return false }
        let data = handle.readData(ofLength: 1 << 20)
        if data.isEmpty {
            finished = true
            return false
        }
        buffer = [UInt8](data)
        position = 0
        return true
    }

    private mutating func byte() -> UInt8? {
        guard fill() else { return nil }
        defer { position += 1 }
        return buffer[position]
    }

    private mutating func peek() -> UInt8? {
        fill() ? buffer[position] : nil
    }

    /// The next record, or nil at the end of the file. Invalid UTF-8 is replaced.
    public mutating func next() -> [String]? {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var sawAny = false
        recordLine = line
        while let b = byte() {
            sawAny = true
            if quoted {
                if b == UInt8(ascii: "\"") {
                    if peek() == UInt8(ascii: "\"") {
                        _ = byte()
                        field.append(b)
                    } else {
                        quoted = false
                    }
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                quoted = true
            case UInt8(ascii: ","):
                fields.append(String(decoding: field, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
            case UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "\n"):
                line += 1
                fields.append(String(decoding: field, as: UTF8.self))
                if fields.count == 1 && fields[0].isEmpty {
                    // A blank line: skip it.
                    fields.removeAll()
                    field.removeAll(keepingCapacity: true)
                    recordLine = line
                    continue
                }
                return fields
            default:
                field.append(b)
            }
        }
        guard sawAny else { return nil }
        fields.append(String(decoding: field, as: UTF8.self))
        if fields.count == 1 && fields[0].isEmpty { return nil }
        return fields
    }
}
