import DrainpipeCore
import Metrics

/// Admission control shared by the drain and Graphite paths: drops measurements the owner's allow and deny lists
/// refuse (counted, never an error for the request), then charges the rest to the owner's caps.
package struct IngressAdmission: Sendable {
    /// The owner's allow and deny lists applied to measurements on their way to `destination` (the ingress's raw
    /// records, as a request is parsed), counting what passed for the caps; `charge(_:)` then charges it.
    package struct Filter<Destination: MeasurementSink>: MeasurementSink {
        package let owner: TenantDirectory.Owner
        package private(set) var destination: Destination
        /// Measurements that passed the lists.
        package private(set) var admittedCount = 0
        /// Measurements dropped by the lists.
        package private(set) var deniedCount = 0
        /// The series hashes (`IngressQuotaLedger.seriesHash`) of what passed, when the owner has a series cap.
        fileprivate private(set) var series: [Int] = []
        private let admitsEverything: Bool
        private let tracksSeries: Bool

        package init(owner: TenantDirectory.Owner, into destination: Destination) {
            self.owner = owner
            self.destination = destination
            admitsEverything = owner.admitsEverything
            tracksSeries = !owner.limits.isUnlimited && owner.limits.distinctSeriesPerMinute != nil
        }

        package mutating func append(_ measurement: Measurement) {
            guard admitsEverything || owner.admits(metric: measurement.metric) else {
                deniedCount += 1
                return
            }
            admittedCount += 1
            if tracksSeries { series.append(IngressQuotaLedger.seriesHash(of: measurement)) }
            destination.append(measurement)
        }
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

    /// Counts what `filter` dropped and charges what it let through to its owner's caps; nil when the owner has none.
    ///
    /// - Throws: `.overQuota` when a cap would be passed, `.largerThanCap` when the request alone exceeds one; nothing
    ///   is charged then, and other owners are unaffected.
    package func charge<Destination>(
        _ filter: Filter<Destination>
    ) throws(IngressError) -> IngressQuotaLedger.Charge? {
        if filter.deniedCount > 0 { denied.increment(by: filter.deniedCount) }
        let owner = filter.owner
        guard !owner.limits.isUnlimited else { return nil }
        switch ledger.charge(
            owner: owner.id, limits: owner.limits, updates: filter.admittedCount, series: filter.series,
            now: clock.now())
        {
        case .admitted(let charged):
            return charged
        case .overQuota(let cap, let retryAfter):
            overQuota.increment()
            throw .overQuota(cap: cap, retryAfterSeconds: retryAfter)
        case .largerThanCap(let cap, let requested, let limit):
            overQuota.increment()
            throw .largerThanCap(cap: cap, requested: requested, limit: limit)
        }
    }

    /// Takes back a charge (of `charge(_:)`) when what it paid for was not delivered after all.
    package func refund(_ charge: IngressQuotaLedger.Charge?) {
        if let charge { ledger.refund(charge) }
    }
}
