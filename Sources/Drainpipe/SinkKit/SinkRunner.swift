import DrainpipeCore
import DrainpipeKafka
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// One loop of a sink as a service: the Kafka consumer of its own group, its share of partitions, the backlog
/// gauge and its readiness around ``SinkLoop``, which decides what each poll leads to.
///
/// Worker `i` of `n` (from `DYNO` and the sink's worker count) owns partition `p` of every topic it reads when
/// `p mod n == i`; a partition its group never committed is read from the beginning, so a sink started for the
/// first time receives the latest version of every summary the compacted topics still hold. SIGTERM ends the
/// current poll (written and committed, or in the retry loop left uncommitted) and stops; after a kill -9 the
/// next start resumes at the last commit, which followed only durable or handed-over summaries.
package final class SinkRunner: Service {
    package let settings: SinkSettings
    private let loop: SinkLoop<ContinuousClock>
    private let destination: any SummaryDestination
    private let logger: Logger
    private let backlog: Gauge
    private let metrics: any MetricsFactory
    private let worker: BlockingWorker
    /// What `/readyz` reports of this loop.
    package let readiness: SinkReadiness

    package init(
        settings: SinkSettings, destination: any SummaryDestination, publisher: any RecordPublisher,
        metrics: any MetricsFactory, logger: Logger
    ) {
        self.settings = settings
        self.destination = destination
        self.logger = logger
        self.metrics = metrics
        loop = SinkLoop(
            settings: settings, destination: destination, publisher: publisher, clock: ContinuousClock(),
            random: SplitMix64(seed: .random(in: .min ... .max)), metrics: metrics, logger: logger)
        backlog = Gauge(
            label: "drainpipe_sink_backlog_messages", dimensions: settings.metricDimensions, factory: metrics)
        worker = BlockingWorker(label: "drainpipe.sink.\(settings.sink).\(settings.mode.rawValue).consumer")
        readiness = SinkReadiness(name: "\(settings.sink) \(settings.mode.rawValue)", destination: destination)
    }

    private var logMetadata: Logger.Metadata { ["sink": "\(settings.sink)", "mode": "\(settings.mode.rawValue)"] }

    package func run() async throws {
        let consumer = try KafkaConsumer(
            connection: settings.kafka, groupID: settings.kafka.groupID(settings.groupID), clientID: settings.clientID,
            logger: logger)
        defer { consumer.close() }
        let ownership = OwnedPartitions(
            topics: settings.sourceTopics, kafka: settings.kafka, assignment: settings.assignment)
        let owned = ownership.partitions
        let committed = try await worker.run { try consumer.committedOffsets(for: owned, timeout: .seconds(30)) }
        var positions = committed.compactMapValues { OwnedPartitions.resumeOffset($0) }
        let assignment = ownership.startOffsets(committed: committed)
        try await worker.run { try consumer.assign(assignment) }
        readiness.markAssigned()
        logger.info("sink assigned", metadata: logMetadata.merging(["partitions": "\(owned.count)"]) { $1 })

        let committedPositions = CommittedPositions(positions)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Reported beside the loop, so the backlog stays visible while the retry loop waits out an outage.
            group.addTask { await self.reportBacklog(of: consumer, owned: owned, committed: committedPositions) }
            do {
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    // False: shutting down mid-retry, nothing committed.
                    guard try await loop.pollOnce(from: consumer, on: worker, positions: &positions) else { break }
                    committedPositions.update(positions)
                }
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
        logger.info("sink stopped", metadata: logMetadata)
    }

    /// Every `backlogReportInterval` until cancelled, reports how many messages wait behind the committed positions,
    /// from the watermarks of the last fetch: the `drainpipe_sink_backlog_messages` gauge and the per-partition
    /// `drainpipe_sink_partition_lag_messages` always, and for the
    /// retry loop a log line while there is a backlog and once when it has drained.
    private func reportBacklog(
        of consumer: KafkaConsumer, owned: [TopicPartition], committed: CommittedPositions
    ) async {
        var previous: Int64 = 0
        let partitionLags = owned.map { partition in
            Gauge(
                label: "drainpipe_sink_partition_lag_messages",
                dimensions: settings.metricDimensions + [
                    ("topic", partition.topic), ("partition", "\(partition.partition)"),
                ],
                factory: metrics)
        }
        while !Task.isCancelled {
            let positions = committed.current
            var lag: Int64 = 0
            for (partition, gauge) in zip(owned, partitionLags) {
                guard let (low, high) = consumer.cachedWatermarks(for: partition) else { continue }
                let partitionLag = max(0, high - max(low, positions[partition] ?? low))
                gauge.record(partitionLag)
                lag += partitionLag
            }
            backlog.record(lag)
            if settings.mode == .retry, lag > 0 || previous > 0 {
                logger.info(
                    lag > 0 ? "retry backlog" : "retry backlog drained",
                    metadata: logMetadata.merging(["messages": "\(lag)"]) { $1 })
            }
            previous = lag
            do {
                try await Task.sleep(for: settings.backlogReportInterval)
            } catch {
                return
            }
        }
    }
}

/// The next offset to read of each partition, as last committed; shared by the sink loop and its backlog reporter.
private final class CommittedPositions: Sendable {
    private let positions: Mutex<[TopicPartition: Int64]>

    init(_ positions: [TopicPartition: Int64]) {
        self.positions = Mutex(positions)
    }

    var current: [TopicPartition: Int64] { positions.withLock { $0 } }

    func update(_ newPositions: [TopicPartition: Int64]) {
        positions.withLock { $0 = newPositions }
    }
}
