import Foundation
import Synchronization

/// The one source of time for the server and its background passes.
///
/// Business rules (SLA deadlines, callback times, lease expiry, `created_at` checks) and
/// the server's own timers (idle and AUTH deadlines, background ticks) read time from a
/// `FloorClock` handed to them, never from `Date()`, so a test can set the floor to any
/// instant and move it forward without waiting — and passes at any hour of the day.
public protocol FloorClock: Sendable {
    /// The current wall-clock time.
    func now() -> Date
    /// Suspends for `duration` of this clock's time. Throws `CancellationError` when the
    /// calling task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// Real time: `Date()` and `Task.sleep`.
public struct SystemClock: FloorClock {
    public init() {}
    public func now() -> Date { Date() }
    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}

/// A clock tests set by hand: time stands still until `advance(by:)` or `set(to:)` moves
/// it, and sleepers wake when it passes their deadline (in deadline order).
public final class ManualClock: FloorClock {
    private struct Sleeper {
        let id: Int
        let deadline: Date
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Date
        var sleepers: [Sleeper] = []
        var nextID = 0
    }

    private let state: Mutex<State>

    /// A clock standing at `start`.
    public init(_ start: Date) {
        state = Mutex(State(now: start))
    }

    public func now() -> Date { state.withLock { $0.now } }

    /// How many tasks are sleeping on this clock now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for duration: Duration) async throws {
        let id = state.withLock { s -> Int in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { s -> Bool in
                    if Task.isCancelled { return true }
                    let deadline = s.now.addingTimeInterval(duration.seconds)
                    if duration <= .zero { return true }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                guard let i = s.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return s.sleepers.remove(at: i)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let woken = state.withLock { s -> [Sleeper] in
            s.now = s.now.addingTimeInterval(duration.seconds)
            return Self.takeDue(&s)
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Sets the time (forward or back) and wakes every sleeper whose deadline has come.
    public func set(to date: Date) {
        let woken = state.withLock { s -> [Sleeper] in
            s.now = date
            return Self.takeDue(&s)
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    private static func takeDue(_ s: inout State) -> [Sleeper] {
        let due = s.sleepers.filter { $0.deadline <= s.now }.sorted { $0.deadline < $1.deadline }
        s.sleepers.removeAll { $0.deadline <= s.now }
        return due
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
