import Testing
@testable import LeadProtocol

@Suite("LineFramer")
struct FramerTests {
    @Test func splitsManyLinesInOneFeed() {
        var framer = LineFramer()
        let events = framer.feed(bytes("PING\nHELP\n#a QUIT\n"))
        #expect(lines(events) == ["PING", "HELP", "#a QUIT"])
        #expect(framer.bufferedByteCount == 0)
    }

    @Test func joinsALineSplitAcrossFeeds() {
        var framer = LineFramer()
        #expect(framer.feed(bytes("CLA")).isEmpty)
        #expect(framer.feed(bytes("IM wa")).isEmpty)
        #expect(framer.bufferedByteCount == 8)
        #expect(lines(framer.feed(bytes("it=5\nPI"))) == ["CLAIM wait=5"])
        #expect(lines(framer.feed(bytes("NG\n"))) == ["PING"])
    }

    @Test func feedsOneByteAtATime() {
        var framer = LineFramer()
        var all: [LineFramer.Event] = []
        for byte in bytes("AUTH agent=asha token=x\r\nPING\n") {
            all += framer.feed([byte])
        }
        #expect(lines(all) == ["AUTH agent=asha token=x", "PING"])
    }

    @Test func stripsCROnlyBeforeLF() {
        var framer = LineFramer()
        let events = framer.feed(bytes("PING\r\nA\rB\n\r\r\n"))
        // The CR inside "A\rB" stays (the parser rejects it); "\r\r" keeps one CR.
        #expect(events == [.line(bytes("PING")), .line(bytes("A\rB")), .line([0x0D])])
    }

    @Test func crlfSplitBetweenFeeds() {
        var framer = LineFramer()
        #expect(framer.feed(bytes("PING\r")).isEmpty)
        #expect(framer.feed(bytes("\n")) == [.line(bytes("PING"))])
    }

    @Test func dropsBlankLines() {
        var framer = LineFramer()
        let events = framer.feed(bytes("\n\r\n   \n\t \r\nPING\n"))
        #expect(events == [.line(bytes("PING"))])
    }

    @Test func acceptsALineOfExactlyTheLimit() {
        var framer = LineFramer(maxLineLength: 10)
        let line = String(repeating: "x", count: 10)
        #expect(framer.feed(bytes(line + "\n")) == [.line(bytes(line))])
        // With a CRLF terminator the CR does not count either, even split across feeds.
        #expect(framer.feed(bytes(line + "\r")).isEmpty)
        #expect(framer.feed(bytes("\n")) == [.line(bytes(line))])
    }

    @Test func reportsTooLongOnceThenResumes() {
        var framer = LineFramer(maxLineLength: 10)
        var events = framer.feed(bytes(String(repeating: "y", count: 11)))
        #expect(events == [.tooLong])
        #expect(framer.isDiscarding)
        #expect(framer.bufferedByteCount == 0)
        events = framer.feed(bytes(String(repeating: "y", count: 50)))
        #expect(events.isEmpty)
        events = framer.feed(bytes("yyy\nPING\n"))
        #expect(events == [.line(bytes("PING"))])
        #expect(!framer.isDiscarding)
    }

    @Test func crAtTheLimitFollowedByMoreIsTooLong() {
        var framer = LineFramer(maxLineLength: 4)
        #expect(framer.feed(bytes("abcd\r")).isEmpty)
        #expect(framer.feed(bytes("e\nok\n")) == [.tooLong, .line(bytes("ok"))])
    }

    @Test func tooLongBetweenGoodLines() {
        var framer = LineFramer(maxLineLength: 8)
        let events = framer.feed(bytes("PING\n" + String(repeating: "z", count: 30) + "\nHELP\n"))
        #expect(events == [.line(bytes("PING")), .tooLong, .line(bytes("HELP"))])
    }

    @Test func memoryStaysBoundedOnAnEndlessLine() {
        var framer = LineFramer(maxLineLength: 64)
        var tooLong = 0
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 {
            for event in framer.feed(chunk) where event == .tooLong { tooLong += 1 }
            #expect(framer.bufferedByteCount <= 65)
        }
        #expect(tooLong == 1)
    }

    @Test func defaultLimitIs8192() {
        var framer = LineFramer()
        #expect(framer.maxLineLength == 8192)
        let ok = [UInt8](repeating: UInt8(ascii: "a"), count: 8192)
        #expect(framer.feed(ok + [0x0A]) == [.line(ok)])
        #expect(framer.feed(ok + [UInt8(ascii: "a")]) == [.tooLong])
    }

    @Test func acceptsSlices() {
        var framer = LineFramer()
        let data = bytes("xxPING\nyy")
        #expect(framer.feed(data[2...]) == [.line(bytes("PING"))])
        #expect(framer.bufferedByteCount == 2)
    }

    @Test func unfinishedLineIsNotEmitted() {
        var framer = LineFramer()
        #expect(framer.feed(bytes("PING")).isEmpty)
        #expect(framer.bufferedByteCount == 4)
    }
}
