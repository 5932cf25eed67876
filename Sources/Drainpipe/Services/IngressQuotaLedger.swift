import Synchronization

/// Per-owner usage of the caps in the tenants file, counted per wall-clock minute.
///
/// Both caps use fixed windows aligned to the UTC minute (`updates_per_minute`, `distinct_series_per_minute`): a
/// request is charged whole or not at all, and usage starts again at zero when the minute turns. Memory is bounded:
/// per owner at most `distinct_series_per_minute` series hashes are kept, and owners without caps are not tracked.
package final class IngressQuotaLedger: Sendable {
    /// Whether a request fits the owner's caps.
    package enum Decision: Sendable, Equatable {
        case admitted
        /// Over `cap` (`updates_per_minute` or `distinct_series_per_minute`) until the next minute begins.
        case overQuota(cap: String, retryAfterSeconds: Int)
    }

    private struct Usage {
        var minute: Int64
        var updates = 0
        var series: Set<Int> = []
    }

    private let usage = Mutex<[String: Usage]>([:])

    package init() {}

    /// Charges `updates` measurements of the given series (hashes, see `seriesHash`) to `owner` at `now`, or
    /// refuses all of them when either cap would be passed.
    package func charge(
        owner: String, limits: TenantDirectory.Limits, updates: Int, series: [Int], now: EventTime
    ) -> Decision {
        guard !limits.isUnlimited, updates > 0 else { return .admitted }
        let minute = now.secondsSinceEpoch / 60
        let retryAfter = Int(60 - now.secondsSinceEpoch % 60)
        return usage.withLock { usage in
            var current = usage[owner] ?? Usage(minute: minute)
            if current.minute != minute { current = Usage(minute: minute) }
            if let cap = limits.updatesPerMinute, current.updates + updates > cap {
                return .overQuota(cap: "updates_per_minute", retryAfterSeconds: retryAfter)
            }
            if let cap = limits.distinctSeriesPerMinute {
                let fresh = Set(series).subtracting(current.series)
                guard current.series.count + fresh.count <= cap else {
                    return .overQuota(cap: "distinct_series_per_minute", retryAfterSeconds: retryAfter)
                }
                current.series.formUnion(fresh)
            }
            current.updates += updates
            usage[owner] = current
            return .admitted
        }
    }

    /// The identity of a measurement's series for the distinct-series cap (stable within this process).
    package static func seriesHash(of measurement: Measurement) -> Int {
        var hasher = Hasher()
        hasher.combine(measurement.type)
        hasher.combine(measurement.processType)
        hasher.combine(measurement.metric)
        return hasher.finalize()
    }
}
