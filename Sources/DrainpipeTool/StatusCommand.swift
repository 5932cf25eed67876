import ArgumentParser
import Drainpipe
import DrainpipeCore
import DrainpipeKafka
import DrainpipePostgres
import Foundation
import Logging

/// `drainpipe status`: a running deployment's health on one screen, from the broker and the shards named by the
/// usual variables (`KAFKA_URL`, `KAFKA_PREFIX`, `DATABASE_SHARD_URLS`, the `*_WORKERS` counts).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract:
            "Print each worker's partitions, lag and last flush, the RETRY backlog and each shard's health, "
            + "for the deployment in KAFKA_URL and DATABASE_SHARD_URLS.")

    @Option(help: "The topics file (default: DRAINPIPE_TOPICS, else topics.yaml).")
    var topics: String?

    /// A consumer stage: its Procfile name, consumer group, input topics and worker-count variable.
    struct Stage {
        var name: String
        var group: String
        /// Whether a topic of the catalog is one this stage reads.
        var reads: @Sendable (TopicCatalog.Topic) -> Bool
        var workersVariable: String
    }

    /// The aggregator and the Postgres sink's two loops, with the consumer groups the services use.
    static let stages = [
        Stage(
            name: "aggregator", group: AggregatorConfiguration.groupID, reads: { $0.role == .raw },
            workersVariable: "AGGREGATOR_WORKERS"),
        Stage(
            name: "postgres-sink", group: SinkSettings.defaultGroupID(sink: TopicCatalog.postgresSink, mode: .primary),
            reads: { $0.role == .summary }, workersVariable: "POSTGRES_SINK_WORKERS"),
        Stage(
            name: "retry-sink (RETRY backlog)",
            group: SinkSettings.defaultGroupID(sink: TopicCatalog.postgresSink, mode: .retry),
            reads: { $0.role == .retry && $0.sink == TopicCatalog.postgresSink },
            workersVariable: "RETRY_SINK_WORKERS"),
    ]

    func run() async throws {
        let environment = Environment(ProcessInfo.processInfo.environment)
        var problems: [ConfigurationError.Problem] = []
        let connection = KafkaConnection(environment: environment, noting: &problems)
        let shards =
            environment["DATABASE_SHARD_URLS"] != nil || environment["DATABASE_URL"] != nil
            ? SinkConfiguration.shards(environment: environment, noting: &problems) : []
        guard let connection, problems.isEmpty else { throw ConfigurationError.invalidEnvironment(problems) }
        let catalog = try TopicCatalog(
            contentsOf: topics ?? ProcessInfo.processInfo.environment["DRAINPIPE_TOPICS"] ?? "topics.yaml")
        var logger = Logger(label: "drainpipe.status")
        logger.logLevel = .error

        var stages: [StageStatus] = []
        for stage in Self.stages {
            let workers = Int(environment["\(stage.workersVariable)"] ?? "") ?? 1
            let partitions = try Self.progress(of: stage, catalog: catalog, connection: connection, logger: logger)
            stages.append(
                StageStatus(
                    name: stage.name, group: connection.groupID(stage.group), workerCount: workers,
                    partitions: partitions))
        }
        let shardStatuses = (shards ?? []).map { Self.health(of: $0, logger: logger) }
        let status = DeploymentStatus(stages: stages, shards: shardStatuses)
        say("Drainpipe at \(connection.redacted), \(UTCDateTime(SystemWallClock().now()).formatted(.rfc3339Seconds))\n")
        say(status.rendered(now: SystemWallClock().now()))
    }

    /// Every partition of the stage's input topics with its watermarks and the stage's committed offset.
    static func progress(
        of stage: Stage, catalog: TopicCatalog, connection: KafkaConnection, logger: Logger
    ) throws -> [PartitionProgress] {
        let consumer = try KafkaConsumer(
            connection: connection, groupID: connection.groupID(stage.group), clientID: "drainpipe-status",
            logger: logger)
        defer { consumer.close() }
        let names = catalog.topics.filter(stage.reads).map { connection.topicName($0.name) }
        let counts = try consumer.partitionCounts(topics: names, timeout: .seconds(10))
        let partitions = names.flatMap { name in
            (0..<Int32(counts[name] ?? 0)).map { TopicPartition(topic: name, partition: $0) }
        }
        let committed = try consumer.committedOffsets(for: partitions, timeout: .seconds(10))
        return try partitions.map { partition in
            let marks = try consumer.watermarks(for: partition, timeout: .seconds(10))
            return PartitionProgress(
                topic: partition.topic, partition: partition.partition, low: marks.low, high: marks.high,
                committed: committed[partition]?.offset, metadata: committed[partition]?.metadata)
        }
    }

    /// Whether a shard answers, how fast, and the layout it recorded.
    static func health(of url: DatabaseURL, logger: Logger) -> ShardStatus {
        let name = url.endpointAndDatabase
        let started = ContinuousClock.now
        do throws(PostgresError) {
            let connection = try PQConnection(url: url, connectTimeout: .seconds(5), logger: logger)
            _ = try connection.query("SELECT 1")
            let elapsed = ContinuousClock.now - started
            let layout = try ShardLayout.recorded(on: connection)
            let milliseconds = Int(elapsed.inSeconds * 1_000)
            return ShardStatus(name: name, health: .answering(milliseconds: milliseconds, layout: layout))
        } catch {
            return ShardStatus(name: name, health: .failing("\(error)"))
        }
    }
}
