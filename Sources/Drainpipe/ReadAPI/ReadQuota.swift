import DrainpipeCore
import HTTPTypes
import Hummingbird
import Synchronization

/// Per-tenant read quotas, so one tenant's dashboard storm cannot slow another's reads: at most
/// `concurrentReaders` reads in progress, and `seriesPerSecond` series returned per second (the tenants file's
/// `limits.read_series_per_second` and `limits.concurrent_readers`, or the process defaults).
///
/// Use: `acquireReader(for:)` before the query (refused while the tenant is at its reader limit or has spent more
/// series than it has earned), `charge(_:series:)` with the series the answer holds, `release()` the slot after.
/// The series allowance refills continuously up to one second's worth; a single large answer may take it below zero
/// (it is served whole), and the tenant's next read waits until it is positive again.
package final class ReadQuota: Sendable {
    /// The defaults for tenants without their own read limits (`READ_SERIES_PER_SECOND`, `READ_CONCURRENT_READERS`).
    package struct Defaults: Sendable, Equatable {
        package var seriesPerSecond: Int
        package var concurrentReaders: Int

        package init(seriesPerSecond: Int = 150, concurrentReaders: Int = 8) {
            self.seriesPerSecond = seriesPerSecond
            self.concurrentReaders = concurrentReaders
        }
    }

    /// A read refused: answer 429 with `Retry-After: retryAfterSeconds`.
    package struct Exceeded: Error, Sendable, Equatable, CustomStringConvertible {
        package var retryAfterSeconds: Int
        package var description: String
    }

    /// A reader slot; `release()` it once (when the answer is built).
    package struct ReaderSlot: Sendable {
        fileprivate let quota: ReadQuota
        package let owner: String

        package func release() { quota.releaseReader(owner: owner) }
    }

    private struct TenantState {
        var readers = 0
        /// Series the tenant may still read; refills at `seriesPerSecond`, at most one second's worth.
        var allowance: Double
        var refilledAtMicroseconds: Int64
    }

    package let defaults: Defaults
    private let clock: any WallClock
    private let tenants = Mutex([String: TenantState]())

    package init(defaults: Defaults = Defaults(), clock: any WallClock) {
        self.defaults = defaults
        self.clock = clock
    }

    /// Takes one of `owner`'s reader slots.
    ///
    /// - Throws: `Exceeded` when the tenant has `concurrentReaders` reads in progress or its series allowance is spent.
    package func acquireReader(for owner: TenantDirectory.Owner) throws(Exceeded) -> ReaderSlot {
        let (readers, rate) = limits(of: owner)
        let now = clock.now().microsecondsSinceEpoch
        let refusal = tenants.withLock { tenants -> Exceeded? in
            var state = Self.refilled(tenants[owner.id], rate: rate, now: now)
            defer { tenants[owner.id] = state }
            guard state.readers < readers else {
                return Exceeded(
                    retryAfterSeconds: 1,
                    description: "This tenant already has \(readers) read(s) in progress; retry in 1 s.")
            }
            guard state.allowance > 0 else {
                let seconds = Int((-state.allowance / Double(rate)).rounded(.up)) + 1
                return Exceeded(
                    retryAfterSeconds: seconds,
                    description: "This tenant read more than \(rate) series per second; retry in \(seconds) s.")
            }
            state.readers += 1
            return nil
        }
        if let refusal { throw refusal }
        return ReaderSlot(quota: self, owner: owner.id)
    }

    /// Charges `series` series returned to `owner`'s allowance.
    package func charge(_ owner: TenantDirectory.Owner, series: Int) {
        let (_, rate) = limits(of: owner)
        let now = clock.now().microsecondsSinceEpoch
        tenants.withLock { tenants in
            var state = Self.refilled(tenants[owner.id], rate: rate, now: now)
            state.allowance -= Double(series)
            tenants[owner.id] = state
        }
    }

    private func releaseReader(owner: String) {
        tenants.withLock { tenants in
            guard var state = tenants[owner] else { return }
            state.readers = max(0, state.readers - 1)
            tenants[owner] = state
        }
    }

    private func limits(of owner: TenantDirectory.Owner) -> (readers: Int, seriesPerSecond: Int) {
        (
            owner.limits.concurrentReaders ?? defaults.concurrentReaders,
            owner.limits.readSeriesPerSecond ?? defaults.seriesPerSecond
        )
    }

    private static func refilled(_ state: TenantState?, rate: Int, now: Int64) -> TenantState {
        guard var state else { return TenantState(allowance: Double(rate), refilledAtMicroseconds: now) }
        let elapsed = Double(max(0, now - state.refilledAtMicroseconds)) / 1_000_000
        state.allowance = min(Double(rate), state.allowance + elapsed * Double(rate))
        state.refilledAtMicroseconds = now
        return state
    }
}

extension ReadQuota {
    /// One reader slot of each of `owners`, or a 429 with `Retry-After` (holding none): what every read route takes
    /// before it reads. Release the slots once the answer is built.
    func readerSlots(for owners: some Sequence<TenantDirectory.Owner>) throws(HTTPError) -> [ReaderSlot] {
        var slots: [ReaderSlot] = []
        for owner in owners {
            do {
                slots.append(try acquireReader(for: owner))
            } catch {
                for slot in slots { slot.release() }
                throw HTTPError(
                    .tooManyRequests, headers: [.retryAfter: String(error.retryAfterSeconds)],
                    message: error.description)
            }
        }
        return slots
    }
}
