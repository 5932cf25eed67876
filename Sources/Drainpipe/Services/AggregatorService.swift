import Logging
import Metrics
import ServiceLifecycle

/// The aggregator process: consumes its share of the raw partitions, keeps per-window summaries, and publishes
/// changed summaries to the compacted summary topics every flush interval.
///
/// After every acknowledged flush it forgets final windows and commits, per partition, the first offset of the
/// oldest open window together with a `CommitMarker`, so a restart rebuilds exactly the state it had.
///
/// `FlushClock` only paces flushes (production: `ContinuousClock`; tests: a manual clock). What a summary contains
/// never depends on it.
package final class AggregatorService<FlushClock: Clock>: Service where FlushClock.Duration == Duration {
    /// Everything the service needs, resolved from `AggregatorConfiguration` by `main` or built by tests.
    package struct Settings: Sendable {
        package var topics: TopicCatalog
        package var kafka: KafkaConnection
        package var assignment: WorkerAssignment
        package var windows: WindowSettings
        package var flushInterval: Duration
        package var types: [MeasurementType]
        package var groupID: String
        package var clientID: String

        package init(
            topics: TopicCatalog, kafka: KafkaConnection, assignment: WorkerAssignment, windows: WindowSettings,
            flushInterval: Duration, types: [MeasurementType] = MeasurementType.allCases,
            groupID: String = "drainpipe-aggregator", clientID: String = "aggregator"
        ) {
            self.topics = topics
            self.kafka = kafka
            self.assignment = assignment
            self.windows = windows
            self.flushInterval = flushInterval
            self.types = types
            self.groupID = groupID
            self.clientID = clientID
        }
    }

    private let settings: Settings
    private let clock: FlushClock
    private let publisher: any RecordPublisher
    private let logger: Logger
    private let outcomes: [PartitionAggregator.Outcome: Counter]
    private let malformedMessages: Counter
    private let summariesPublished: Counter
    private let openSeries: Gauge
    private let worker = BlockingWorker(label: "drainpipe.aggregator.consumer")

    package init(settings: Settings, clock: FlushClock, publisher: any RecordPublisher, metrics: any MetricsFactory, logger: Logger) {
        self.settings = settings
        self.clock = clock
        self.publisher = publisher
        self.logger = logger
        let outcomeLabels: [(PartitionAggregator.Outcome, String)] = [
            (.accepted, "accepted"), (.tooLate, "too_late"), (.tooFarInFuture, "too_far_in_future"),
            (.windowAlreadyFinal, "window_final"), (.alreadyApplied, "already_applied"),
        ]
        outcomes = Dictionary(
            uniqueKeysWithValues: outcomeLabels.map { outcome, label in
                (outcome, Counter(label: "drainpipe_aggregator_measurements_total", dimensions: [("outcome", label)], factory: metrics))
            })
        malformedMessages = Counter(label: "drainpipe_aggregator_malformed_messages_total", factory: metrics)
        summariesPublished = Counter(label: "drainpipe_aggregator_summaries_published_total", factory: metrics)
        openSeries = Gauge(label: "drainpipe_aggregator_open_series", factory: metrics)
    }

    package func run() async throws {
        let consumer = try KafkaConsumer(
            connection: settings.kafka, groupID: settings.kafka.groupID(settings.groupID),
            clientID: settings.clientID, logger: logger)
        defer { consumer.close() }
        var partitions = try await restoreAndAssign(consumer)
        logger.info("aggregator assigned", metadata: ["partitions": "\(partitions.count)", "assignment": "\(settings.assignment)"])

        var nextFlush = clock.now.advanced(by: settings.flushInterval)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let messages = try await worker.run { try consumer.poll(maxMessages: 10_000, timeout: .milliseconds(100)) }
            for message in messages {
                apply(message, to: &partitions)
            }
            if clock.now >= nextFlush {
                try await flush(&partitions, consumer: consumer)
                nextFlush = clock.now.advanced(by: settings.flushInterval)
            }
        }
        try await flush(&partitions, consumer: consumer)
        logger.info("aggregator stopped after a final flush")
    }

    /// Reads committed offsets and markers, builds each partition's state, and assigns the consumer.
    private func restoreAndAssign(_ consumer: KafkaConsumer) async throws -> [TopicPartition: PartitionState] {
        let owned = settings.types.flatMap { type in
            let topic = settings.topics.topic(.raw, for: type)
            return settings.assignment.partitions(of: topic.partitions).map {
                TopicPartition(topic: settings.kafka.topicName(topic.name), partition: $0)
            }
        }
        let committed = try await worker.run { try consumer.committedOffsets(for: owned, timeout: .seconds(30)) }
        var states: [TopicPartition: PartitionState] = [:]
        // Where the previous process may have got to: until the replay reaches it, publishing would put partial
        // summaries over the complete ones it already published.
        let ends = try await worker.run {
            try owned.reduce(into: [TopicPartition: Int64]()) { ends, partition in
                ends[partition] = try consumer.watermarks(for: partition, timeout: .seconds(30)).high
            }
        }
        var starts: [TopicPartition: StartOffset] = [:]
        for partition in owned {
            let replayUntil = ends[partition] ?? 0
            if let commit = committed[partition], commit.offset >= 0 {
                let aggregator = PartitionAggregator(
                    settings: settings.windows, startingAt: commit.offset, resuming: CommitMarker(metadata: commit.metadata))
                states[partition] = PartitionState(aggregator: aggregator, committed: commit, replayUntil: replayUntil)
                starts[partition] = .offset(commit.offset)
            } else {
                states[partition] = PartitionState(
                    aggregator: PartitionAggregator(settings: settings.windows, startingAt: 0), committed: nil, replayUntil: replayUntil)
                starts[partition] = .beginning
            }
        }
        let startOffsets = starts
        try await worker.run { try consumer.assign(startOffsets) }
        return states
    }

    private func apply(_ message: KafkaMessage, to partitions: inout [TopicPartition: PartitionState]) {
        let key = message.topicPartition
        guard partitions[key] != nil else { return }
        let measurement: Measurement
        do {
            measurement = try Measurement(wireBytes: message.value)
        } catch {
            malformedMessages.increment()
            logger.warning("skipping malformed raw message", metadata: ["topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)", "error": "\(error)"])
            partitions[key]?.aggregator.skip(offset: message.offset, messageTime: message.timestamp)
            return
        }
        let messageTime = message.timestamp ?? measurement.receivedAt
        guard messageTime.isPlausible, measurement.time.isPlausible else {
            // A broken clock would move the partition's watermark to the far future and finalise every window.
            malformedMessages.increment()
            logger.warning("skipping a raw message with an implausible time", metadata: ["topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)"])
            partitions[key]?.aggregator.skip(offset: message.offset, messageTime: nil)
            return
        }
        if let outcome = partitions[key]?.aggregator.apply(measurement, offset: message.offset, messageTime: messageTime) {
            outcomes[outcome]?.increment()
        }
    }

    /// Publishes every changed summary, waits for the acknowledgement, then finalizes windows and commits.
    ///
    /// Partitions still replaying what an earlier process already saw are left alone until they catch up.
    private func flush(_ partitions: inout [TopicPartition: PartitionState], consumer: KafkaConsumer) async throws {
        var records: [KafkaRecord] = []
        let caughtUp = partitions.keys.filter { partitions[$0]!.isCaughtUp }
        for key in caughtUp {
            guard let changed = partitions[key]?.aggregator.takeChangedSummaries() else { continue }
            records += changed.map { settings.topics.summaryRecord(for: $0, in: settings.kafka) }
        }
        if !records.isEmpty {
            try await publisher.send(records)
            summariesPublished.increment(by: records.count)
        }
        var commits: [TopicPartition: CommittedOffset] = [:]
        var seriesHeld = 0
        for key in caughtUp {
            partitions[key]?.aggregator.finalizeWindows()
            guard let state = partitions[key] else { continue }
            seriesHeld += state.aggregator.openSeriesCount
            let point = state.aggregator.commitPoint
            let commit = CommittedOffset(offset: point.offset, metadata: point.marker.metadata)
            if commit != state.committed {
                commits[key] = commit
            }
        }
        openSeries.record(seriesHeld)
        guard !commits.isEmpty else { return }
        let toCommit = commits
        try await worker.run { try consumer.commit(toCommit) }
        for (key, commit) in commits {
            partitions[key]?.committed = commit
        }
    }

    private struct PartitionState {
        var aggregator: PartitionAggregator
        var committed: CommittedOffset?
        /// The partition's end when this process started. Raw topics have no transactional markers or compaction,
        /// so their offsets are dense and the replay reaches this offset exactly.
        var replayUntil: Int64

        var isCaughtUp: Bool { aggregator.nextOffset >= replayUntil }
    }
}
