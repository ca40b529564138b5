import Foundation
import LeadCore
import LeadStore

/// One `CLAIM wait=N` as a value, from its first attempt to its answer. It takes what
/// happened (an attempt's outcome, a wake-up and the time it arrived) and says what to do
/// next: attempt, wait, or answer, and which ready-lead hint to pass on to the next waiter.
/// It alone decides why a wait ends: a claim or a refusal from an attempt, the connection
/// closing (nothing claimed), the server stopping (`SHUTTING_DOWN`), the login ending
/// (`NOAUTH`), or the deadline (`EMPTY`). No I/O and no clock of its own:
/// `Verbs.claim` drives it with the server's clock and the waiters' wake-ups, and
/// `ClaimWaitStateTests` drives it with neither.
struct ClaimWait {
    /// A hint that a lead became claimable, with the waiters already given it.
    struct Hint: Equatable {
        let lead: ReadyLead
        let tried: Set<Int>
    }

    /// How the CLAIM is answered.
    enum Ending {
        /// A lead, a refusal, or (deadline, connection closed) nothing.
        case outcome(ClaimAttempt)
        /// The server is stopping.
        case shuttingDown
        /// The agent was disabled or its token changed.
        case loggedOut
    }

    /// What the driver does next.
    enum Step {
        /// Run one claim attempt. `actingOnHint`: the hint this waiter was handed is now its
        /// own to act on (or pass on), so the waiters do not hand it on if it leaves.
        case attempt(actingOnHint: Bool)
        /// Nothing claimed: pass `passOn` to the next waiter, go idle, wait for a wake-up.
        case wait(passOn: Hint?)
        /// Answer the CLAIM, after passing `passOn` to the next waiter.
        case answer(Ending, passOn: Hint?)
    }

    /// The end of the wait, on the server's clock.
    let deadline: Date
    /// The hint the running attempt acts on.
    private var acting: Hint?
    /// Attempts made so far.
    private(set) var attempts = 0

    init(deadline: Date) {
        self.deadline = deadline
    }

    /// The first attempt (made as soon as the waiter registered, so a lead that became
    /// ready meanwhile is not missed) came back. `shuttingDown`: the server began stopping
    /// while it ran; `inputOpen`: the connection is still there to wait on.
    mutating func firstAttempted(_ result: ClaimAttempt, shuttingDown: Bool, inputOpen: Bool) -> Step {
        attempts += 1
        if case .empty = result {} else { return .answer(.outcome(result), passOn: nil) }
        if shuttingDown { return .answer(.shuttingDown, passOn: nil) }
        if !inputOpen { return .answer(.outcome(.empty), passOn: nil) }
        return .wait(passOn: nil)
    }

    /// A wake-up arrived at `now`. A hint handed to this waiter that it does not act on is
    /// handed on by the waiters when it leaves (`ClaimWaiters.unregister`).
    mutating func woke(_ reason: WakeReason, at now: Date) -> Step {
        switch reason {
        case .connectionClosed, .deadline:
            return .answer(.outcome(.empty), passOn: nil)
        case .shutdown:
            return .answer(.shuttingDown, passOn: nil)
        case .loggedOut:
            return .answer(.loggedOut, passOn: nil)
        case .poll:
            if now >= deadline { return .answer(.outcome(.empty), passOn: nil) }
            acting = nil
            return .attempt(actingOnHint: false)
        case .ready(let lead, let tried):
            if now >= deadline { return .answer(.outcome(.empty), passOn: nil) }
            acting = Hint(lead: lead, tried: tried)
            return .attempt(actingOnHint: true)
        }
    }

    /// The attempt the last step asked for came back: a lead or a refusal answers the CLAIM
    /// (a hint for another lead goes on to the next waiter); nothing means wait again.
    mutating func attempted(_ result: ClaimAttempt) -> Step {
        attempts += 1
        let hint = acting
        acting = nil
        switch result {
        case .claimed(let lead):
            return .answer(.outcome(result), passOn: hint?.lead.leadID == lead.id ? nil : hint)
        case .refused:
            return .answer(.outcome(result), passOn: hint)
        case .empty:
            return .wait(passOn: hint)
        }
    }
}
