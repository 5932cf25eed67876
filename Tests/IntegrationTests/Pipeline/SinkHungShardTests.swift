import DrainpipeTestSupport
import Foundation
import Logging
import Metrics
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipePostgres

/// A shard that accepts sessions but never finishes a statement (here: its table is locked by another session)
/// must cost the sink one statement timeout, not its progress on the other shard.
@Suite("Sinks and a hung shard", .serialized)
struct SinkHungShardTests {
    @Test(
        "while one shard's table is locked, its batches time out into RETRY and the other shard keeps receiving",
        .timeLimit(.minutes(2)))
    func hungShard() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "hung")
        let topics = try TestServers.topicCatalog()
        let healthy = try ScratchDatabase.create("hung_up")
        defer { try? healthy.drop() }
        let hung = try ScratchDatabase.create("hung_locked")
        defer { try? hung.drop() }
        let shardURLs = [healthy.url, hung.url]
        var logger = Logger(label: "hung-test")
        logger.logLevel = .critical

        let owners = SinkOutageTests.owners(count: 8, onEachOf: 2)
        let window = SinkOutageTests.window
        func keys(_ shard: Int) -> [SeriesKey] {
            owners[shard].map {
                SeriesKey(
                    type: .dynoLoad, owner: $0, processType: "web", metric: "load_avg", windowStart: window,
                    periodSeconds: 60)
            }
        }

        // Another session holds the hung shard's table exclusively until the end of the test.
        let day = DaySchema(containing: window)
        let locker = try hung.connect()
        try day.ensureExists(on: locker)
        try locker.execute("BEGIN; LOCK TABLE \(day.qualifiedTableName(for: .dynoLoad)) IN ACCESS EXCLUSIVE MODE")

        let producer = try KafkaProducer(connection: kafka, clientID: "hung-test", logger: logger)
        let primary = SinkRunner(
            settings: .postgres(
                mode: .primary, topics: topics, kafka: kafka,
                assignment: try WorkerAssignment(workerIndex: 0, workerCount: 1),
                types: [.dynoLoad]),
            destination: PostgresSummaryDestination(
                database: ShardedDatabase(
                    shards: shardURLs, statementTimeout: .seconds(1), reconnectInterval: .seconds(1),
                    maximumReconnectInterval: .seconds(2), logger: logger)),
            publisher: producer, metrics: NOOPMetricsHandler.instance, logger: logger)
        let observer = ShardedDatabase(shards: [healthy.url], logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await primary.run() }
            // Five waves of new versions: each reaches the healthy shard although every hung write waits out its
            // timeout.
            for version in Int64(1)...5 {
                try await producer.send(
                    (keys(0) + keys(1)).map {
                        topics.summaryRecord(for: SinkOutageTests.summary(of: $0, version: version), in: kafka)
                    })
                try await SinkOutageTests.waitUntil(within: .seconds(15), "wave \(version) reaches the healthy shard") {
                    try await SinkOutageTests.storedVersions(keys(0), in: observer).allSatisfy { $0 == version }
                }
            }
            try await SinkOutageTests.waitUntil(within: .seconds(15), "the hung shard's batches reach RETRY") {
                try await SinkOutageTests.retryBacklog(kafka: kafka, topics: topics, logger: logger).produced
                    >= Int64(keys(1).count)
            }
            group.cancelAll()
        }
        try locker.execute("ROLLBACK")
        let rows = try hung.connect().query("SELECT count(*) FROM \(day.qualifiedTableName(for: .dynoLoad))")
        #expect(rows.rows == [["0"]], "nothing reached the hung shard")
        await producer.close()
    }
}
