/// PostgreSQL COPY text-format encoding of one field (`\N` for NULL, backslash escapes).
enum CopyText {
    static func field(_ value: String?) -> String {
        guard let value else { return "\\N" }
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for ch in value.unicodeScalars {
            switch ch {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func line(_ fields: [String?]) -> String {
        fields.map(field).joined(separator: "\t")
    }
}
