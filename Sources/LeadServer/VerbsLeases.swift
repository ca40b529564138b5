import Foundation
import LeadCore
import LeadProtocol
import LeadStore
import Postgres

/// The outcome of one claim attempt.
enum ClaimAttempt: Sendable {
    case claimed(ClaimedLead)
    case empty
    case refused(Refusal)
}

// The agent's lease verbs: CLAIM (with waiting), TOUCH, RELEASE, MINE.
extension Verbs {
    /// CLAIM [wait=] [view=]: the next lead in claim order under a new lease; with wait>0,
    /// waits for one (woken by LISTEN `leadline_ready`, polling as a fallback).
    func claim(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let wait = try request.optionalInt("wait", range: 0...context.config.maxClaimWait) ?? 0
        let view = try claimView(request)
        if view == .highEnd {
            let allowed = try await db { c in try LeadQueue().mayTakeHighEnd(c, agent: me.id) }
            guard allowed else {
                throw Refusal(.denied, "view=high_end: High-End leads go to senior agents; your team does not give them to juniors")
            }
        }
        let started = ContinuousClock.now
        // The wait's deadline is on the server's clock (a test ends it by advancing time).
        let clock = self.clock
        let deadline = clock.now().addingTimeInterval(Double(wait))
        guard wait > 0 else {
            return try claimReply(try await attempt(agent: me.id, team: me.teamID, view: view), request: request, wait: 0, session: session)
        }

        // Registered before the first attempt, so a lead that becomes ready meanwhile is not missed.
        let waiters = context.waiters
        let registration = waiters.register(agent: me.id, team: me.teamID)
        var claimedLead: Int64?
        defer {
            waiters.unregister(registration.id, claimed: claimedLead)
            session.handle?.setClaimWake(nil)
        }
        var machine = ClaimWait(deadline: deadline)
        let first = try await attempt(agent: me.id, team: me.teamID, view: view)
        var step = machine.firstAttempted(first, shuttingDown: context.isShuttingDown,
                                          inputOpen: session.handle?.setClaimWake(registration.continuation) ?? true)
        let poll = context.config.claimPoll
        let wakes = registration.wakes
        let wake = registration.continuation
        let ending: ClaimWait.Ending = try await withThrowingTaskGroup(of: Void.self) { group in
            if case .wait = step {
                group.addTask {
                    // The fallback poll (jittered so waiters spread out), then the deadline,
                    // both slept on the server's clock.
                    while !Task.isCancelled {
                        let remaining = deadline.timeIntervalSince(clock.now())
                        if remaining <= 0 { break }
                        let next = max(0.05, poll) * Double.random(in: 0.75...1.25)
                        let nap = Duration.microseconds(Int((min(next, remaining) * 1_000_000).rounded(.up)))
                        do { try await clock.sleep(for: nap) } catch { return }
                        if clock.now() < deadline { wake.yield(.poll) }
                    }
                    wake.yield(.deadline)
                }
            }
            defer { group.cancelAll() }
            var wakeUps = wakes.makeAsyncIterator()
            while true {
                switch step {
                case .answer(let ending, let passOn):
                    if let passOn { waiters.notify(passOn.lead, tried: passOn.tried) }
                    return ending
                case .wait(let passOn):
                    if let passOn { waiters.notify(passOn.lead, tried: passOn.tried) }
                    waiters.markIdle(registration.id)
                    guard let reason = await wakeUps.next() else { return .outcome(.empty) }
                    step = machine.woke(reason, at: clock.now())
                case .attempt(let actingOnHint):
                    waiters.markBusy(registration.id, actingOnHint: actingOnHint)
                    step = machine.attempted(try await attempt(agent: me.id, team: me.teamID, view: view))
                }
            }
        }
        let outcome: ClaimAttempt
        switch ending {
        case .outcome(let result): outcome = result
        case .shuttingDown: throw Refusal(.shuttingDown, "the server is stopping; CLAIM again on another instance or after restart")
        case .loggedOut: throw Refusal(.noAuth, "your login ended: the agent was disabled or its token changed; AUTH again")
        }
        if case .claimed(let lead) = outcome {
            claimedLead = lead.id
            if machine.attempts > 1 { context.metrics.claimWait.record(ContinuousClock.now - started) }
        }
        return try claimReply(outcome, request: request, wait: wait, session: session)
    }

    /// `view=` of CLAIM: one of the three claim tiers (not `all`).
    private func claimView(_ request: Request) throws -> View? {
        guard let raw = try request.optionalString("view") else { return nil }
        guard let view = View(rawValue: raw), view.tier != nil else {
            throw request.badArg("view", "expected one of high_end, not_called, callback")
        }
        return view
    }

    /// One claim in the team's claim order: without a view, a `not_called_first` team looks
    /// for a Not Called lead first, then takes the usual order (docs/RULES.md §14).
    func attempt(agent: Int64, team: Int64, view: View?) async throws -> ClaimAttempt {
        guard view == nil else { return try await attemptOnce(agent: agent, team: team, view: view) }
        for pass in try await claimOrder(team: team).passes {
            let result = try await attemptOnce(agent: agent, team: team, view: pass)
            if case .empty = result { continue }
            return result
        }
        return .empty
    }

    /// The team's claim order, cached for `ServerContext.claimOrderTTL` of server time.
    func claimOrder(team: Int64) async throws -> ClaimOrder {
        let now = clock.now()
        if let cached = context.claimOrders.withLock({ $0[team] }),
           now >= cached.readAt, now.timeIntervalSince(cached.readAt) < ServerContext.claimOrderTTL {
            return cached.order
        }
        let order = try await db { c in try LeadQueue().claimOrder(c, team: team) }
        context.claimOrders.withLock { $0[team] = CachedClaimOrder(order: order, readAt: now) }
        return order
    }

    /// One claim: through the coalescer (batched with concurrent claims of the team) or,
    /// with `claim_batch = 1`, one claim statement on a pooled connection.
    func attemptOnce(agent: Int64, team: Int64, view: View?) async throws -> ClaimAttempt {
        if context.config.claimBatch > 1 {
            return try await context.claims.claim(agent: agent, team: team, view: view)
        }
        let metrics = context.metrics
        return try await db { c in
            let start = ContinuousClock.now
            let result = try LeadQueue().claim(c, agent: agent, now: clock.now(), view: view)
            metrics.claimLatency.record(ContinuousClock.now - start)
            switch result {
            case .claimed(let lead):
                return .claimed(lead)
            case .empty:
                return .empty
            case .refused(let refusal):
                return .refused(refusal)
            }
        }
    }

    private func claimReply(_ attempt: ClaimAttempt, request: Request, wait: Int, session: SessionContext) throws -> Reply {
        switch attempt {
        case .claimed(let lead):
            context.metrics.claimed(view: lead.view)
            session.logger.info("claimed", metadata: ["lead": "\(lead.id)", "lease": "\(lead.lease)", "view": "\(lead.view)"])
            return .ok(tag: request.tag, fields: Replies.claimed(lead))
        case .refused(let refusal):
            throw refusal
        case .empty:
            if wait == 0 { throw Refusal(.empty, "no eligible lead now") }
            throw Refusal(.empty, "no eligible lead within \(wait) s")
        }
    }

    /// TOUCH lead= lease=: extends the lease to now plus the team's lease length.
    func touch(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let lead = try id(request, "lead")
        let lease = try id(request, "lease")
        do {
            let due = try await db { c in try LeadQueue().touch(c, lead: lead, agent: me.id, lease: lease, now: clock.now()) }
            return .ok(tag: request.tag, fields: Replies.touched(lead: lead, lease: lease, due: due))
        } catch {
            throw leaseRefusal(error)
        }
    }

    /// RELEASE lead= lease= [note=] [idem=]: gives the lead back to its queue, unchanged.
    func release(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let lead = try id(request, "lead")
        let lease = try id(request, "lease")
        let note = try request.optionalString("note")
        let idem = try request.optionalString("idem")
        do {
            let released = try await db { c in
                try CallDesk().release(c, lead: lead, agent: me.id, lease: lease, note: note, requestID: idem, now: clock.now())
            }
            session.logger.info("released", metadata: ["lead": "\(lead)", "lease": "\(lease)"])
            return .ok(tag: request.tag, fields: Replies.released(released))
        } catch {
            throw leaseRefusal(error)
        }
    }

    /// MINE: the leads this agent holds, soonest lease expiry first (how a reconnecting
    /// agent recovers its leases).
    func mine(_ request: Request, session: SessionContext) async throws -> Reply {
        let me = session.agent
        let cards = try await db { c in try LeadCards().held(c, by: me.id, now: clock.now()) }
        return .rows(tag: request.tag, rows: cards.map(Replies.held))
    }
}
