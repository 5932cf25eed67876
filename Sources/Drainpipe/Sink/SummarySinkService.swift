import DrainpipeCore
import DrainpipeKafka
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Consumes summaries from Kafka and persists them to the Postgres shards: the Kafka consumer, its partitions and
/// the backlog gauge around ``SummarySink``, which decides what each poll leads to.
///
/// Two modes share the loop. `.primary` (postgres-sink) reads the summary topics, writes COPY batches per shard,
/// and hands a batch that cannot be written to the RETRY topic. `.retry` (retry-sink) reads the RETRY topics and
/// retries each batch with exponential back-off and jitter until it is written. Either way offsets are committed
/// only after every summary of the poll is durable in Postgres or acknowledged on the RETRY topic.
package final class SummarySinkService: Service {
    package enum Mode: String, Sendable {
        case primary, retry
    }

    /// Everything the service needs, resolved from `SinkConfiguration` or built by tests.
    package struct Settings: Sendable {
        package var mode: Mode
        package var topics: TopicCatalog
        package var kafka: KafkaConnection
        package var assignment: WorkerAssignment
        package var batchSize: Int
        package var types: [MeasurementType]
        package var groupID: String
        package var clientID: String
        /// The retry-sink's back-off: first delay and cap.
        package var retryDelay: Duration
        package var maximumRetryDelay: Duration
        /// How often the backlog gauge is updated (and, for the retry-sink, logged).
        package var backlogReportInterval: Duration

        package init(
            mode: Mode, topics: TopicCatalog, kafka: KafkaConnection, assignment: WorkerAssignment,
            batchSize: Int = 1024,
            types: [MeasurementType] = MeasurementType.allCases, groupID: String? = nil, clientID: String = "sink",
            retryDelay: Duration = .milliseconds(200), maximumRetryDelay: Duration = .seconds(30),
            backlogReportInterval: Duration = .seconds(10)
        ) {
            self.mode = mode
            self.topics = topics
            self.kafka = kafka
            self.assignment = assignment
            self.batchSize = batchSize
            self.types = types
            self.groupID = groupID ?? (mode == .primary ? "drainpipe-postgres-sink" : "drainpipe-retry-sink")
            self.clientID = clientID
            self.retryDelay = retryDelay
            self.maximumRetryDelay = maximumRetryDelay
            self.backlogReportInterval = backlogReportInterval
        }
    }

    private let settings: Settings
    private let sink: SummarySink<ContinuousClock>
    private let logger: Logger
    private let backlog: Gauge
    private let worker: BlockingWorker

    package init(
        settings: Settings, database: any SummaryShardWriter, publisher: any RecordPublisher,
        metrics: any MetricsFactory, logger: Logger
    ) {
        self.settings = settings
        self.logger = logger
        sink = SummarySink(
            settings: settings, database: database, publisher: publisher, clock: ContinuousClock(),
            random: SplitMix64(seed: .random(in: .min ... .max)), metrics: metrics, logger: logger)
        backlog = Gauge(
            label: "drainpipe_sink_backlog_messages", dimensions: [("mode", settings.mode.rawValue)], factory: metrics)
        worker = BlockingWorker(label: "drainpipe.sink.\(settings.mode.rawValue).consumer")
    }

    package func run() async throws {
        let consumer = try KafkaConsumer(
            connection: settings.kafka, groupID: settings.kafka.groupID(settings.groupID), clientID: settings.clientID,
            logger: logger)
        defer { consumer.close() }
        let role: TopicCatalog.Role = settings.mode == .primary ? .summary : .retry
        let ownership = OwnedPartitions(
            role: role, of: settings.types, in: settings.topics, kafka: settings.kafka, assignment: settings.assignment)
        let owned = ownership.partitions
        let committed = try await worker.run { try consumer.committedOffsets(for: owned, timeout: .seconds(30)) }
        var positions = committed.compactMapValues { OwnedPartitions.resumeOffset($0) }
        let assignment = ownership.startOffsets(committed: committed)
        try await worker.run { try consumer.assign(assignment) }
        logger.info("sink assigned", metadata: ["mode": "\(settings.mode.rawValue)", "partitions": "\(owned.count)"])

        let committedPositions = CommittedPositions(positions)
        try await withThrowingTaskGroup(of: Void.self) { group in
            // Reported beside the loop, so the backlog stays visible while the retry-sink waits out an outage.
            group.addTask { await self.reportBacklog(of: consumer, owned: owned, committed: committedPositions) }
            do {
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    // False: shutting down mid-retry, nothing committed.
                    guard try await sink.pollOnce(from: consumer, on: worker, positions: &positions) else { break }
                    committedPositions.update(positions)
                }
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
        logger.info("sink stopped", metadata: ["mode": "\(settings.mode.rawValue)"])
    }

    /// Every `backlogReportInterval` until cancelled, reports how many messages wait behind the committed positions,
    /// from the watermarks of the last fetch: the `drainpipe_sink_backlog_messages` gauge always, and for the
    /// retry-sink a log line while there is a backlog and once when it has drained.
    private func reportBacklog(
        of consumer: KafkaConsumer, owned: [TopicPartition], committed: CommittedPositions
    ) async {
        var previous: Int64 = 0
        while !Task.isCancelled {
            let positions = committed.current
            let lag = owned.reduce(Int64(0)) { total, partition in
                guard let (low, high) = consumer.cachedWatermarks(for: partition) else { return total }
                return total + max(0, high - max(low, positions[partition] ?? low))
            }
            backlog.record(lag)
            if settings.mode == .retry, lag > 0 || previous > 0 {
                logger.info(lag > 0 ? "retry backlog" : "retry backlog drained", metadata: ["messages": "\(lag)"])
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
