import Prometheus

/// The server's Prometheus metrics, one registry per server instance (so tests can run
/// several servers in one process), served by `MetricsHTTP` at `GET /metrics`. Every name
/// starts with `leadline_`.
public struct ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    let connectionsOpen: Gauge
    let connectionsAccepted: Counter
    let connectionsRefused: Counter
    let claimWaiters: Gauge
    let claimLatency: DurationHistogram
    let claimWait: DurationHistogram
    let claimBatchSize: ValueHistogram
    let conversions: Counter
    let slaBreaches: Counter
    let leasesExpired: Counter
    let callbacksPromoted: Counter
    let backgroundFailures: Counter
    let backgroundPasses: Counter

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        connectionsOpen = registry.makeGauge(descriptor: Self.name("connections", "", "Open protocol connections."))
        connectionsAccepted = registry.makeCounter(descriptor: Self.name("connections_accepted", "total", "Protocol connections accepted."))
        connectionsRefused = registry.makeCounter(descriptor: Self.name(
            "connections_refused", "total", "Connections refused with TOO_MANY_CONNECTIONS or SHUTTING_DOWN."))
        claimWaiters = registry.makeGauge(descriptor: Self.name("claim_waiters", "", "CLAIMs waiting for a lead right now."))
        claimLatency = registry.makeDurationHistogram(
            descriptor: Self.name("claim_latency", "seconds", "Time of one claim attempt against the database."),
            buckets: [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                      .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                      .milliseconds(500), .seconds(1)])
        claimWait = registry.makeDurationHistogram(
            descriptor: Self.name("claim_wait", "seconds", "Time from a waiting CLAIM's request to its lead."),
            buckets: [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                      .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)])
        claimBatchSize = registry.makeValueHistogram(
            descriptor: Self.name("claim_batch_size", "", "Claims decided by one claim statement (ClaimCoalescer)."),
            buckets: [1, 2, 4, 8, 16, 32, 64])
        conversions = registry.makeCounter(descriptor: Self.name("conversions", "total", "Orders created by CONVERT."))
        slaBreaches = registry.makeCounter(descriptor: Self.name("sla_breaches", "total", "SLA breaches recorded by the SLA watcher."))
        leasesExpired = registry.makeCounter(descriptor: Self.name("leases_expired", "total", "Leases returned to the queue by the reaper."))
        callbacksPromoted = registry.makeCounter(descriptor: Self.name(
            "scheduled_promoted", "total", "Callbacks, retries and follow-ups that came due."))
        backgroundFailures = registry.makeCounter(descriptor: Self.name(
            "background_failures", "total", "Background passes that failed (database down, …)."))
        backgroundPasses = registry.makeCounter(descriptor: Self.name(
            "background_passes", "total", "Background passes completed (lease reaper, callbacks, SLA watcher, boosts, shift ends)."))
    }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "leadline", metricName: metric, unitName: unit, helpText: help)
    }

    /// One more lead handed out, by the view it came from.
    func claimed(view: String) {
        registry.makeCounter(descriptor: Self.name("claims", "total", "Leads claimed, by view."), labels: [("view", view)]).increment()
    }

    /// One more disposition (CONVERT counts as `create_order`).
    func disposed(code: String) {
        registry.makeCounter(descriptor: Self.name("dispositions", "total", "Dispositions recorded, by code."),
                             labels: [("code", code)]).increment()
    }

    /// A request answered, by verb (lines refused before a verb was known count as `-`).
    func request(verb: String) {
        registry.makeCounter(descriptor: Self.name("requests", "total", "Requests answered, by verb."), labels: [("verb", verb)]).increment()
    }

    /// An `ERR` reply, by wire code.
    func error(code: String) {
        registry.makeCounter(descriptor: Self.name("errors", "total", "Error replies, by code."), labels: [("code", code)]).increment()
    }

    /// A connection the server closed on its own, by reason (`idle`, `auth_timeout`,
    /// `replies_unread`).
    func connectionClosed(reason: String) {
        registry.makeCounter(descriptor: Self.name("connections_closed", "total", "Connections the server closed on its own, by reason."),
                             labels: [("reason", reason)]).increment()
    }

    func connectionClosed(reason: Session.Overdue) {
        switch reason {
        case .idle: connectionClosed(reason: "idle")
        case .authTimeout: connectionClosed(reason: "auth_timeout")
        case .repliesUnread: connectionClosed(reason: "replies_unread")
        }
    }

    /// A logged-in session logged out because its agent was disabled or its token changed.
    func loginRevoked() {
        registry.makeCounter(descriptor: Self.name("logins_revoked", "total",
                                                   "Sessions logged out because the agent was disabled or its token changed."))
            .increment()
    }

    /// A BI refresh that could not run, by reason: `busy` (another refresh held the refresh
    /// lock) or `failed` (an error, a lock or statement timeout included).
    func biRefreshSkipped(reason: String) {
        registry.makeCounter(descriptor: Self.name("bi_refresh_skipped", "total",
                                                   "BI rollup refreshes that could not run, by reason (busy, failed)."),
                             labels: [("reason", reason)]).increment()
    }

    /// A team lead's floor action (assign, move, pause, …), by action.
    func floorAction(_ action: String) {
        registry.makeCounter(descriptor: Self.name("floor_actions", "total", "Team-lead floor actions, by action."),
                             labels: [("action", action)]).increment()
    }

    /// Claimable-now leads per view, as the last background pass counted them.
    func queueDepth(view: String, _ value: Int) {
        registry.makeGauge(descriptor: Self.name("queue_depth", "", "Leads claimable now, by view (the shared queue, all teams)."),
                           labels: [("view", view)]).set(Double(value))
    }

    /// The exposition text.
    public func render() -> String { registry.emitToString() }
}
