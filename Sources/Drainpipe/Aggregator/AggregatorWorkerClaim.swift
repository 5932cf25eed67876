/// Which running process holds an aggregator worker index: written into the commit metadata of every partition the
/// index owns (`claim=<epoch>.<instance>`), so two processes started with the same index find each other.
///
/// Each start takes an epoch one above the highest it finds committed, and a random instance name. A process that
/// later finds a claim with a higher epoch (or the same epoch and a larger instance name) in its partitions' commit
/// metadata has been superseded by another process with its index: it reports it and exits. The newest start
/// keeps the partitions; a superseded one stops within one flush interval of the other's start.
package struct AggregatorWorkerClaim: Sendable, Hashable, CustomStringConvertible {
    package var epoch: UInt64
    /// 16 hex digits, random per process.
    package var instance: String

    package init(epoch: UInt64, instance: String) {
        self.epoch = epoch
        self.instance = instance
    }

    /// A claim one epoch above every claim in `committed` metadata, with a fresh random instance name.
    package init(following committed: some Sequence<String>) {
        let highest = committed.compactMap { Self(metadata: $0)?.epoch }.max() ?? 0
        var random = SystemRandomNumberGenerator()
        let name = String(random.next(), radix: 16)
        self.init(epoch: highest + 1, instance: String(repeating: "0", count: 16 - name.count) + name)
    }

    /// The claim in commit metadata, or nil when it holds none.
    package init?(metadata: String) {
        guard let word = metadata.split(separator: " ").first(where: { $0.hasPrefix(Self.prefix) }) else {
            return nil
        }
        let parts = word.dropFirst(Self.prefix.count).split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let epoch = UInt64(parts[0]), !parts[1].isEmpty else { return nil }
        self.init(epoch: epoch, instance: String(parts[1]))
    }

    /// `claim=<epoch>.<instance>`, appended to the `CommitMarker` metadata.
    package var metadataWord: String { "\(Self.prefix)\(epoch).\(instance)" }

    /// Whether `other`, found committed for one of this process's partitions, means another process took the index.
    ///
    /// Two starts that read the same claims take the same epoch; the larger instance name wins, so exactly one stays.
    package func isSuperseded(by other: AggregatorWorkerClaim) -> Bool {
        other.epoch > epoch || (other.epoch == epoch && other.instance > instance)
    }

    package var description: String { "epoch \(epoch), instance \(instance)" }

    private static let prefix = "claim="
}
