import DrainpipeTestSupport
import Foundation
import Logging
import Metrics
import Synchronization
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipePostgres

/// Both sinks over real Kafka and two shard databases of the test's own, while one shard refuses every
/// connection in the middle of a steady workload of new summary versions.
@Suite("Sinks through a shard outage", .serialized)
struct SinkOutageTests {
    /// The issue's 60 s outage against production's waits (a shard gate of 2 s doubling to 60 s, a retry back-off
    /// of 200 ms doubling to 30 s), scaled down: a 20 s outage against a gate of 500 ms doubling to 2 s and a
    /// back-off of 50 ms doubling to 1 s still keeps both at their caps for most of the outage (the gate reopens
    /// and closes again about ten times), which is what the test proves, in about a third of the time.
    @Test(
        "a shard down mid-workload: the other keeps receiving, RETRY drains, each summary stored once at its latest",
        .timeLimit(.minutes(4)))
    func outageLongerThanTheBackOff() async throws {
        try await Self.runOutage(
            lasting: .seconds(20), gate: (.milliseconds(500), .seconds(2)),
            retryDelay: (.milliseconds(50), .seconds(1)))
    }

    /// Runs the workload with shard 1 refusing connections for `outage`; `gate` is the shards' reconnect interval
    /// and its cap, `retryDelay` the retry-sink's first back-off and its cap.
    static func runOutage(
        lasting outage: Duration, gate: (first: Duration, maximum: Duration),
        retryDelay: (first: Duration, maximum: Duration)
    ) async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "outage")
        let topics = try TestServers.topicCatalog()
        let healthy = try ScratchDatabase.create("outage_up")
        defer { try? healthy.drop() }
        let failing = try ScratchDatabase.create("outage_down")
        defer { try? failing.drop() }
        let shardURLs = [healthy.url, failing.url]
        var logger = Logger(label: "outage-test")
        logger.logLevel = .critical

        // 12 owners per shard, two process types each.
        let keys = owners(count: 12, onEachOf: 2).map { shardOwners in
            shardOwners.flatMap { owner in
                ["web", "worker"].map {
                    SeriesKey(
                        type: .dynoLoad, owner: owner, processType: $0, metric: "load_avg", windowStart: window,
                        periodSeconds: 60)
                }
            }
        }

        let producer = try KafkaProducer(connection: kafka, clientID: "outage-test", logger: logger)
        let everything = try WorkerAssignment(workerIndex: 0, workerCount: 1)
        let retryBacklogGauge = BacklogGaugeRecorder()
        func sink(_ mode: SinkMode) -> SinkRunner {
            SinkRunner(
                settings: .postgres(
                    mode: mode, topics: topics, kafka: kafka, assignment: everything, types: [.dynoLoad],
                    retryDelay: retryDelay.first, maximumRetryDelay: retryDelay.maximum,
                    backlogReportInterval: .milliseconds(200)),
                destination: PostgresSummaryDestination(
                    database: ShardedDatabase(
                        shards: shardURLs, connectTimeout: .seconds(2), reconnectInterval: gate.first,
                        maximumReconnectInterval: gate.maximum, logger: logger)),
                publisher: producer, metrics: mode == .retry ? retryBacklogGauge : NOOPMetricsHandler.instance,
                logger: logger)
        }
        let observer = ShardedDatabase(shards: shardURLs, logger: logger)
        var version: Int64 = 0
        func produceNextVersion() async throws {
            version += 1
            let next = version
            try await producer.send(
                keys.joined().map { topics.summaryRecord(for: summary(of: $0, version: next), in: kafka) })
        }
        let clock = ContinuousClock()

        let primary = sink(.primary)
        let retry = sink(.retry)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await primary.run() }
            group.addTask { try await retry.run() }

            // Both shards receive before the outage.
            try await produceNextVersion()
            for shard in 0..<2 {
                try await waitUntil(within: .seconds(30), "shard \(shard) receives before the outage") {
                    try await storedVersions(keys[shard], in: observer).allSatisfy { $0 >= 1 }
                }
            }

            try failing.refuseConnections()
            let outageEnd = clock.now + outage
            var halfwayVersion: Int64?
            while clock.now < outageEnd {
                try await produceNextVersion()
                if halfwayVersion == nil, outageEnd - clock.now <= outage / 2 { halfwayVersion = version }
                try await Task.sleep(for: .milliseconds(250))
            }
            // Still during the outage: the healthy shard holds versions produced in its second half.
            let halfway = try #require(halfwayVersion)
            try await waitUntil(within: .seconds(10), "the healthy shard keeps receiving during the outage") {
                try await storedVersions(keys[0], in: observer).allSatisfy { $0 >= halfway }
            }
            #expect(
                try await retryBacklog(kafka: kafka, topics: topics, logger: logger).produced > 0,
                "the failing shard's batches went to RETRY")
            #expect(
                (retryBacklogGauge.values.last ?? 0) > 0, "the retry-sink reports its backlog while the shard is down")

            try failing.allowConnections()
            for _ in 0..<8 {
                try await produceNextVersion()
                try await Task.sleep(for: .milliseconds(250))
            }
            let latest = version
            for shard in 0..<2 {
                try await waitUntil(within: .seconds(90), "shard \(shard) holds the latest version of every summary") {
                    try await storedVersions(keys[shard], in: observer).allSatisfy { $0 == latest }
                }
            }
            try await waitUntil(within: .seconds(30), "the RETRY backlog drains to zero") {
                try await retryBacklog(kafka: kafka, topics: topics, logger: logger).pending == 0
            }
            try await waitUntil(within: .seconds(10), "the retry-sink reports a backlog of zero") {
                retryBacklogGauge.values.last == 0
            }
            group.cancelAll()
        }

        // Exactly once, at the latest version, with that version's values.
        for shard in 0..<2 {
            let table = DaySchema(containing: window).qualifiedTableName(for: .dynoLoad)
            let rows = try await observer.withShard(shard) { connection throws(PostgresError) in
                try connection.query("SELECT count(*) FROM \(table)")
            }
            #expect(rows.rows.first?.first == String(keys[shard].count))
            for key in keys[shard] {
                let expected = summary(of: key, version: version)
                #expect(try await stored(key, in: observer) == expected)
            }
        }
        await producer.close()
    }

    /// `count` new owners for each of `shardCount` shards, by shard.
    static func owners(count: Int, onEachOf shardCount: Int) -> [[String]] {
        let router = ShardRouter(shardCount: shardCount)
        var owners = Array(repeating: [String](), count: shardCount)
        while owners.contains(where: { $0.count < count }) {
            let owner = UUID().uuidString.lowercased()
            let shard = router.shard(forOwner: owner)
            if owners[shard].count < count { owners[shard].append(owner) }
        }
        return owners
    }

    /// 2024-03-05T15:00Z; the databases are the test's own, so any minute will do.
    static let window = EventTime(secondsSinceEpoch: 1_709_650_800)

    /// Version `version` of `key`'s summary; its values follow from the version, so a stale row shows.
    static func summary(of key: SeriesKey, version: Int64) -> Summary {
        let value = Double(version) / 4
        return Summary(
            key: key, version: version,
            fields: [
                "load_avg_1m": FieldStatistics(
                    count: UInt64(version), sum: value * Double(version), sumOfSquares: value * value * Double(version),
                    minimum: value, maximum: value)
            ])
    }

    static func stored(_ key: SeriesKey, in database: ShardedDatabase) async throws -> Summary? {
        try await database.summaries(
            type: key.type, owner: key.owner, processType: key.processType, metric: key.metric, from: key.windowStart,
            to: key.windowStart + .seconds(60)
        ).first
    }

    /// The stored version of each key, 0 where there is no row yet.
    static func storedVersions(_ keys: [SeriesKey], in database: ShardedDatabase) async throws -> [Int64] {
        var versions: [Int64] = []
        for key in keys { versions.append(try await stored(key, in: database)?.version ?? 0) }
        return versions
    }

    /// Messages on the RETRY topic of dyno-load summaries, and how many of them the retry-sink has not committed.
    static func retryBacklog(
        kafka: KafkaConnection, topics: TopicCatalog, logger: Logger
    ) async throws -> (produced: Int64, pending: Int64) {
        let consumer = try KafkaConsumer(
            connection: kafka, groupID: kafka.groupID("drainpipe-retry-sink"), clientID: "outage-observer",
            logger: logger)
        defer { consumer.close() }
        let topic = topics.topic(.retry, for: .dynoLoad)
        let partitions = (0..<Int32(topic.partitions)).map {
            TopicPartition(topic: kafka.topicName(topic.name), partition: $0)
        }
        let committed = try consumer.committedOffsets(for: partitions, timeout: .seconds(10))
        var produced: Int64 = 0
        var pending: Int64 = 0
        for partition in partitions {
            let (low, high) = try consumer.watermarks(for: partition, timeout: .seconds(10))
            produced += high - low
            pending += high - max(low, committed[partition]?.offset ?? low)
        }
        return (produced, pending)
    }

    /// Polls `condition` until it holds; a thrown error (a shard still reconnecting) counts as not yet.
    static func waitUntil(
        within limit: Duration, _ what: String, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + limit
        var lastError: (any Error)?
        while true {
            do {
                if try await condition() { return }
            } catch {
                lastError = error
            }
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)\(lastError.map { "; last error: \($0)" } ?? "")")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

/// Keeps every value the sink's backlog gauge reports; every other metric goes nowhere.
private final class BacklogGaugeRecorder: MetricsFactory, RecorderHandler, Sendable {
    private let recorded = Mutex<[Int64]>([])

    var values: [Int64] { recorded.withLock { $0 } }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        label == "drainpipe_sink_backlog_messages" ? self : NOOPMetricsHandler.instance
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        NOOPMetricsHandler.instance
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { NOOPMetricsHandler.instance }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    func record(_ value: Int64) {
        recorded.withLock { $0.append(value) }
    }

    func record(_ value: Double) {
        record(Int64(value))
    }
}
