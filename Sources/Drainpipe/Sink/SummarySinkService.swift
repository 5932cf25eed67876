import DrainpipeCore
import DrainpipeKafka
import DrainpipePostgres
import DrainpipeWire
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Consumes summaries from Kafka and persists them to the Postgres shards.
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
    private let database: ShardedDatabase
    private let publisher: any RecordPublisher
    private let logger: Logger
    private let written: Counter
    private let sentToRetry: Counter
    private let unstorable: Counter
    private let writeFailures: Counter
    private let backlog: Gauge
    private let worker: BlockingWorker

    package init(
        settings: Settings, database: ShardedDatabase, publisher: any RecordPublisher, metrics: any MetricsFactory,
        logger: Logger
    ) {
        self.settings = settings
        self.database = database
        self.publisher = publisher
        self.logger = logger
        let mode = [("mode", settings.mode.rawValue)]
        written = Counter(label: "drainpipe_sink_summaries_written_total", dimensions: mode, factory: metrics)
        sentToRetry = Counter(label: "drainpipe_sink_summaries_sent_to_retry_total", dimensions: mode, factory: metrics)
        unstorable = Counter(label: "drainpipe_sink_unstorable_summaries_total", dimensions: mode, factory: metrics)
        writeFailures = Counter(label: "drainpipe_sink_write_failures_total", dimensions: mode, factory: metrics)
        backlog = Gauge(label: "drainpipe_sink_backlog_messages", dimensions: mode, factory: metrics)
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
                    let batchSize = settings.batchSize
                    let messages = try await worker.run {
                        try consumer.poll(maxMessages: batchSize * 4, timeout: .milliseconds(200))
                    }
                    guard !messages.isEmpty else { continue }
                    guard try await persist(messages) else { break }  // shutting down mid-retry: do not commit
                    var commits: [TopicPartition: CommittedOffset] = [:]
                    for message in messages {
                        let next = message.offset + 1
                        if next > (positions[message.topicPartition] ?? -1) {
                            positions[message.topicPartition] = next
                            commits[message.topicPartition] = CommittedOffset(offset: next)
                        }
                    }
                    let toCommit = commits
                    try await worker.run { try consumer.commit(toCommit) }
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

    /// Writes every decodable summary of the poll. Returns false only when the retry-sink was asked to stop
    /// before everything was written.
    ///
    /// Shards, and the sessions of a shard (owners spread over them), are written concurrently; on each session,
    /// the poll's summaries of one UTC day are written in one transaction (COPY chunks of the writer's size, one
    /// upsert per type, one commit).
    private func persist(_ messages: [KafkaMessage]) async throws -> Bool {
        var bySession: [ShardSession: [Entry]] = [:]
        for message in messages {
            do {
                let summary = try Summary(wireBytes: message.value)
                let owner = summary.key.owner
                bySession[
                    ShardSession(shard: database.shard(forOwner: owner), session: database.session(forOwner: owner)),
                    default: []
                ]
                .append(Entry(summary: summary, message: message))
            } catch {
                unstorable.increment()
                logger.error(
                    "skipping a summary that cannot be decoded",
                    metadata: [
                        "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                        "error": "\(error)",
                    ])
            }
        }
        let failed: [Entry] = try await withThrowingTaskGroup(of: [Entry].self) { group in
            for (target, entries) in bySession {
                group.addTask { try await self.write(entries, to: target) }
            }
            var failed: [Entry] = []
            for try await shardFailures in group { failed.append(contentsOf: shardFailures) }
            return failed
        }
        if settings.mode == .retry { return failed.isEmpty }
        let records = failed.map { entry in
            settings.topics.topic(.retry, for: entry.summary.key.type).record(
                owner: entry.summary.key.owner, processType: entry.summary.key.processType, key: entry.message.key,
                value: entry.message.value, in: settings.kafka)
        }
        if !records.isEmpty {
            try await publisher.send(records)
            sentToRetry.increment(by: records.count)
        }
        return true
    }

    /// One session of one shard.
    private struct ShardSession: Hashable, Sendable {
        var shard: Int
        var session: Int
    }

    /// A decoded summary and the message it came in.
    private struct Entry: Sendable {
        var summary: Summary
        var message: KafkaMessage
    }

    /// Writes one shard session's summaries, one transaction per UTC day; returns the summaries that could not be
    /// written.
    ///
    /// A failed transaction wrote none of its summaries, so the primary sink hands all of them to RETRY after one
    /// attempt; the retry-sink tries again with back-off until it succeeds or the process is asked to stop, and then
    /// returns everything.
    private func write(_ entries: [Entry], to target: ShardSession) async throws -> [Entry] {
        var byDay: [DaySchema: [Entry]] = [:]
        for entry in entries {
            byDay[DaySchema(containing: entry.summary.key.windowStart), default: []].append(entry)
        }
        var failed: [Entry] = []
        for (_, dayEntries) in byDay.sorted(by: { $0.key < $1.key }) {
            guard try await writeBatch(dayEntries, to: target) else {
                if settings.mode == .retry {
                    // Stopping: everything stays uncommitted and is read again after the restart.
                    return entries
                }
                failed += dayEntries
                continue
            }
        }
        return failed
    }

    /// Writes one shard's summaries of one day in one transaction; false when it was not written (primary: after one attempt; retry: only when
    /// stopping).
    private func writeBatch(_ entries: [Entry], to target: ShardSession) async throws -> Bool {
        var batch = entries
        var delay = settings.retryDelay
        while !batch.isEmpty {
            do {
                try await database.write(batch.map(\.summary), toShard: target.shard, session: target.session)
                written.increment(by: batch.count)
                return true
            } catch {
                if case .invalidValue = error {
                    // A summary no table can hold fails its whole batch on every attempt: set it aside (logged
                    // and counted) and write the rest, rather than block the partition forever.
                    let storable = batch.filter { (try? SummaryTableWriter.validate($0.summary)) != nil }
                    if storable.count < batch.count {
                        unstorable.increment(by: batch.count - storable.count)
                        logger.error(
                            "skipping summaries that can never be stored",
                            metadata: [
                                "shard": "\(target.shard)", "summaries": "\(batch.count - storable.count)",
                                "error": "\(error)",
                            ])
                        batch = storable
                        continue
                    }
                }
                writeFailures.increment()
                logger.warning(
                    "writing a batch failed",
                    metadata: ["shard": "\(target.shard)", "summaries": "\(batch.count)", "error": "\(error)"])
                guard settings.mode == .retry, !Task.isShuttingDownGracefully, !Task.isCancelled else { return false }
                let jittered = Duration.milliseconds(Int64.random(in: 0...max(1, delay.wholeMicroseconds / 1000)))
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: jittered) }
                delay = min(delay * 2, settings.maximumRetryDelay)
            }
        }
        return true
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
