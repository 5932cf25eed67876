import Logging

/// Cluster metadata and topic administration.
///
/// `createTopics` and `describeCleanupPolicies` need a real cluster: librdkafka's mock cluster (the embedded
/// broker) implements neither CreateTopics nor DescribeConfigs, so against it they throw `.requestFailed`. Create
/// embedded topics with `EmbeddedKafkaCluster.createTopic` and verify them with `partitionCounts`.
/// Every method blocks its thread for up to its timeout; a dedicated thread drains the client's logs.
package final class KafkaAdmin: Sendable {
    /// What `createTopics` did for one topic.
    package enum TopicCreation: Sendable, Hashable {
        case created
        /// The topic existed already; its settings were left unchanged.
        case alreadyExists
    }

    private let client: RDKafkaClient
    private let pollThread: KafkaPollThread

    /// Creates the client (a producer handle that never produces) and its log-draining thread.
    package init(connection: KafkaConnection, clientID: String, logger: Logger) throws(KafkaError) {
        var properties = connection.clientProperties
        properties["client.id"] = clientID
        properties["allow.auto.create.topics"] = "false"
        let client = try RDKafkaClient(kind: .producer, properties: properties, deliveryReports: false, logger: logger)
        self.client = client
        pollThread = KafkaPollThread(name: "kafka-admin-\(clientID)") {
            client.pollEvents(timeout: .milliseconds(100)) { _ in }
        }
    }

    deinit {
        pollThread.stopAndWait()
    }

    /// Partition count of each topic from one metadata request (`rd_kafka_metadata`); all topics when nil.
    ///
    /// Topics that do not exist are absent from the result.
    package func partitionCounts(topics: [String]?, timeout: Duration) throws(KafkaError) -> [String: Int] {
        try client.partitionCounts(topics: topics, timeout: timeout)
    }

    /// Creates topics with their configs, e.g. `cleanup.policy` (`rd_kafka_CreateTopics`). Real clusters only.
    ///
    /// - Throws: `.topicOperationFailed` for the first topic the broker rejected, `.requestFailed` when the request
    ///   as a whole failed (including `_UNSUPPORTED_FEATURE`-style failures on the mock cluster).
    package func createTopics(
        _ specifications: [TopicSpecification], timeout: Duration
    ) throws(KafkaError) -> [String: TopicCreation] {
        try client.createTopics(specifications, timeout: timeout)
    }

    /// Each topic's `cleanup.policy` (`rd_kafka_DescribeConfigs`). Real clusters only.
    package func describeCleanupPolicies(topics: [String], timeout: Duration) throws(KafkaError) -> [String: String] {
        try client.cleanupPolicies(topics: topics, timeout: timeout)
    }
}
