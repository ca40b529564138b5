import LeadProtocol
import NIOCore

/// What a protocol connection reads: a complete request line, or the news that a line
/// outgrew the limit (the session answers `LINE_TOO_LONG` and closes).
enum InboundLine: Sendable {
    case line([UInt8])
    case tooLong
}

/// Frames the byte stream into request lines with LeadProtocol's `LineFramer`, so a line
/// can never make the server buffer more than the line limit (NIO's own line decoders
/// have no limit).
struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundLine

    private var framer: LineFramer

    init(maxLineLength: Int) {
        framer = LineFramer(maxLineLength: maxLineLength)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes > 0 else { return .needMoreData }
        let events = buffer.readWithUnsafeReadableBytes { raw -> (Int, [LineFramer.Event]) in
            (raw.count, framer.feed(raw))
        }
        for event in events {
            switch event {
            case .line(let bytes): context.fireChannelRead(Self.wrapInboundOut(.line(bytes)))
            case .tooLong: context.fireChannelRead(Self.wrapInboundOut(.tooLong))
            }
        }
        return .needMoreData
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Bytes after the last newline are discarded (docs/PROTOCOL.md §2).
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}
