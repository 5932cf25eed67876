import ArgumentParser
import Drainpipe
import DrainpipeKafka
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// `drainpipe kafka`: runs librdkafka's mock cluster as a local Kafka until stopped.
struct KafkaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Run an embedded Kafka-protocol broker (librdkafka's mock cluster) with the topics of topics.yaml.",
        discussion: """
            Services connect to the printed bootstrap address like to any Kafka. Topic names get KAFKA_PREFIX \
            prepended. The mock keeps at most 5 MiB or 100,000 message sets per partition and drops older data. \
            Stop it with Ctrl-C or SIGTERM.
            """)

    @Option(help: "Number of mock brokers.")
    var brokers = 1

    @Option(help: "The topics file.")
    var topics = "topics.yaml"

    @Option(help: "Write the bootstrap address to this file once the topics exist (for scripts).")
    var bootstrapFile: String?

    @Option(
        help: "Serve POST /topics?prefix=P on this loopback port to create the topic set under another prefix (tests).")
    var controlPort: Int?

    func run() async throws {
        let observability = Observability.bootstrap(
            process: "kafka", dyno: "local.1", logLevel: ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "warning")
        let catalog = try TopicCatalog(contentsOf: topics)
        let cluster = try EmbeddedKafkaCluster(brokers: brokers, logger: observability.logger)
        let creator = TopicSetCreator(cluster: cluster, catalog: catalog, replicationFactor: min(brokers, 3))
        let prefix = ProcessInfo.processInfo.environment["KAFKA_PREFIX"] ?? ""
        let created = try creator.create(prefix: prefix)
        let address = "kafka://" + cluster.bootstrapServers.split(separator: ",").joined(separator: ",kafka://")
        say("Embedded Kafka (librdkafka mock cluster, \(brokers) broker(s)) with \(created) topics.")
        say("KAFKA_URL=\(address)")
        // Scripts send SIGTERM as soon as the file exists, so it is written from inside the service group, whose
        // signal handlers are installed before any of its services starts.
        var services: [any Service] = [
            AnnounceThenWaitForShutdown {
                if let bootstrapFile {
                    try Data((address + "\n").utf8).write(to: URL(fileURLWithPath: bootstrapFile), options: .atomic)
                }
            }
        ]
        if let controlPort {
            let router = Router()
            router.post("/topics") { request, _ -> String in
                let prefix = request.uri.queryParameters.get("prefix") ?? ""
                return "created \(try creator.create(prefix: prefix)) topics with prefix '\(prefix)'\n"
            }
            services.append(
                Application(
                    router: router,
                    configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: controlPort)),
                    logger: observability.logger))
            say("Topic control endpoint: http://127.0.0.1:\(controlPort)/topics?prefix=")
        }
        try await observability.run(services)
        cluster.close()
    }
}

/// Creates the catalog's topics under a prefix on the embedded cluster, each prefix once.
final class TopicSetCreator: Sendable {
    let cluster: EmbeddedKafkaCluster
    let catalog: TopicCatalog
    let replicationFactor: Int

    init(cluster: EmbeddedKafkaCluster, catalog: TopicCatalog, replicationFactor: Int) {
        self.cluster = cluster
        self.catalog = catalog
        self.replicationFactor = replicationFactor
    }

    /// - Returns: the number of topics created.
    func create(prefix: String) throws -> Int {
        for topic in catalog.topics {
            try cluster.createTopic(
                name: prefix + topic.name, partitions: topic.partitions, replicationFactor: replicationFactor)
        }
        return catalog.topics.count
    }
}

/// A service that runs `announce` once, then does nothing until the process is asked to stop.
struct AnnounceThenWaitForShutdown: Service {
    let announce: @Sendable () throws -> Void

    func run() async throws {
        try announce()
        try? await gracefulShutdown()
    }
}
