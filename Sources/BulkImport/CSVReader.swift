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

    /// The next record, or nil at the end of the file. Invalid UTF-8 is replaced.
    ///
    /// A byte-at-a-time state machine over the buffered chunk: a quote inside a quoted
    /// field is settled by the byte after it, which may come in the next chunk.
    public mutating func next() -> [String]? {
        var fields: [String] = []
        var field: [UInt8] = []
        var quoted = false
        /// A quote seen inside a quoted field: a doubled quote or the field's closing one.
        var quoteSeen = false
        var sawAny = false
        recordLine = line
        while fill() {
            sawAny = true
            var done = false
            var i = position
            buffer.withUnsafeBufferPointer { bytes in
                let end = bytes.count
                while i < end {
                    let b = bytes[i]
                    i += 1
                    if quoteSeen {
                        quoteSeen = false
                        if b == UInt8(ascii: "\"") {
                            field.append(b)
                            continue
                        }
                        quoted = false
                    } else if quoted {
                        if b == UInt8(ascii: "\"") {
                            quoteSeen = true
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
                        done = true
                        return
                    default:
                        field.append(b)
                    }
                }
            }
            position = i
            if done { return fields }
        }
        guard sawAny else { return nil }
        fields.append(String(decoding: field, as: UTF8.self))
        if fields.count == 1 && fields[0].isEmpty { return nil }
        return fields
    }
}
