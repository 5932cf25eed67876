/// A topic to create on a real cluster (see `KafkaAdmin.createTopics`).
package struct TopicSpecification: Sendable, Hashable {
    /// Full topic name, `KAFKA_PREFIX` included.
    package var name: String
    /// Number of partitions.
    package var partitions: Int
    /// Copies of each partition (3 in production).
    package var replicationFactor: Int
    /// Broker-side topic settings, e.g. `["cleanup.policy": "compact"]`.
    package var configs: [String: String]

    /// A topic to create.
    package init(name: String, partitions: Int, replicationFactor: Int, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}
