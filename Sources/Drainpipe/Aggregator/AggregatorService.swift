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

        package init(
            topics: TopicCatalog, kafka: KafkaConnection, assignment: WorkerAssignment, windows: WindowSettings,
            flushInterval: Duration, types: [MeasurementType] = MeasurementType.allCases,
            groupID: String = "drainpipe-aggregator", clientID: String = "aggregator",
            consumer: KafkaConsumer.Options = KafkaConsumer.Options()
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
    private let worker = BlockingWorker(label: "drainpipe.aggregator.consumer")

    package init(
        settings: Settings, clock: FlushClock, publisher: any RecordPublisher, metrics: any MetricsFactory,
        logger: Logger
    ) {
        self.settings = settings
        self.clock = clock
        self.publisher = publisher
        self.logger = logger
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
        let (restored, claim) = try await restoreAndAssign(consumer)
        var partitions = restored
        logger.info(
            "aggregator assigned",
            metadata: [
                "partitions": "\(partitions.count)", "assignment": "\(settings.assignment)", "claim": "\(claim)",
            ])

        var nextFlush = clock.now.advanced(by: settings.flushInterval)
        var consumedSinceIdle = false
        var flushes = 0
        var tally = Array(repeating: 0, count: PartitionAggregator.Outcome.allCases.count)
        // While a batch is applied here, the consumer thread polls and decodes the next one (only while messages
        // keep coming, so an idle poll never holds up a commit). Batches are applied in the order they were polled.
        var nextBatch: Task<[DecodedMessage], any Error>?
        do {
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                let messages = if let nextBatch { try await nextBatch.value } else { try await pollAndDecode(consumer) }
                nextBatch = nil
                if !messages.isEmpty && clock.now < nextFlush {
                    nextBatch = Task { [worker] in try await worker.run { try Self.pollAndDecode(consumer) } }
                }
                for message in messages {
                    if let outcome = apply(message, to: &partitions) {
                        tally[PartitionAggregator.Outcome.allCases.firstIndex(of: outcome) ?? 0] += 1
                    }
                }
                for (outcome, count) in zip(PartitionAggregator.Outcome.allCases, tally) where count > 0 {
                    outcomes[outcome]?.increment(by: count)
                }
                tally = tally.map { _ in 0 }
                if !messages.isEmpty {
                    consumedSinceIdle = true
                } else if consumedSinceIdle, let lag = Self.lag(of: partitions, consumer: consumer) {
                    // Idle after consuming: report the backlog, and say so once the end of every partition is applied.
                    consumerLag.record(lag)
                    if lag == 0 {
                        consumedSinceIdle = false
                        logger.debug("applied through the end of every partition")
                    }
                }
                if clock.now >= nextFlush {
                    // The memory gauges walk every open series: every tenth flush is often enough.
                    try await flush(&partitions, claim: claim, consumer: consumer, measuringMemory: flushes % 10 == 0)
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
        try await flush(&partitions, claim: claim, consumer: consumer, measuringMemory: true)
        logger.info("aggregator stopped after a final flush and commit")
    }

    /// A polled message with its payload already decoded on the consumer thread.
    private struct DecodedMessage: Sendable {
        var message: KafkaMessage
        var measurement: Result<Measurement, WireError>
    }

    private func pollAndDecode(_ consumer: KafkaConsumer) async throws -> [DecodedMessage] {
        try await worker.run { try Self.pollAndDecode(consumer) }
    }

    /// Polls up to 10 000 messages (waiting at most 100 ms for the first) and decodes each payload.
    private static func pollAndDecode(_ consumer: KafkaConsumer) throws -> [DecodedMessage] {
        try consumer.poll(maxMessages: 10_000, timeout: .milliseconds(100)).map { message in
            DecodedMessage(
                message: message,
                measurement: Result { () throws(WireError) in try Measurement(wireBytes: message.value) })
        }
    }

    /// Reads committed offsets and markers, builds each partition's state, claims the partitions and assigns the
    /// consumer.
    private func restoreAndAssign(
        _ consumer: KafkaConsumer
    ) async throws -> ([TopicPartition: PartitionState], AggregatorWorkerClaim) {
        let ownership = OwnedPartitions(
            role: .raw, of: settings.types, in: settings.topics, kafka: settings.kafka, assignment: settings.assignment)
        let owned = ownership.partitions
        let committed = try await worker.run { try consumer.committedOffsets(for: owned, timeout: .seconds(30)) }
        var states: [TopicPartition: PartitionState] = [:]
        // Where the previous process may have got to: until the replay reaches it, publishing would put partial
        // summaries over the complete ones it already published.
        let ends = try await worker.run {
            try owned.reduce(into: [TopicPartition: (low: Int64, high: Int64)]()) { ends, partition in
                ends[partition] = try consumer.watermarks(for: partition, timeout: .seconds(30))
            }
        }
        for partition in owned {
            let replayUntil = ends[partition]?.high ?? 0
            if let commit = committed[partition], let resumeOffset = OwnedPartitions.resumeOffset(commit) {
                let aggregator = PartitionAggregator(
                    settings: settings.windows, startingAt: resumeOffset,
                    resuming: CommitMarker(metadata: commit.metadata))
                states[partition] = PartitionState(aggregator: aggregator, committed: commit, replayUntil: replayUntil)
            } else {
                let aggregator = PartitionAggregator(settings: settings.windows, startingAt: ends[partition]?.low ?? 0)
                states[partition] = PartitionState(aggregator: aggregator, committed: nil, replayUntil: replayUntil)
            }
        }
        // Claim every owned partition now, before any replay: a process already running with this index sees the
        // claim at its next flush and stops. The offsets and markers stay what they were.
        let claim = AggregatorWorkerClaim(following: committed.values.map(\.metadata))
        let claims = states.mapValues { Self.commit(of: $0.aggregator, claim: claim) }
        try await worker.run { try consumer.commit(claims) }
        for (partition, commit) in claims { states[partition]?.committed = commit }
        let startOffsets = ownership.startOffsets(committed: committed)
        try await worker.run { try consumer.assign(startOffsets) }
        return (states, claim)
    }

    /// What to commit for a partition: its commit point, the marker and this process's claim.
    private static func commit(of aggregator: PartitionAggregator, claim: AggregatorWorkerClaim) -> CommittedOffset {
        let point = aggregator.commitPoint
        return CommittedOffset(offset: point.offset, metadata: "\(point.marker.metadata) \(claim.metadataWord)")
    }

    /// Reads the committed metadata of every owned partition and throws when another process claimed one since.
    ///
    /// - Returns: the partitions where an older process overwrote this one's claim: they must be claimed again, or
    ///   the older process, reading its own claim back, would never notice.
    private func verifyClaim(
        _ claim: AggregatorWorkerClaim, on partitions: [TopicPartition], consumer: KafkaConsumer
    ) async throws -> [TopicPartition] {
        let committed = try await worker.run { try consumer.committedOffsets(for: partitions, timeout: .seconds(30)) }
        var overwritten: [TopicPartition] = []
        for (partition, commit) in committed.sorted(by: { $0.key.description < $1.key.description }) {
            guard let other = AggregatorWorkerClaim(metadata: commit.metadata), other != claim else { continue }
            guard claim.isSuperseded(by: other) else {
                logger.warning(
                    "an older aggregator process with this worker index still commits; it stops at its next flush",
                    metadata: ["partition": "\(partition)", "claim": "\(claim)", "older": "\(other)"])
                overwritten.append(partition)
                continue
            }
            let error = AggregatorError.duplicateWorker(
                assignment: "\(settings.assignment)", partition: "\(partition)", ours: "\(claim)", theirs: "\(other)")
            logger.critical("\(error)")
            throw error
        }
        return overwritten
    }

    /// Applies one raw message; nil when it was skipped (not this worker's, malformed or implausible).
    private func apply(
        _ decoded: DecodedMessage, to partitions: inout [TopicPartition: PartitionState]
    ) -> PartitionAggregator.Outcome? {
        let message = decoded.message
        let key = message.topicPartition
        let measurement: Measurement
        switch decoded.measurement {
        case .success(let decodedMeasurement):
            measurement = decodedMeasurement
        case .failure(let error):
            malformedMessages.increment()
            logger.warning(
                "skipping malformed raw message",
                metadata: [
                    "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                    "error": "\(error)",
                ])
            partitions[key]?.aggregator.skip(offset: message.offset, messageTime: message.timestamp)
            return nil
        }
        let messageTime = message.timestamp ?? measurement.receivedAt
        guard messageTime.isPlausible, measurement.time.isPlausible else {
            // A broken clock would move the partition's watermark to the far future and finalise every window.
            malformedMessages.increment()
            logger.warning(
                "skipping a raw message with an implausible time",
                metadata: [
                    "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                ])
            partitions[key]?.aggregator.skip(offset: message.offset, messageTime: nil)
            return nil
        }
        return partitions[key]?.aggregator.apply(measurement, offset: message.offset, messageTime: messageTime)
    }

    /// Publishes every changed summary, waits for the acknowledgement, then finalizes windows and commits.
    ///
    /// Partitions still replaying what an earlier process already saw are left alone until they catch up.
    private func flush(
        _ partitions: inout [TopicPartition: PartitionState], claim: AggregatorWorkerClaim, consumer: KafkaConsumer,
        measuringMemory: Bool
    ) async throws {
        let overwritten = try await verifyClaim(claim, on: Array(partitions.keys), consumer: consumer)
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
        for key in overwritten {
            commits[key] = partitions[key]?.committed
        }
        for key in caughtUp {
            partitions[key]?.aggregator.finalizeWindows()
            guard let state = partitions[key] else { continue }
            let commit = Self.commit(of: state.aggregator, claim: claim)
            if commit != state.committed {
                commits[key] = commit
            }
        }
        if measuringMemory {
            record(partitions.values.reduce(PartitionAggregator.Footprint()) { $0 + $1.aggregator.footprint })
        }
        guard !commits.isEmpty else { return }
        let toCommit = commits
        try await worker.run { try consumer.commit(toCommit) }
        for (key, commit) in commits {
            partitions[key]?.committed = commit
        }
    }

    /// Messages not yet applied, by the watermarks of the last fetches; nil while a partition was never fetched.
    private static func lag(of partitions: [TopicPartition: PartitionState], consumer: KafkaConsumer) -> Int64? {
        var lag: Int64 = 0
        for (partition, state) in partitions {
            guard let high = consumer.cachedWatermarks(for: partition)?.high else { return nil }
            lag += max(0, high - state.aggregator.nextOffset)
        }
        return lag
    }

    private func record(_ footprint: PartitionAggregator.Footprint) {
        openWindows.record(footprint.openWindows)
        openSeries.record(footprint.openSeries)
        internedSeries.record(footprint.internedSeries)
        originFingerprints.record(footprint.originFingerprints)
        stateBytes.record(footprint.approximateBytes)
        sketchBytes.record(footprint.sketchBytes)
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
