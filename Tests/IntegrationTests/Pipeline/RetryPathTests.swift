import DrainpipeTestSupport
import Foundation
import Logging
import Metrics
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipePostgres
@testable import DrainpipeWire

/// The sinks on real parts: a batch for a shard that cannot be reached goes to the RETRY topic, the other
/// shard keeps receiving, and the retry-sink writes the batch once the shard is reachable.
@Suite("Sinks and the RETRY path", .serialized)
struct RetryPathTests {
    @Test(
        "summaries for an unreachable shard go to RETRY and the retry-sink persists them once it is back",
        .timeLimit(.minutes(2)))
    func retryPath() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "retry")
        let topics = try TestServers.topicCatalog()
        let shards = try TestServers.databaseShards()
        try #require(shards.count >= 2, "TEST_DATABASE_SHARD_URLS must name two shard databases")
        let realShards = Array(shards.prefix(2))
        let unreachable = try DatabaseURL(
            environmentValue: "postgres://postgres@127.0.0.1:1/unreachable?sslmode=disable")
        var logger = Logger(label: "retry-test")
        logger.logLevel = .critical
        let metrics = NOOPMetricsHandler.instance

        // Owners on both shards, one summary each, in a fixed past minute.
        let router = ShardRouter(shardCount: 2)
        var owners: [Int: [String]] = [0: [], 1: []]
        while owners[0]!.count < 5 || owners[1]!.count < 5 {
            let owner = UUID().uuidString.lowercased()
            owners[router.shard(forOwner: owner)]!.append(owner)
        }
        let window = Self.window
        let summaries = owners.values.joined().enumerated().map { index, owner in
            Summary(
                key: SeriesKey(
                    type: .dynoLoad, owner: owner, processType: "web", metric: "load_avg", windowStart: window,
                    periodSeconds: 60),
                version: 7,
                fields: [
                    "load_avg_1m": FieldStatistics(
                        count: 2, sum: Double(index), sumOfSquares: Double(index * index), minimum: 0,
                        maximum: Double(index))
                ])
        }
        let producer = try KafkaProducer(connection: kafka, clientID: "retry-test", logger: logger)
        try await producer.send(summaries.map { topics.summaryRecord(for: $0, in: kafka) })

        let everything = try WorkerAssignment(workerIndex: 0, workerCount: 1)
        let database = ShardedDatabase(shards: realShards, logger: logger)
        let primary = SinkRunner(
            settings: .postgres(
                mode: .primary, topics: topics, kafka: kafka, assignment: everything, types: [.dynoLoad]),
            destination: PostgresSummaryDestination(
                database: ShardedDatabase(
                    shards: [realShards[0], unreachable], connectTimeout: .seconds(1), logger: logger)),
            publisher: producer, metrics: metrics, logger: logger)
        let retry = SinkRunner(
            settings: .postgres(
                mode: .retry, topics: topics, kafka: kafka, assignment: everything, types: [.dynoLoad],
                retryDelay: .milliseconds(20)),
            destination: PostgresSummaryDestination(database: database), publisher: producer, metrics: metrics,
            logger: logger)

        // The primary sink writes shard 0 and hands shard 1's batch to RETRY; shard 1 stays empty meanwhile.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await primary.run() }
            for owner in owners[0]! {
                while try await Self.stored(in: database, owner: owner) == nil {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            group.cancelAll()
        }
        for owner in owners[1]! {
            #expect(try await Self.stored(in: database, owner: owner) == nil)
        }

        // The retry-sink, which reaches both shards, persists what RETRY holds.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await retry.run() }
            for owner in owners[1]! {
                while try await Self.stored(in: database, owner: owner) == nil {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            group.cancelAll()
        }
        for summary in summaries {
            #expect(try await Self.stored(in: database, owner: summary.key.owner) == summary)
        }
        await producer.close()
    }

    @Test(
        "a summary no table can hold is set aside and the rest of its batch is still written", .timeLimit(.minutes(1)))
    func unstorableSummary() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "unstorable")
        let topics = try TestServers.topicCatalog()
        let shards = try TestServers.databaseShards()
        var logger = Logger(label: "unstorable-test")
        logger.logLevel = .critical
        let window = Self.window
        let owners = (0..<3).map { _ in UUID().uuidString.lowercased() }
        let summaries = owners.enumerated().map { index, owner in
            Summary(
                key: SeriesKey(
                    type: .dynoLoad, owner: owner, processType: "web", metric: "load_avg", windowStart: window,
                    periodSeconds: 60),
                version: 3, fields: [index == 1 ? "no_such_column" : "load_avg_1m": FieldStatistics(value: 1)])
        }
        let producer = try KafkaProducer(connection: kafka, clientID: "unstorable-test", logger: logger)
        let topic = topics.topic(.summary, for: .dynoLoad)
        // One partition, so the three share a batch.
        try await producer.send(
            summaries.map {
                KafkaRecord(
                    topic: kafka.topicName(topic.name), partition: 0, key: Array($0.key.messageKey.utf8),
                    value: $0.wireBytes)
            })
        let database = ShardedDatabase(shards: shards, logger: logger)
        let sink = SinkRunner(
            settings: .postgres(
                mode: .primary, topics: topics, kafka: kafka,
                assignment: try WorkerAssignment(workerIndex: 0, workerCount: 1), types: [.dynoLoad]),
            destination: PostgresSummaryDestination(database: database), publisher: producer,
            metrics: NOOPMetricsHandler.instance, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sink.run() }
            for owner in [owners[0], owners[2]] {
                while try await Self.stored(in: database, owner: owner) == nil {
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            group.cancelAll()
        }
        #expect(try await Self.stored(in: database, owner: owners[0]) == summaries[0])
        #expect(try await Self.stored(in: database, owner: owners[2]) == summaries[2])
        #expect(try await Self.stored(in: database, owner: owners[1]) == nil)
        await producer.close()
    }

    /// The minute every summary of these tests belongs to: 2024-03-05T14:00Z.
    static let window = EventTime(secondsSinceEpoch: 1_709_647_200)

    /// The stored one-minute load summary of `owner`'s web dynos in the test's window, if any.
    static func stored(in database: ShardedDatabase, owner: String) async throws -> Summary? {
        try await database.summaries(
            type: .dynoLoad, owner: owner, processType: "web", metric: "load_avg", from: window,
            to: window + .seconds(60)
        ).first
    }
}
