import DrainpipeCore
import Metrics

/// Admission control shared by the drain and Graphite paths: drops measurements the owner's allow and deny lists
/// refuse (counted, never an error for the request), then charges the rest to the owner's caps.
package struct IngressAdmission: Sendable {
    /// What passed admission.
    package struct Admitted: Sendable {
        package var measurements: [Measurement]
        /// Measurements dropped by the allow and deny lists.
        package var deniedCount: Int
        /// What was charged to the owner's caps, for `refund(_:)`.
        package var charge: IngressQuotaLedger.Charge?
    }

    private let ledger: IngressQuotaLedger
    private let clock: any WallClock
    private let denied: Counter
    private let overQuota: Counter

    package init(ledger: IngressQuotaLedger = IngressQuotaLedger(), clock: any WallClock, metrics: any MetricsFactory) {
        self.ledger = ledger
        self.clock = clock
        denied = Counter(label: "drainpipe_ingress_measurements_denied_total", factory: metrics)
        overQuota = Counter(label: "drainpipe_ingress_requests_over_quota_total", factory: metrics)
    }

    /// Filters `measurements` by `owner`'s lists and charges what is left to its caps.
    ///
    /// - Throws: `.overQuota` when a cap would be passed, `.largerThanCap` when the request alone exceeds one; nothing
    ///   is charged then, and other owners are unaffected.
    package func admit(_ measurements: [Measurement], owner: TenantDirectory.Owner) throws(IngressError) -> Admitted {
        var admitted = measurements
        if !owner.admitsEverything {
            admitted = measurements.filter { owner.admits(metric: $0.metric) }
        }
        let deniedCount = measurements.count - admitted.count
        if deniedCount > 0 { denied.increment(by: deniedCount) }
        var charge: IngressQuotaLedger.Charge?
        if !owner.limits.isUnlimited {
            let series = owner.limits.distinctSeriesPerMinute == nil ? [] : admitted.map(IngressQuotaLedger.seriesHash)
            switch ledger.charge(
                owner: owner.id, limits: owner.limits, updates: admitted.count, series: series, now: clock.now())
            {
            case .admitted(let charged):
                charge = charged
            case .overQuota(let cap, let retryAfter):
                overQuota.increment()
                throw .overQuota(cap: cap, retryAfterSeconds: retryAfter)
            case .largerThanCap(let cap, let requested, let limit):
                overQuota.increment()
                throw .largerThanCap(cap: cap, requested: requested, limit: limit)
            }
        }
        return Admitted(measurements: admitted, deniedCount: deniedCount, charge: charge)
    }

    /// Takes back the caps charged for `admitted` when it was not delivered after all.
    package func refund(_ admitted: Admitted) {
        if let charge = admitted.charge { ledger.refund(charge) }
    }
}
