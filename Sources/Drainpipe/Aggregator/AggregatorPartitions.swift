import DrainpipeCore
import DrainpipeKafka

/// The aggregator's decisions over the raw partitions one process owns, without any I/O: what state each partition
/// resumes with, when a replay may publish again, what to publish and commit at a flush, whether another process
/// took the worker index, and how far the consumer lags.
///
/// `AggregatorService` does the reading, publishing and committing this type asks for, in this order: commit
/// `claimCommits` at start, `apply` every polled message, and at every flush read the committed metadata back,
/// call `beginFlush`, publish its summaries, then commit what `completeFlush` returns. No clock: flushes are paced
/// by the service, and what is published depends only on the messages.
///
/// Partition p of every raw version of a type (`T.1` and `T.2` while a migration has both in flight) shares one
/// `PartitionAggregator`, each topic partition one of its sources, so a window counts the measurements of both
/// versions in one summary; each topic partition keeps its own offsets and commits.
package struct AggregatorPartitions: Sendable {
    /// What became of one polled message.
    package enum Applied: Sendable, Hashable {
        case outcome(PartitionAggregator.Outcome)
        /// Its message or measurement time lies outside 1970…9999: skipped, so a broken clock cannot move the
        /// partition's watermark to the far future and finalize every window.
        case implausibleTime
        /// Not a partition of this process (never assigned, so never expected).
        case notOwned
    }

    /// What a flush publishes, handed back to `completeFlush` once the publisher acknowledged it.
    package struct Flush: Sendable {
        /// Every changed summary of the partitions that caught up, in key order per partition.
        package var summaries: [Summary]
        /// Partitions whose committed claim is an older process's: it still commits, and stops when it reads this
        /// process's claim again at its next flush.
        package var olderClaims: [(partition: TopicPartition, claim: AggregatorWorkerClaim)]
        /// The states whose every source caught up, by number.
        fileprivate var caughtUp: [Int]
    }

    /// Whether a flush may go ahead, decided from the commit metadata read back from the group.
    package enum FlushStart: Sendable {
        case publish(Flush)
        /// A newer process claimed `partition`: it runs with this worker index, so this process must stop.
        case superseded(partition: TopicPartition, by: AggregatorWorkerClaim)
    }

    private struct PartitionState: Sendable {
        var aggregator: PartitionAggregator
        /// Per source, what the group committed last.
        var committed: [CommittedOffset?]
        /// Per source, the partition's end when this process started. Raw topics have no transactional markers or
        /// compaction, so their offsets are dense and the replay reaches this offset exactly.
        var replayUntil: [Int64]

        /// Until the replay of every source reaches where the previous process may have got to, publishing would
        /// put partial summaries over the complete ones it already published.
        var isCaughtUp: Bool {
            replayUntil.indices.allSatisfy { aggregator.nextOffset(source: $0) >= replayUntil[$0] }
        }
    }

    /// Where a topic partition's messages go: the state it feeds and its source number there.
    private struct Location: Sendable, Hashable {
        var state: Int
        var source: Int
    }

    /// This process's claim on its worker index, committed with every offset.
    package let claim: AggregatorWorkerClaim
    /// The owned partitions, in `OwnedPartitions` order.
    package let partitions: [TopicPartition]
    /// The sources of each state, by state number.
    private let sources: [[TopicPartition]]
    private let locations: [TopicPartition: Location]
    private var states: [PartitionState]
    /// Whether messages were applied since the end of every partition was last reached.
    private var consumedSinceIdle = false

    /// Restores every owned partition, each its own state: one with a committed offset resumes there with its
    /// `CommitMarker`, one never committed starts empty at its low watermark. `ends` are the partitions' watermarks
    /// at start.
    package init(
        owned: [TopicPartition], committed: [TopicPartition: CommittedOffset],
        ends: [TopicPartition: (low: Int64, high: Int64)], settings: WindowSettings, claim: AggregatorWorkerClaim
    ) {
        self.init(sharing: owned.map { [$0] }, committed: committed, ends: ends, settings: settings, claim: claim)
    }

    /// Restores every owned partition; the partitions of one inner list of `groups` (partition p of each raw
    /// version of a type) share one state, as its sources in list order.
    package init(
        sharing groups: [[TopicPartition]], committed: [TopicPartition: CommittedOffset],
        ends: [TopicPartition: (low: Int64, high: Int64)], settings: WindowSettings, claim: AggregatorWorkerClaim
    ) {
        self.claim = claim
        partitions = groups.flatMap { $0 }
        sources = groups
        var locations: [TopicPartition: Location] = [:]
        states = []
        for (index, group) in groups.enumerated() {
            let starts = group.map { partition in
                if let commit = committed[partition], let resumeOffset = OwnedPartitions.resumeOffset(commit) {
                    PartitionAggregator.SourceStart(
                        offset: resumeOffset, marker: CommitMarker(metadata: commit.metadata))
                } else {
                    PartitionAggregator.SourceStart(offset: ends[partition]?.low ?? 0)
                }
            }
            for (source, partition) in group.enumerated() {
                locations[partition] = Location(state: index, source: source)
            }
            states.append(
                PartitionState(
                    aggregator: PartitionAggregator(settings: settings, sources: starts),
                    committed: group.map { committed[$0] }, replayUntil: group.map { ends[$0]?.high ?? 0 }))
        }
        self.locations = locations
    }

    /// The partitions worker `assignment` owns of every raw topic of `types`, grouped for `init(sharing:…)`:
    /// partition p of each raw version of a type, lowest version first.
    package static func sharedRawPartitions(
        of types: [MeasurementType], in topics: TopicCatalog, kafka: KafkaConnection, assignment: WorkerAssignment
    ) -> [[TopicPartition]] {
        types.flatMap { type in
            let raw = topics.rawTopics(for: type)
            // TopicCatalog.init checks that the raw versions of a type agree in partition count.
            return assignment.partitions(of: raw[0].partitions).map { partition in
                raw.map { TopicPartition(topic: kafka.topicName($0.name), partition: partition) }
            }
        }
    }

    /// The claim on every owned partition, to commit before any replay: a process already running with this index
    /// sees it at its next flush and stops. The offsets and markers stay what they were.
    package var claimCommits: [TopicPartition: CommittedOffset] {
        locations.mapValues { commit(of: states[$0.state].aggregator, source: $0.source) }
    }

    /// Records that the group committed `commits`.
    package mutating func didCommit(_ commits: [TopicPartition: CommittedOffset]) {
        for (partition, commit) in commits {
            guard let location = locations[partition] else { continue }
            states[location.state].committed[location.source] = commit
        }
    }

    /// Applies one decoded raw message that held one measurement.
    package mutating func apply(_ measurement: Measurement, from message: KafkaMessage) -> Applied {
        apply([measurement], from: message)[0]
    }

    /// Applies one decoded raw message: its measurements all share its offset and timestamp. Returns what became
    /// of each, in order (one `.implausibleTime` for an empty message).
    package mutating func apply(_ measurements: [Measurement], from message: KafkaMessage) -> [Applied] {
        consumedSinceIdle = true
        guard let location = locations[message.topicPartition] else {
            return Array(repeating: .notOwned, count: measurements.count)
        }
        guard let messageTime = message.timestamp ?? measurements.first?.receivedAt, messageTime.isPlausible else {
            states[location.state].aggregator.skip(source: location.source, offset: message.offset, messageTime: nil)
            return Array(repeating: .implausibleTime, count: max(measurements.count, 1))
        }
        let plausible =
            measurements.allSatisfy(\.time.isPlausible) ? measurements : measurements.filter(\.time.isPlausible)
        guard !plausible.isEmpty else {
            states[location.state].aggregator.skip(source: location.source, offset: message.offset, messageTime: nil)
            return Array(repeating: .implausibleTime, count: max(measurements.count, 1))
        }
        var outcomes = states[location.state].aggregator.apply(
            plausible, source: location.source, offset: message.offset, messageTime: messageTime
        ).makeIterator()
        return measurements.map { measurement -> Applied in
            guard measurement.time.isPlausible, let outcome = outcomes.next() else { return .implausibleTime }
            return .outcome(outcome)
        }
    }

    /// Applies one raw message holding a `drainpipe.v2.MeasurementBatch`, from its columns: the same as
    /// `apply(batch.measurements, from: message)`, without a `Measurement` per line. An empty batch, or one with
    /// an implausible time, takes that way.
    package mutating func apply(_ batch: MeasurementColumns, from message: KafkaMessage) -> [Applied] {
        guard batch.count > 0, batch.times.allSatisfy(\.isPlausible) else {
            return apply(batch.measurements, from: message)
        }
        consumedSinceIdle = true
        guard let location = locations[message.topicPartition] else {
            return Array(repeating: .notOwned, count: batch.count)
        }
        let messageTime = message.timestamp ?? batch.receivedAt
        guard messageTime.isPlausible else {
            states[location.state].aggregator.skip(source: location.source, offset: message.offset, messageTime: nil)
            return Array(repeating: .implausibleTime, count: batch.count)
        }
        return states[location.state].aggregator.apply(
            batch, source: location.source, offset: message.offset, messageTime: messageTime
        ).map { .outcome($0) }
    }

    /// Records that a raw message could not be decoded, so it is not read again.
    package mutating func skipMalformed(_ message: KafkaMessage) {
        consumedSinceIdle = true
        guard let location = locations[message.topicPartition] else { return }
        states[location.state].aggregator.skip(
            source: location.source, offset: message.offset, messageTime: message.timestamp)
    }

    /// How much of the replay to the partitions' ends at start is left.
    package struct ReplayRemaining: Sendable, Hashable {
        /// Partitions whose replay has not reached their end at start.
        package var partitions: Int
        /// Messages those partitions have to apply before they reach it.
        package var messages: Int64
    }

    /// The replay still to do: zero partitions once every partition publishes.
    package var replayRemaining: ReplayRemaining {
        locations.values.reduce(ReplayRemaining(partitions: 0, messages: 0)) { remaining, location in
            let state = states[location.state]
            let left = state.replayUntil[location.source] - state.aggregator.nextOffset(source: location.source)
            guard left > 0 else { return remaining }
            return ReplayRemaining(partitions: remaining.partitions + 1, messages: remaining.messages + left)
        }
    }

    /// Messages not yet applied of each partition, by the high watermarks the consumer saw last; partitions never
    /// fetched are absent.
    package func lagByPartition(highWatermark: (TopicPartition) -> Int64?) -> [TopicPartition: Int64] {
        locations.reduce(into: [:]) { lags, entry in
            guard let high = highWatermark(entry.key) else { return }
            let state = states[entry.value.state]
            lags[entry.key] = max(0, high - state.aggregator.nextOffset(source: entry.value.source))
        }
    }

    /// After a poll that returned nothing: the messages not yet applied, by the high watermarks the consumer saw
    /// last, when messages were applied since the end was last reached. Zero means every partition's end is
    /// applied; nil when there is nothing new to report or a partition was never fetched.
    package mutating func lagWhenIdle(highWatermark: (TopicPartition) -> Int64?) -> Int64? {
        guard consumedSinceIdle else { return nil }
        var lag: Int64 = 0
        for (partition, location) in locations {
            guard let high = highWatermark(partition) else { return nil }
            lag += max(0, high - states[location.state].aggregator.nextOffset(source: location.source))
        }
        if lag == 0 { consumedSinceIdle = false }
        return lag
    }

    /// Decides a flush from the commit metadata just read back: stop when a newer process claimed a partition,
    /// else take the changed summaries of every partition whose replay caught up.
    package mutating func beginFlush(committed: [TopicPartition: CommittedOffset]) -> FlushStart {
        var olderClaims: [(partition: TopicPartition, claim: AggregatorWorkerClaim)] = []
        for (partition, commit) in committed.sorted(by: { $0.key.description < $1.key.description }) {
            guard let other = AggregatorWorkerClaim(metadata: commit.metadata), other != claim else { continue }
            guard claim.isSuperseded(by: other) else {
                olderClaims.append((partition, other))
                continue
            }
            return .superseded(partition: partition, by: other)
        }
        let caughtUp = states.indices.filter { states[$0].isCaughtUp }
        var summaries: [Summary] = []
        for state in caughtUp {
            summaries += states[state].aggregator.takeChangedSummaries()
        }
        return .publish(Flush(summaries: summaries, olderClaims: olderClaims, caughtUp: caughtUp))
    }

    /// Once `flush`'s summaries were acknowledged: forgets the final windows of the partitions it published and
    /// returns what to commit, each partition's commit point where it moved, and this process's claim again
    /// where an older process overwrote it (else the older one, reading its own claim back, would never notice).
    package mutating func completeFlush(_ flush: Flush) -> [TopicPartition: CommittedOffset] {
        var commits: [TopicPartition: CommittedOffset] = [:]
        for (partition, _) in flush.olderClaims {
            guard let location = locations[partition] else { continue }
            commits[partition] = states[location.state].committed[location.source]
        }
        for index in flush.caughtUp {
            states[index].aggregator.finalizeWindows()
            for (source, partition) in sources[index].enumerated() {
                let commit = commit(of: states[index].aggregator, source: source)
                if commit != states[index].committed[source] {
                    commits[partition] = commit
                }
            }
        }
        return commits
    }

    /// What the open windows of every partition hold, for the memory metrics.
    package var footprint: PartitionAggregator.Footprint {
        states.reduce(PartitionAggregator.Footprint()) { $0 + $1.aggregator.footprint }
    }

    /// What to commit for a source's partition: its commit point, the marker and this process's claim.
    private func commit(of aggregator: PartitionAggregator, source: Int) -> CommittedOffset {
        let point = aggregator.commitPoint(source: source)
        return CommittedOffset(offset: point.offset, metadata: "\(point.marker.metadata) \(claim.metadataWord)")
    }
}
