/// Why an aggregator process stopped on its own.
package enum AggregatorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Another process committed a newer claim on a partition of this worker index: two processes run with the
    /// same index, which would process the same partitions twice.
    case duplicateWorker(assignment: String, partition: String, ours: String, theirs: String)

    /// Always false: restarting the same configuration only moves the conflict.
    package var isRetryable: Bool { false }

    package var description: String {
        switch self {
        case .duplicateWorker(let assignment, let partition, let ours, let theirs):
            "Another aggregator process runs as \(assignment): it claimed \(partition) (claim \(theirs); this process "
                + "holds \(ours)). Two processes with the same worker index would process the same partitions "
                + "twice, so this one stops. Give every aggregator a distinct DYNO number below AGGREGATOR_WORKERS "
                + "and run each only once."
        }
    }
}
