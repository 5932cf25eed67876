/// Why an aggregator process stopped on its own.
package enum AggregatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Another process committed a newer claim on a partition this worker owns: two processes run with the same
    /// index, or with worker counts that make both own the partition; either would process it twice.
    case duplicateWorker(assignment: String, partition: String, ours: String, theirs: String)

    /// Always false: restarting the same configuration only moves the conflict.
    package var isRetryable: Bool { false }

    package var description: String {
        switch self {
        case .duplicateWorker(let assignment, let partition, let ours, let theirs):
            "Another aggregator process claimed \(partition), which this process owns as \(assignment) (their "
                + "claim \(theirs); this process holds \(ours)): either two processes run with the same worker "
                + "index, or their AGGREGATOR_WORKERS differ so that both own this partition. This one stops so that "
                + "no partition is processed twice. Give every aggregator a distinct DYNO number below "
                + "AGGREGATOR_WORKERS, the same AGGREGATOR_WORKERS everywhere, and run each only once."
        }
    }
}
