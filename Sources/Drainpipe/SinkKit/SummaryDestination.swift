import DrainpipeCore
import Logging
import Synchronization

/// A place summaries go: a store the sink kit's runner (``SinkRunner``) feeds from the summary topics.
///
/// The runner reads, decodes, batches, hands failures to the sink's retry path, commits offsets and reports; a
/// destination only writes. Implementations: ``PostgresSummaryDestination`` (the postgres-sink and retry-sink) and
/// ``InfluxSummaryDestination`` (the influx-sink). "Writing a sink" in the README walks through the second.
package protocol SummaryDestination: Sendable {
    /// Writes `summaries`, in any order or grouping the store likes, and says which were not written and why.
    ///
    /// A summary reported as neither retryable nor unstorable must be durable (or flushed by ``flush()``) before
    /// the runner commits its offset. Must not throw: a failure is a report.
    func write(_ summaries: [Summary]) async -> SinkWriteReport
    /// Makes every summary a ``write(_:)`` reported as written durable; called before each offset commit.
    func flush() async throws
    /// Whether the store took the last write; shown on `/readyz`.
    var health: SinkHealth { get }
}

extension SummaryDestination {
    /// Stores whose writes are durable when they return (Postgres commits, InfluxDB's 204) have nothing to flush.
    package func flush() async throws {}
}

/// What became of one ``SummaryDestination/write(_:)``: positions in the summaries given.
package struct SinkWriteReport: Sendable, Equatable {
    /// Summaries not written that a later attempt may write (store down, timeout, throttled): the runner hands
    /// them to the sink's retry path (primary) or tries again with back-off (retry).
    package var retryable: [Int]
    /// Summaries this store can never hold (a name it cannot represent, an impossible value): logged, counted
    /// and skipped, so they cannot block their partition.
    package var unstorable: [Int]
    /// One entry per failed attempt (a transaction, a request), for the log and the write-failure counter.
    package var failures: [SinkWriteFailure]

    package init(retryable: [Int] = [], unstorable: [Int] = [], failures: [SinkWriteFailure] = []) {
        self.retryable = retryable
        self.unstorable = unstorable
        self.failures = failures
    }

    /// Every summary written.
    package static let allWritten = SinkWriteReport()
}

/// One failed attempt to write: what the runner logs.
package struct SinkWriteFailure: Sendable, Equatable {
    /// Summaries the attempt covered.
    package var summaries: Int
    /// Why, e.g. the store's error message; never a secret.
    package var reason: String
    /// Where, e.g. `["shard": "1"]`.
    package var location: [String: String]
    /// True when the failure concerns the summaries themselves (unstorable), not the store.
    package var isUnstorable: Bool

    package init(summaries: Int, reason: String, location: [String: String] = [:], isUnstorable: Bool = false) {
        self.summaries = summaries
        self.reason = reason
        self.location = location
        self.isUnstorable = isUnstorable
    }

    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = ["summaries": "\(summaries)", "error": "\(reason)"]
        for (key, value) in location { metadata[key] = "\(value)" }
        return metadata
    }
}

/// A destination's view of its store, from its last write.
package enum SinkHealth: Sendable, Equatable {
    /// No write yet, or the last one reached the store.
    case healthy
    /// The last write failed for a reason of the store (not of the summaries).
    case failing(reason: String)
}

/// The health a destination reports: set after every write.
package final class SinkHealthTracker: Sendable {
    private let state = Mutex(SinkHealth.healthy)

    package init() {}

    package var current: SinkHealth { state.withLock { $0 } }

    /// Records the outcome of a write: the first store failure's reason, or healthy.
    package func record(_ report: SinkWriteReport) {
        let failure = report.failures.first { !$0.isUnstorable }
        state.withLock { $0 = failure.map { .failing(reason: $0.reason) } ?? .healthy }
    }
}
