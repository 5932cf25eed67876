import DrainpipeCore
import DrainpipeKafka
import DrainpipeWire
import Logging
import Metrics
import ServiceLifecycle

/// The aggregator process: consumes its share of the raw partitions, keeps per-window summaries, and publishes
/// changed summaries to the compacted summary topics every flush interval.
///
/// After every acknowledged flush it forgets final windows and commits, per partition, the first offset of the
/// oldest open window together with a `CommitMarker`, so a restart rebuilds exactly the state it had.
///
/// At start it writes its `AggregatorWorkerClaim` into the commit metadata of every partition it owns, and at every
/// flush it reads the committed metadata back: a newer claim means another process runs with the same worker
/// index, and this one stops with `AggregatorError.duplicateWorker` instead of processing the partitions twice.
/// On graceful shutdown (SIGTERM) it stops polling, flushes, commits and returns.
///
/// Every one of those decisions is `AggregatorPartitions`'; this class only polls, publishes and commits for it.
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
        /// Fetch tunables of the raw-topic consumer.
        package var consumer: KafkaConsumer.Options
        /// The most raw messages one poll takes. A version-2 message holds a whole request's measurements (137 on
        /// average in `drainpipe bench-aggregator`), so this also bounds how long one batch is applied while the next
        /// is polled and decoded, and how late a flush can fall: 10 000 version-2 messages took seconds to apply.
        package var pollMessages: Int

        package init(
            topics: TopicCatalog, kafka: KafkaConnection, assignment: WorkerAssignment, windows: WindowSettings,
            flushInterval: Duration, types: [MeasurementType] = MeasurementType.allCases,
            groupID: String = AggregatorConfiguration.groupID, clientID: String = "aggregator",
            consumer: KafkaConsumer.Options = KafkaConsumer.Options(), pollMessages: Int = 1_000
        ) {
            self.topics = topics
            self.kafka = kafka
            self.assignment = assignment
            self.windows = windows
            self.flushInterval = flushInterval
            self.types = types
            self.groupID = groupID
            self.clientID = clientID
            self.consumer = consumer
            self.pollMessages = pollMessages
        }
    }

    private let settings: Settings
    private let clock: FlushClock
    private let publisher: any RecordPublisher
    private let logger: Logger
    private let outcomes: [PartitionAggregator.Outcome: Counter]
    private let malformedMessages: Counter
    private let summariesPublished: Counter
    private let consumerLag: Gauge
    private let openWindows: Gauge
    private let openSeries: Gauge
    private let internedSeries: Gauge
    private let originFingerprints: Gauge
    private let stateBytes: Gauge
    private let sketchBytes: Gauge
    private let flushDuration: Timer
    private let metrics: any MetricsFactory
    private let worker = BlockingWorker(label: "drainpipe.aggregator.consumer")
    /// What `/readyz` reports: assigned, and replayed through the partitions' ends at start.
    package let readiness = AggregatorReadiness()

    package init(
        settings: Settings, clock: FlushClock, publisher: any RecordPublisher, metrics: any MetricsFactory,
        logger: Logger
    ) {
        self.settings = settings
        self.clock = clock
        self.publisher = publisher
        self.logger = logger
        self.metrics = metrics
        outcomes = Dictionary(
            uniqueKeysWithValues: PartitionAggregator.Outcome.allCases.map { outcome in
                (
                    outcome,
                    Counter(
                        label: "drainpipe_aggregator_measurements_total",
                        dimensions: [("outcome", Self.label(outcome))], factory: metrics)
                )
            })
        malformedMessages = Counter(label: "drainpipe_aggregator_malformed_messages_total", factory: metrics)
        summariesPublished = Counter(label: "drainpipe_aggregator_summaries_published_total", factory: metrics)
        consumerLag = Gauge(label: "drainpipe_aggregator_consumer_lag", factory: metrics)
        openWindows = Gauge(label: "drainpipe_aggregator_open_windows", factory: metrics)
        openSeries = Gauge(label: "drainpipe_aggregator_open_series", factory: metrics)
        internedSeries = Gauge(label: "drainpipe_aggregator_distinct_series", factory: metrics)
        originFingerprints = Gauge(label: "drainpipe_aggregator_origin_fingerprints", factory: metrics)
        stateBytes = Gauge(
            label: "drainpipe_aggregator_state_bytes", dimensions: [("part", "accumulators")], factory: metrics)
        sketchBytes = Gauge(
            label: "drainpipe_aggregator_state_bytes", dimensions: [("part", "sketches")], factory: metrics)
        flushDuration = Timer(label: "drainpipe_aggregator_flush_duration_seconds", factory: metrics)
    }

    private static func label(_ outcome: PartitionAggregator.Outcome) -> String {
        switch outcome {
        case .accepted: "accepted"
        case .tooLate: "too_late"
        case .tooFarInFuture: "too_far_in_future"
        case .windowAlreadyFinal: "window_final"
        case .alreadyApplied: "already_applied"
        case .duplicate: "duplicate"
        }
    }

    package func run() async throws {
        let consumer = try KafkaConsumer(
            connection: settings.kafka, groupID: settings.kafka.groupID(settings.groupID),
            clientID: settings.clientID, options: settings.consumer, logger: logger)
        defer { consumer.close() }
        try await run(consuming: consumer)
    }

    private func run(consuming consumer: any PartitionConsumer) async throws {
        var partitions = try await restoreAndAssign(consumer)
        readiness.update(partitions.replayRemaining)
        let partitionLags = Dictionary(
            uniqueKeysWithValues: partitions.partitions.map { partition in
                (
                    partition,
                    Gauge(
                        label: "drainpipe_aggregator_partition_lag_messages",
                        dimensions: [("topic", partition.topic), ("partition", "\(partition.partition)")],
                        factory: metrics)
                )
            })
        logger.info(
            "aggregator assigned",
            metadata: [
                "partitions": "\(partitions.partitions.count)", "assignment": "\(settings.assignment)",
                "claim": "\(partitions.claim)",
            ])

        let versions = rawWireVersions
        let pollMessages = settings.pollMessages
        var nextFlush = clock.now.advanced(by: settings.flushInterval)
        var flushes = 0
        var tally = Array(repeating: 0, count: PartitionAggregator.Outcome.allCases.count)
        // While a batch is applied here, the consumer thread polls and decodes the next one (only while messages
        // keep coming, so an idle poll never holds up a commit). Batches are applied in the order they were polled.
        var nextBatch: Task<[DecodedMessage], any Error>?
        do {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let messages =
                    if let nextBatch { try await nextBatch.value } else {
                        try await pollAndDecode(consumer, versions: versions, maxMessages: pollMessages)
                    }
                nextBatch = nil
                if !messages.isEmpty && clock.now < nextFlush {
                    nextBatch = Task { [worker] in
                        try await worker.run {
                            try Self.pollAndDecode(consumer, versions: versions, maxMessages: pollMessages)
                        }
                    }
                }
                for message in messages {
                    for outcome in apply(message, to: &partitions) {
                        tally[PartitionAggregator.Outcome.allCases.firstIndex(of: outcome) ?? 0] += 1
                    }
                }
                for (outcome, count) in zip(PartitionAggregator.Outcome.allCases, tally) where count > 0 {
                    outcomes[outcome]?.increment(by: count)
                }
                tally = tally.map { _ in 0 }
                if messages.isEmpty,
                    let lag = partitions.lagWhenIdle(highWatermark: { consumer.cachedWatermarks(for: $0)?.high })
                {
                    // Idle after consuming: report the backlog, and say so once the end of every partition is applied.
                    consumerLag.record(lag)
                    if lag == 0 { logger.debug("applied through the end of every partition") }
                }
                if clock.now >= nextFlush {
                    // The memory gauges walk every open series: every tenth flush is often enough.
                    try await flush(&partitions, consumer: consumer, measuringMemory: flushes % 10 == 0)
                    readiness.update(partitions.replayRemaining)
                    let lags = partitions.lagByPartition { consumer.cachedWatermarks(for: $0)?.high }
                    for (partition, lag) in lags { partitionLags[partition]?.record(lag) }
                    flushes += 1
                    nextFlush = clock.now.advanced(by: settings.flushInterval)
                }
            }
        } catch {
            // Never close the consumer while the worker thread may still poll it.
            _ = try? await nextBatch?.value
            throw error
        }
        if let nextBatch {
            for message in try await nextBatch.value { _ = apply(message, to: &partitions) }
        }
        try await flush(&partitions, consumer: consumer, measuringMemory: true)
        logger.info("aggregator stopped after a final flush and commit")
    }

    /// A polled message with its payload already decoded on the consumer thread.
    private struct DecodedMessage: Sendable {
        var message: KafkaMessage
        var payload: Result<Payload, WireError>
    }

    /// What one raw message holds: one measurement (wire version 1) or the columns of a batch (version 2).
    private enum Payload: Sendable {
        case measurement(Measurement)
        case batch(MeasurementColumns)
    }

    /// The wire version of every raw topic this process reads, by its name with `KAFKA_PREFIX`.
    private var rawWireVersions: [String: Int] {
        var versions: [String: Int] = [:]
        for type in settings.types {
            for topic in settings.topics.rawTopics(for: type) {
                versions[settings.kafka.topicName(topic.name)] = topic.wireVersion
            }
        }
        return versions
    }

    private func pollAndDecode(
        _ consumer: any PartitionConsumer, versions: [String: Int], maxMessages: Int
    ) async throws -> [DecodedMessage] {
        try await worker.run { try Self.pollAndDecode(consumer, versions: versions, maxMessages: maxMessages) }
    }

    /// Polls up to `maxMessages` messages (waiting at most 100 ms for the first) and decodes each payload by its
    /// topic's wire version: one `drainpipe.v1.Measurement` (version 1) or a `drainpipe.v2.MeasurementBatch`
    /// (version 2), kept as its columns.
    private static func pollAndDecode(
        _ consumer: any PartitionConsumer, versions: [String: Int], maxMessages: Int
    ) throws -> [DecodedMessage] {
        try consumer.poll(maxMessages: maxMessages, timeout: .milliseconds(100)).map { message in
            DecodedMessage(
                message: message,
                payload: Result { () throws(WireError) in
                    if versions[message.topic] == 2 {
                        .batch(try MeasurementBatchWire.decodeColumns(message.value))
                    } else {
                        .measurement(try Measurement(wireBytes: message.value))
                    }
                })
        }
    }

    /// Reads committed offsets, markers and partition ends, restores the partitions, commits this process's claim
    /// on each and assigns the consumer.
    private func restoreAndAssign(_ consumer: any PartitionConsumer) async throws -> AggregatorPartitions {
        let groups = AggregatorPartitions.sharedRawPartitions(
            of: settings.types, in: settings.topics, kafka: settings.kafka, assignment: settings.assignment)
        let ownership = OwnedPartitions(
            topics: settings.types.flatMap { settings.topics.rawTopics(for: $0) }, kafka: settings.kafka,
            assignment: settings.assignment)
        let owned = ownership.partitions
        let committed = try await worker.run { try consumer.committedOffsets(for: owned, timeout: .seconds(30)) }
        let ends = try await worker.run {
            try owned.reduce(into: [TopicPartition: (low: Int64, high: Int64)]()) { ends, partition in
                ends[partition] = try consumer.watermarks(for: partition, timeout: .seconds(30))
            }
        }
        var partitions = AggregatorPartitions(
            sharing: groups, committed: committed, ends: ends, settings: settings.windows,
            claim: AggregatorWorkerClaim(following: committed.values.map(\.metadata)))
        let claims = partitions.claimCommits
        try await worker.run { try consumer.commit(claims) }
        partitions.didCommit(claims)
        let startOffsets = ownership.startOffsets(committed: committed)
        try await worker.run { try consumer.assign(startOffsets) }
        return partitions
    }

    /// Applies one raw message; returns the outcome of each measurement not skipped (not this worker's, malformed
    /// or implausible).
    private func apply(
        _ decoded: DecodedMessage, to partitions: inout AggregatorPartitions
    ) -> [PartitionAggregator.Outcome] {
        let message = decoded.message
        switch decoded.payload {
        case .failure(let error):
            malformedMessages.increment()
            logger.warning(
                "skipping malformed raw message",
                metadata: [
                    "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                    "error": "\(error)",
                ])
            partitions.skipMalformed(message)
            return []
        case .success(let payload):
            let applied =
                switch payload {
                case .measurement(let measurement): [partitions.apply(measurement, from: message)]
                case .batch(let batch): partitions.apply(batch, from: message)
                }
            var outcomes: [PartitionAggregator.Outcome] = []
            outcomes.reserveCapacity(applied.count)
            var implausible = 0
            for applied in applied {
                switch applied {
                case .outcome(let outcome): outcomes.append(outcome)
                case .implausibleTime: implausible += 1
                case .notOwned: break
                }
            }
            if implausible > 0 {
                malformedMessages.increment()
                logger.warning(
                    "skipping measurements with an implausible time",
                    metadata: [
                        "topic": "\(message.topic)", "partition": "\(message.partition)",
                        "offset": "\(message.offset)", "measurements": "\(implausible)",
                    ])
            }
            return outcomes
        }
    }

    /// Reads the claims back, publishes every changed summary, waits for the acknowledgement, then commits.
    ///
    /// Throws `AggregatorError.duplicateWorker` when another process claimed one of the partitions since.
    private func flush(
        _ partitions: inout AggregatorPartitions, consumer: any PartitionConsumer, measuringMemory: Bool
    ) async throws {
        let started = ContinuousClock.now
        defer { flushDuration.record(duration: ContinuousClock.now - started) }
        let owned = partitions.partitions
        let committed = try await worker.run { try consumer.committedOffsets(for: owned, timeout: .seconds(30)) }
        let flush: AggregatorPartitions.Flush
        switch partitions.beginFlush(committed: committed) {
        case .superseded(let partition, let other):
            let error = AggregatorError.duplicateWorker(
                assignment: "\(settings.assignment)", partition: "\(partition)", ours: "\(partitions.claim)",
                theirs: "\(other)")
            logger.critical("\(error)")
            throw error
        case .publish(let started):
            flush = started
        }
        for (partition, older) in flush.olderClaims {
            logger.warning(
                "an older aggregator process with this worker index still commits; it stops at its next flush",
                metadata: ["partition": "\(partition)", "claim": "\(partitions.claim)", "older": "\(older)"])
        }
        if !flush.summaries.isEmpty {
            try await publisher.send(flush.summaries.map { settings.topics.summaryRecord(for: $0, in: settings.kafka) })
            summariesPublished.increment(by: flush.summaries.count)
        }
        let commits = partitions.completeFlush(flush)
        if measuringMemory { record(partitions.footprint) }
        guard !commits.isEmpty else { return }
        try await worker.run { try consumer.commit(commits) }
        partitions.didCommit(commits)
    }

    private func record(_ footprint: PartitionAggregator.Footprint) {
        openWindows.record(footprint.openWindows)
        openSeries.record(footprint.openSeries)
        internedSeries.record(footprint.internedSeries)
        originFingerprints.record(footprint.originFingerprints)
        stateBytes.record(footprint.approximateBytes)
        sketchBytes.record(footprint.sketchBytes)
    }
}
