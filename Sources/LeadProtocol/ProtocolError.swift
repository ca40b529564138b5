/// A request the protocol layer refuses before any verb runs.
///
/// It exists so the server can answer `ERR [#tag] CODE message` for malformed
/// input without knowing how the input was parsed: the error carries the wire
/// code, a human message, and the request's tag when the tag could be read.
public struct ProtocolError: Error, Sendable, Equatable {
    /// The error codes this module owns. Every other code the service sends
    /// (NOAUTH, LEASE_LOST, …) is defined by the layer that detects it and is
    /// listed in docs/PROTOCOL.md.
    public enum Code: String, Sendable, CaseIterable {
        /// The line breaks the grammar: bad tag, bad quoting, control byte, invalid UTF-8, …
        case badFormat = "BAD_FORMAT"
        /// A key is unknown, repeated, missing, or its value has the wrong type.
        case badArg = "BAD_ARG"
        /// The verb is not in the catalogue.
        case unknownVerb = "UNKNOWN_VERB"
        /// The line is longer than the configured maximum; the server closes the connection.
        case lineTooLong = "LINE_TOO_LONG"
    }

    public var code: Code
    public var message: String
    /// The request's tag, if it was parsed before the error was found.
    public var tag: String?

    public init(_ code: Code, _ message: String, tag: String? = nil) {
        self.code = code
        self.message = message
        self.tag = tag
    }

    static func badFormat(_ message: String, tag: String? = nil) -> ProtocolError {
        ProtocolError(.badFormat, message, tag: tag)
    }

    static func badArg(_ key: String, _ problem: String, tag: String? = nil) -> ProtocolError {
        ProtocolError(.badArg, "\(key): \(problem)", tag: tag)
    }
}
