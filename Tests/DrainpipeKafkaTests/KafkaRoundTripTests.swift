import DrainpipeTestSupport
import Logging
import Testing

@testable import DrainpipeCore
@testable import DrainpipeKafka

@Suite("Kafka round trip through the embedded cluster")
struct KafkaRoundTripTests {
    private static let baseTime = EventTime(millisecondsSinceEpoch: 1_700_000_000_000)

    private static func records(topic: String, count: Int, partitions: Int32) -> [KafkaRecord] {
        (0..<count).map { index in
            KafkaRecord(
                topic: topic,
                partition: Int32(index) % partitions,
                key: Array("key-\(index)".utf8),
                value: Array("value-\(index)".utf8),
                timestamp: baseTime + .milliseconds(index)
            )
        }
    }

    @Test(
        "records sent to explicit partitions come back with exact offsets, keys, values and timestamps",
        .timeLimit(.minutes(1)))
    func roundTrip() async throws {
        let logger = Logger.kafkaTest("round-trip")
        let cluster = try EmbeddedKafkaCluster(logger: logger)
        let connection = cluster.connection(prefix: "test.")
        let topic = connection.topicName("RAW.1")
        try cluster.createTopic(name: topic, partitions: 3)
        let producer = try KafkaProducer(connection: connection, clientID: "round-trip-producer", logger: logger)
        let sent = Self.records(topic: topic, count: 30, partitions: 3)

        try await producer.send(sent)

        let consumer = try KafkaConsumer(
            connection: connection, groupID: connection.groupID("round-trip"), clientID: "round-trip-consumer",
            logger: logger
        )
        defer { consumer.close() }
        let partitions = (0..<3).map { TopicPartition(topic: topic, partition: Int32($0)) }
        try consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, StartOffset.beginning) }))
        let received = try await KafkaTesting.pollMessages(from: consumer, count: sent.count)

        #expect(received.count == sent.count)
        for partition in partitions {
            let expected = sent.filter { $0.partition == partition.partition }
            let actual = received.filter { $0.topicPartition == partition }
            #expect(actual.map(\.offset) == Array(0..<Int64(expected.count)))
            #expect(actual.map(\.key) == expected.map(\.key))
            #expect(actual.map(\.value) == expected.map(\.value))
            #expect(actual.map(\.timestamp) == expected.map(\.timestamp))
            let watermarks = try await KafkaTesting.onDedicatedThread {
                try consumer.watermarks(for: partition, timeout: .seconds(5))
            }
            #expect(watermarks.low == 0 && watermarks.high == Int64(expected.count))
        }
        await producer.close()
    }

    @Test(
        "a poll returns at most maxMessages, and the polls after it return the rest in order, none twice",
        .timeLimit(.minutes(1)))
    func pollBatchesSplitWithoutLoss() async throws {
        let logger = Logger.kafkaTest("poll-batches")
        let cluster = try EmbeddedKafkaCluster(logger: logger)
        try cluster.createTopic(name: "BATCH.1", partitions: 2)
        let producer = try KafkaProducer(connection: cluster.connection(), clientID: "batch-producer", logger: logger)
        let sent = Self.records(topic: "BATCH.1", count: 1_000, partitions: 2)
        try await producer.send(sent)
        let consumer = try KafkaConsumer(
            connection: cluster.connection(), groupID: "batch", clientID: "batch-consumer", logger: logger)
        defer { consumer.close() }
        let partitions = (0..<2).map { TopicPartition(topic: "BATCH.1", partition: Int32($0)) }
        try consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, StartOffset.beginning) }))

        let batches = try await KafkaTesting.onDedicatedThread {
            var batches: [[KafkaMessage]] = []
            var idlePolls = 0
            while batches.joined().count < sent.count && idlePolls < 50 {
                let batch = try consumer.poll(maxMessages: 64, timeout: .milliseconds(200))
                idlePolls = batch.isEmpty ? idlePolls + 1 : 0
                batches.append(batch)
            }
            return batches
        }

        #expect(batches.allSatisfy { $0.count <= 64 })
        #expect(batches.contains { $0.count == 64 })
        let received = Array(batches.joined())
        for partition in partitions {
            let expected = sent.filter { $0.partition == partition.partition }
            let actual = received.filter { $0.topicPartition == partition }
            #expect(actual.map(\.offset) == Array(0..<Int64(expected.count)))
            #expect(actual.map(\.value) == expected.map(\.value))
        }
        #expect(received.allSatisfy { $0.topic == "BATCH.1" })
        await producer.close()
    }

    @Test("an empty value stays empty and a missing key stays missing", .timeLimit(.minutes(1)))
    func emptyValueAndNoKey() async throws {
        let logger = Logger.kafkaTest("empty-value")
        let cluster = try EmbeddedKafkaCluster(logger: logger)
        try cluster.createTopic(name: "EMPTY.1", partitions: 1)
        let producer = try KafkaProducer(connection: cluster.connection(), clientID: "empty-producer", logger: logger)
        try await producer.send([KafkaRecord(topic: "EMPTY.1", partition: 0, value: [], timestamp: Self.baseTime)])

        let consumer = try KafkaConsumer(
            connection: cluster.connection(), groupID: "empty", clientID: "empty-consumer", logger: logger
        )
        defer { consumer.close() }
        try consumer.assign([TopicPartition(topic: "EMPTY.1", partition: 0): .beginning])
        let received = try await KafkaTesting.pollMessages(from: consumer, count: 1)

        let message = try #require(received.first)
        #expect(message.key == nil)
        #expect(message.value.isEmpty)
        #expect(message.timestamp == Self.baseTime)
    }

    @Test(
        "offsets committed with metadata are read back by a new consumer of the same group",
        .timeLimit(.minutes(1)))
    func commitRoundTrip() async throws {
        let logger = Logger.kafkaTest("commit")
        let cluster = try EmbeddedKafkaCluster(logger: logger)
        try cluster.createTopic(name: "SUMMARY.1", partitions: 2)
        let producer = try KafkaProducer(connection: cluster.connection(), clientID: "commit-producer", logger: logger)
        try await producer.send(Self.records(topic: "SUMMARY.1", count: 20, partitions: 2))
        let first = TopicPartition(topic: "SUMMARY.1", partition: 0)
        let second = TopicPartition(topic: "SUMMARY.1", partition: 1)

        let committer = try KafkaConsumer(
            connection: cluster.connection(), groupID: "aggregator", clientID: "committer", logger: logger
        )
        try committer.assign([first: .beginning, second: .beginning])
        #expect(try await KafkaTesting.pollMessages(from: committer, count: 20).count == 20)
        try await KafkaTesting.onDedicatedThread {
            #expect(try committer.committedOffsets(for: [first, second], timeout: .seconds(10)).isEmpty)
            try committer.commit([first: CommittedOffset(offset: 7, metadata: "final-before=1700000000")])
            committer.close()
        }

        let reader = try KafkaConsumer(
            connection: cluster.connection(), groupID: "aggregator", clientID: "reader", logger: logger
        )
        defer { reader.close() }
        let committed = try await KafkaTesting.onDedicatedThread {
            try reader.committedOffsets(for: [first, second], timeout: .seconds(10))
        }
        #expect(committed == [first: CommittedOffset(offset: 7, metadata: "final-before=1700000000")])

        try reader.assign([first: .offset(7)])
        let resumed = try await KafkaTesting.pollMessages(from: reader, count: 3)
        #expect(resumed.map(\.offset) == [7, 8, 9])
        #expect(throws: KafkaError.self) { try committer.commit([first: CommittedOffset(offset: 8)]) }
        await producer.close()
    }
}
