import Foundation
import LeadProtocol
@testable import LeadServer
import Testing

/// The connection's state machine on its own: events in, decisions out, times given. No
/// sockets, no database, no sleeps.
@Suite("Session state machine")
struct SessionStateTests {
    let start = Date(timeIntervalSince1970: 1_781_500_000)
    let ping = Session.Queued.refused(.ok(tag: nil, fields: []))

    func config(idle: Double = 0, auth: Double = 0, reply: Double = 0) -> ServerConfig {
        var c = ServerConfig()
        c.idleTimeout = idle
        c.authTimeout = auth
        c.replyTimeout = reply
        return c
    }

    @Test func thePipelineHoldsAtMostDepthRequests() {
        var s = SessionState(openedAt: start, depth: 3)
        var started = 0
        var read = 0
        while s.takeRoom() {
            if s.enqueue(ping) { started += 1 }
            read += 1
        }
        #expect(read == 3 && started == 1, "one executor for the burst, three requests read")
        // A reply going out makes room, and the reader, which found it full, is told.
        _ = s.next()
        let r1 = s.answered(at: start)
        #expect(r1 == true)
        let r2 = s.answered(at: start)
        #expect(r2 == false, "told once")
        #expect(s.mostUnanswered == 3)
    }

    @Test func theReaderAnswersOnlyWhenNothingIsAheadOfIt() {
        var s = SessionState(openedAt: start, depth: 2)
        #expect(s.loopMayAnswer)
        let r3 = s.enqueue(ping)
        #expect(r3)
        #expect(!s.loopMayAnswer, "a queued request is ahead")
        _ = s.next()
        #expect(!s.loopMayAnswer, "the executor is still running it")
        _ = s.answered(at: start)
        let r4 = s.next().item
        #expect(r4 == nil)
        #expect(s.loopMayAnswer, "the executor stopped: nothing ahead")
        s.loopAnswers(at: start)
        s.loopAnswers(at: start)
        #expect(!s.loopMayAnswer, "two replies in flight fill a pipeline of two")
        let r5 = s.takeRoom()
        #expect(!r5)
        s.writeEnds(at: start)
        let r6 = s.answered(at: start)
        #expect(r6, "the reader waited for room")
        #expect(s.loopMayAnswer)
        s.loggedIn(.init(agentID: 1, credential: "x"))
        let r7 = s.revokeLogin(at: start)
        #expect(r7)
        #expect(!s.loopMayAnswer, "a revoked login is logged out by the executor first")
        let r8 = s.takeRevocation()
        #expect(r8)
        let r9 = s.takeRevocation()
        #expect(!r9, "taken once")
    }

    @Test func repliesUnreadCountFromTheLastWriteThatCompleted() {
        var s = SessionState(openedAt: start, depth: 4)
        let c = config(reply: 30)
        s.loopAnswers(at: start)
        s.loopAnswers(at: start.addingTimeInterval(10))
        #expect(s.overdue(at: start.addingTimeInterval(29), config: c) == nil)
        s.writeEnds(at: start.addingTimeInterval(29))  // one went out: the other waits from now
        #expect(s.overdue(at: start.addingTimeInterval(58), config: c) == nil)
        #expect(s.overdue(at: start.addingTimeInterval(59), config: c) == .repliesUnread)
        s.writeEnds(at: start.addingTimeInterval(59))
        #expect(s.overdue(at: start.addingTimeInterval(500), config: c) == nil, "nothing in flight")
    }

    @Test func theAuthDeadlineWaitsForARunningRequestAndRestartsOnRevocation() {
        var s = SessionState(openedAt: start, depth: 4)
        let c = config(auth: 10)
        #expect(s.overdue(at: start.addingTimeInterval(9.9), config: c) == nil)
        s.setExecuting(true, at: start.addingTimeInterval(9))
        #expect(s.overdue(at: start.addingTimeInterval(11), config: c) == nil, "an AUTH running at the deadline finishes")
        s.setExecuting(false, at: start.addingTimeInterval(11))
        #expect(s.overdue(at: start.addingTimeInterval(11), config: c) == .authTimeout)
        s.loggedIn(.init(agentID: 7, credential: "x"))
        #expect(s.overdue(at: start.addingTimeInterval(1000), config: c) == nil, "logged in")
        let revoked = s.revokeLogin(at: start.addingTimeInterval(1000))
        #expect(revoked)
        #expect(s.overdue(at: start.addingTimeInterval(1009), config: c) == nil)
        #expect(s.overdue(at: start.addingTimeInterval(1010), config: c) == .authTimeout)
    }

    @Test func idleMeansNothingReadRunningOwedOrWaiting() {
        var s = SessionState(openedAt: start, depth: 4)
        let c = config(idle: 60)
        #expect(s.overdue(at: start.addingTimeInterval(60), config: c) == .idle)
        let r10 = s.waitingClaimArrives()
        #expect(r10)
        let r11 = s.waitingClaimArrives()
        #expect(!r11, "a second waiting CLAIM is BUSY")
        #expect(s.overdue(at: start.addingTimeInterval(600), config: c) == nil, "a CLAIM waits")
        s.waitingClaimAnswered()
        _ = s.enqueue(ping)
        #expect(s.overdue(at: start.addingTimeInterval(600), config: c) == nil, "a request is owed")
        _ = s.next()
        _ = s.answered(at: start.addingTimeInterval(600))
        #expect(s.overdue(at: start.addingTimeInterval(659), config: c) == nil)
        #expect(s.overdue(at: start.addingTimeInterval(660), config: c) == .idle)
    }

    @Test func theSessionIsLetGoExactlyOnceWhateverEndsFirst() {
        // Channel closes while a request runs: let go when the executor stops.
        var a = SessionState(openedAt: start, depth: 4)
        _ = a.enqueue(ping)
        _ = a.next()
        let r12 = a.closeChannel()
        #expect(!r12, "a request still runs")
        let last = a.next()
        #expect(last.item == nil && last.over)
        let r13 = a.next().over
        #expect(r13 == false, "once")
        let r14 = a.enqueue(ping)
        let r15 = a.takeRoom()
        #expect(!r14 && !r15, "nothing more is read")
        #expect(a.overdue(at: start.addingTimeInterval(1e6), config: config(idle: 1, auth: 1, reply: 1)) == nil)

        // The executor ends it (QUIT), then the channel closes.
        var b = SessionState(openedAt: start, depth: 4)
        _ = b.enqueue(ping)
        _ = b.next()
        let r16 = b.executorEnds()
        #expect(!r16)
        let r17 = b.closeChannel()
        #expect(r17)
        let r18 = b.closeChannel()
        #expect(!r18)

        // An idle connection closes.
        var c = SessionState(openedAt: start, depth: 4)
        let r19 = c.closeChannel()
        #expect(r19)
        let after = c.next()
        #expect(after.item == nil && !after.over)
    }
}
