import DrainpipeTestSupport
import Logging
import Testing

@testable import DrainpipeKafka

@Suite("KafkaAdmin and the embedded cluster")
struct KafkaAdminTests {
    @Test("partition counts come from metadata, and unknown topics are absent", .timeLimit(.minutes(1)))
    func partitionCounts() async throws {
        let logger = Logger.kafkaTest("admin")
        let cluster = try EmbeddedKafkaCluster(brokers: 3, logger: logger)
        try cluster.createTopic(name: "ROUTER_REQUESTS.1", partitions: 32, replicationFactor: 3)
        try cluster.createTopic(name: "ROUTER_REQUESTS_SUMMARY.1", partitions: 4)
        let admin = try KafkaAdmin(connection: cluster.connection(), clientID: "admin", logger: logger)

        let some = try await KafkaTesting.onDedicatedThread {
            try admin.partitionCounts(
                topics: ["ROUTER_REQUESTS.1", "ROUTER_REQUESTS_SUMMARY.1", "MISSING.1"], timeout: .seconds(10)
            )
        }
        #expect(some == ["ROUTER_REQUESTS.1": 32, "ROUTER_REQUESTS_SUMMARY.1": 4])
        let all = try await KafkaTesting.onDedicatedThread {
            try admin.partitionCounts(topics: nil, timeout: .seconds(10))
        }
        #expect(all["ROUTER_REQUESTS.1"] == 32)
        #expect(all["ROUTER_REQUESTS_SUMMARY.1"] == 4)

        let consumer = try KafkaConsumer(
            connection: cluster.connection(), groupID: "aggregator", clientID: "counting-consumer", logger: logger
        )
        defer { consumer.close() }
        let seenByConsumer = try await KafkaTesting.onDedicatedThread {
            try consumer.partitionCounts(topics: ["ROUTER_REQUESTS.1"], timeout: .seconds(10))
        }
        #expect(seenByConsumer == ["ROUTER_REQUESTS.1": 32])
    }

    @Test(
        "CreateTopics and DescribeConfigs time out with an error on the mock cluster, which lacks them",
        .timeLimit(.minutes(1)))
    func adminCallsUnsupportedByMock() async throws {
        let logger = Logger.kafkaTest("admin-unsupported")
        let cluster = try EmbeddedKafkaCluster(logger: logger)
        try cluster.createTopic(name: "RAW.1", partitions: 1)
        let admin = try KafkaAdmin(connection: cluster.connection(), clientID: "admin", logger: logger)
        let specification = TopicSpecification(
            name: "NEW.1", partitions: 2, replicationFactor: 1, configs: ["cleanup.policy": "compact"]
        )

        await #expect(throws: KafkaError.self) {
            try await KafkaTesting.onDedicatedThread {
                try admin.createTopics([specification], timeout: .milliseconds(500))
            }
        }
        await #expect(throws: KafkaError.self) {
            try await KafkaTesting.onDedicatedThread {
                try admin.describeCleanupPolicies(topics: ["RAW.1"], timeout: .milliseconds(500))
            }
        }
    }

    @Test("the embedded cluster refuses to create a topic twice or with no partitions")
    func invalidTopics() throws {
        let cluster = try EmbeddedKafkaCluster(logger: Logger.kafkaTest("invalid-topics"))
        try cluster.createTopic(name: "RAW.1", partitions: 1)
        #expect(throws: KafkaError.self) { try cluster.createTopic(name: "RAW.1", partitions: 1) }
        #expect(throws: KafkaError.self) { try cluster.createTopic(name: "EMPTY.1", partitions: 0) }
    }

    @Test("a closed embedded cluster refuses new topics")
    func closedCluster() throws {
        let cluster = try EmbeddedKafkaCluster(logger: Logger.kafkaTest("closed-cluster"))
        cluster.close()
        cluster.close()
        #expect(throws: KafkaError.self) { try cluster.createTopic(name: "RAW.1", partitions: 1) }
    }
}
