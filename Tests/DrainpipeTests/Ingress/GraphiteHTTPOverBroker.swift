import DrainpipeTestSupport
import Hummingbird
import Logging
import Metrics

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka

/// `POST /graphite` of tenant `team-a` (token `gr-a`) producing through a real producer into an in-process embedded
/// broker that a test can slow down or take down, with a reader of everything the raw topic received.
///
/// Deliveries are bounded at 1 s, so a slow broker shows up as 503 with `retryAfterSeconds`. Call `close()` at the
/// end (after the producer was closed and the topic read).
struct GraphiteHTTPOverBroker {
    let name: String
    let cluster: EmbeddedKafkaCluster
    let kafka: KafkaConnection
    let raw: TopicCatalog.Topic
    let producer: KafkaProducer
    let router: Router<BasicRequestContext>
    let logger: Logger

    init(name: String, messageTimeout: Duration, retryAfterSeconds: Int, clock: ManualWallClock) throws {
        self.name = name
        logger = Logger.kafkaTest(name)
        cluster = try EmbeddedKafkaCluster(brokers: 1, logger: logger)
        let topics = try TopicCatalogTests.repositoryCatalog()
        raw = topics.topic(.raw, for: .customMetrics)
        try cluster.createTopic(name: raw.name, partitions: raw.partitions)
        kafka = cluster.connection()
        producer = try KafkaProducer(
            connection: kafka, clientID: name,
            options: .init(messageTimeout: messageTimeout, queueMaxMessages: 10_000, enqueueTimeout: .seconds(1)),
            logger: logger)
        let tenants = LiveTenantDirectory(
            try TenantDirectory(owners: [
                .init(id: "team-a", drainCredentials: [], apiTokens: [], graphiteTokens: ["gr-a"])
            ]))
        let metrics = NOOPMetricsHandler.instance
        let context = IngressContext(
            tenants: tenants, topics: topics, kafka: kafka, admission: IngressAdmission(clock: clock, metrics: metrics),
            delivery: IngressDelivery(
                publisher: producer, timeout: .seconds(1), retryAfterSeconds: retryAfterSeconds, logger: logger),
            clock: clock)
        let ingestor = GraphiteIngestor(
            context: context, pastWindow: .seconds(300), futureWindow: .seconds(300), metrics: metrics, logger: logger)
        router = Router()
        GraphiteRoutes(ingestor: ingestor, maximumBodyBytes: 1 << 20).register(on: router)
    }

    /// Every record of the raw topic, read from the beginning until its partitions stay quiet (records of a 503
    /// answer may still arrive: delivery is at least once).
    func rawMessages() async throws -> [KafkaMessage] {
        let consumer = try KafkaConsumer(
            connection: kafka, groupID: "\(name)-check", clientID: "\(name)-check", logger: logger)
        defer { consumer.close() }
        try consumer.assign(
            Dictionary(
                uniqueKeysWithValues: (0..<Int32(raw.partitions)).map {
                    (TopicPartition(topic: kafka.topicName(raw.name), partition: $0), StartOffset.beginning)
                }))
        return try await KafkaTesting.pollMessages(from: consumer, count: 1_000, idleLimit: 15)
    }

    func close() {
        cluster.close()
    }
}
