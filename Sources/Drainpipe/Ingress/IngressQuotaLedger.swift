import DrainpipeCore
import Synchronization

/// Per-owner usage of the caps in the tenants file, counted per wall-clock minute.
///
/// Both caps use fixed windows aligned to the UTC minute (`updates_per_minute`, `distinct_series_per_minute`): a
/// request is charged whole or not at all, and usage starts again at zero when the minute turns. Memory is bounded:
/// per owner at most `distinct_series_per_minute` series hashes are kept, and owners without caps are not tracked.
package final class IngressQuotaLedger: Sendable {
    /// Whether a request fits the owner's caps.
    package enum Decision: Sendable, Equatable {
        /// Charged; `refund(_:)` takes the charge back when the request is not delivered after all.
        case admitted(Charge?)
        /// Over `cap` (`updates_per_minute` or `distinct_series_per_minute`) until the next minute begins.
        case overQuota(cap: String, retryAfterSeconds: Int)
        /// The request alone needs more than `cap` allows in a whole minute: it can never be admitted as it is.
        case largerThanCap(cap: String, requested: Int, limit: Int)
    }

    /// What one admitted request added to its owner's usage.
    package struct Charge: Sendable, Equatable {
        fileprivate var owner: String
        fileprivate var minute: Int64
        fileprivate var updates: Int
        /// The series this request was the first of the minute to use.
        fileprivate var newSeries: Set<Int>
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
        guard !limits.isUnlimited, updates > 0 else { return .admitted(nil) }
        let minute = now.secondsSinceEpoch / 60
        let retryAfter = Int(60 - now.secondsSinceEpoch % 60)
        if let cap = limits.updatesPerMinute, updates > cap {
            return .largerThanCap(cap: "updates_per_minute", requested: updates, limit: cap)
        }
        // Built outside the lock, which all owners share.
        let requestSeries = limits.distinctSeriesPerMinute == nil ? [] : Set(series)
        if let cap = limits.distinctSeriesPerMinute, requestSeries.count > cap {
            return .largerThanCap(cap: "distinct_series_per_minute", requested: requestSeries.count, limit: cap)
        }
        return usage.withLock { usage in
            var current = usage[owner] ?? Usage(minute: minute)
            if current.minute != minute { current = Usage(minute: minute) }
            if let cap = limits.updatesPerMinute, current.updates + updates > cap {
                return .overQuota(cap: "updates_per_minute", retryAfterSeconds: retryAfter)
            }
            var newSeries: Set<Int> = []
            if let cap = limits.distinctSeriesPerMinute {
                newSeries = requestSeries.subtracting(current.series)
                guard current.series.count + newSeries.count <= cap else {
                    return .overQuota(cap: "distinct_series_per_minute", retryAfterSeconds: retryAfter)
                }
                current.series.formUnion(newSeries)
            }
            current.updates += updates
            usage[owner] = current
            return .admitted(Charge(owner: owner, minute: minute, updates: updates, newSeries: newSeries))
        }
    }

    /// Takes back a charge whose request was not delivered (Kafka did not acknowledge), so the sender's retry of
    /// the same batch is not charged twice. A charge from a minute that has already turned is gone anyway.
    package func refund(_ charge: Charge) {
        usage.withLock { usage in
            guard var current = usage[charge.owner], current.minute == charge.minute else { return }
            current.updates -= charge.updates
            current.series.subtract(charge.newSeries)
            usage[charge.owner] = current
        }
    }

    /// The identity of a measurement's series for the distinct-series cap (stable within this process).
    package static func seriesHash(of measurement: Measurement) -> Int {
        seriesHash(type: measurement.type, processType: measurement.processType, metric: measurement.metric)
    }

    /// `seriesHash(of:)` of a measurement with these parts.
    package static func seriesHash(type: MeasurementType, processType: String, metric: String) -> Int {
        var hasher = Hasher()
        hasher.combine(type)
        hasher.combine(processType)
        hasher.combine(metric)
        return hasher.finalize()
    }
}
