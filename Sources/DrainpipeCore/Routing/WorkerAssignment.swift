/// Which partitions one worker of a process type owns: worker `i` of `n` owns every partition `p` with
/// `p mod n == i`, so `n` workers cover every partition exactly once without consumer-group rebalancing.
package struct WorkerAssignment: Sendable, Hashable, CustomStringConvertible {
    /// Zero-based, from the dyno number (`Dyno.index`).
    package let workerIndex: Int
    /// How many workers share the partitions.
    package let workerCount: Int

    /// - Throws: `ConfigurationError` when the count is not positive or the index is outside `0..<workerCount`.
    package init(workerIndex: Int, workerCount: Int) throws(ConfigurationError) {
        guard workerCount > 0 else {
            throw .invalidEnvironment([
                .invalid(
                    variable: "worker count", reason: "is \(workerCount), but at least one worker must own partitions")
            ])
        }
        guard (0..<workerCount).contains(workerIndex) else {
            throw .invalidEnvironment([
                .invalid(
                    variable: "DYNO",
                    reason:
                        "worker index \(workerIndex) (dyno number \(workerIndex + 1)) is outside 0..<\(workerCount); "
                        + "run at most \(workerCount) dynos of this process type or raise the worker count")
            ])
        }
        self.workerIndex = workerIndex
        self.workerCount = workerCount
    }

    /// Whether this worker consumes `partition`.
    package func owns(partition: Int32) -> Bool {
        partition >= 0 && Int(partition) % workerCount == workerIndex
    }

    /// The partitions of a topic with `partitionCount` partitions that this worker consumes, ascending.
    package func partitions(of partitionCount: Int) -> [Int32] {
        stride(from: workerIndex, to: partitionCount, by: workerCount).map { Int32(truncatingIfNeeded: $0) }
    }

    /// `worker 2 of 4` (zero-based index).
    package var description: String { "worker \(workerIndex) of \(workerCount)" }
}
