import DrainpipeTestSupport
import Logging
import Testing

@testable import DrainpipeKafka

@Suite("KafkaProducer failures")
struct KafkaProducerFailureTests {
    /// Nothing listens on port 1 of the loopback interface, so connections are refused at once.
    private static let deadConnection = KafkaConnection(bootstrapServers: "127.0.0.1:1")

    @Test(
        "a producer pointed at a dead address fails with a retryable error instead of hanging",
        .timeLimit(.minutes(1)))
    func deadBroker() async throws {
        let producer = try KafkaProducer(
            connection: Self.deadConnection, clientID: "dead-broker",
            options: KafkaProducer.Options(messageTimeout: .milliseconds(500)), logger: Logger.kafkaTest("dead")
        )
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send([KafkaRecord(topic: "RAW.1", partition: 0, value: [1, 2, 3])])
        }
        guard case .deliveryFailed(topic: "RAW.1", partition: 0, let code)? = error else {
            Issue.record("expected a delivery failure, got \(String(describing: error))")
            return
        }
        #expect(code.name == "_MSG_TIMED_OUT")
        #expect(error?.isRetryable == true)
        await producer.close(flushTimeout: .zero)
    }

    @Test(
        "a full local queue ends in a retryable queueFull error after the enqueue timeout",
        .timeLimit(.minutes(1)))
    func queueFull() async throws {
        let producer = try KafkaProducer(
            connection: Self.deadConnection, clientID: "queue-full",
            options: KafkaProducer.Options(
                // The send waits for the queued record's report, so the test lasts one message timeout; it is far
                // beyond the enqueue timeout, so that record cannot time out first even on a busy machine.
                messageTimeout: .seconds(8), queueMaxMessages: 1, enqueueTimeout: .milliseconds(100)
            ),
            logger: Logger.kafkaTest("queue-full")
        )
        let records = (0..<3).map { KafkaRecord(topic: "RAW.1", partition: 0, value: [UInt8($0)]) }
        let error = await #expect(throws: KafkaError.self) { try await producer.send(records) }
        guard case .queueFull(topic: "RAW.1", let waited)? = error else {
            Issue.record("expected queueFull, got \(String(describing: error))")
            return
        }
        #expect(waited >= .milliseconds(100))
        #expect(error?.isRetryable == true)
    }

    @Test(
        "a sender waiting at most 300 ms gets acknowledgementTimedOut then, before the record's message timeout",
        .timeLimit(.minutes(1)))
    func deadlinePassed() async throws {
        let producer = try KafkaProducer(
            connection: Self.deadConnection, clientID: "deadline",
            options: KafkaProducer.Options(messageTimeout: .seconds(3)), logger: Logger.kafkaTest("deadline"))
        let clock = ContinuousClock()
        let started = clock.now
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send(
                [KafkaRecord(topic: "RAW.1", partition: 0, value: [1])], waitingAtMost: .milliseconds(300))
        }
        let waited = clock.now - started
        guard case .acknowledgementTimedOut(waited: .milliseconds(300))? = error else {
            Issue.record("expected acknowledgementTimedOut, got \(String(describing: error))")
            return
        }
        #expect(error?.isRetryable == true)
        // At least the deadline, and before the record's own 3 s message timeout (the event thread looks every 100 ms).
        #expect(waited >= .milliseconds(300) && waited < .seconds(3), "waited \(waited)")
        // The same producer still reports the record's own fate to a sender that waits without a deadline.
        let unbounded = await #expect(throws: KafkaError.self) {
            try await producer.send(
                [KafkaRecord(topic: "RAW.1", partition: 0, value: [2])], waitingAtMost: .seconds(60))
        }
        guard case .deliveryFailed? = unbounded else {
            Issue.record("expected the delivery failure, got \(String(describing: unbounded))")
            return
        }
        await producer.close(flushTimeout: .zero)
    }

    @Test("a record without an explicit partition is rejected as a bug, not sent", .timeLimit(.minutes(1)))
    func negativePartition() async throws {
        let producer = try KafkaProducer(
            connection: Self.deadConnection, clientID: "no-partition", logger: Logger.kafkaTest("no-partition")
        )
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send([KafkaRecord(topic: "RAW.1", partition: -1, value: [1])])
        }
        #expect(error?.isRetryable == false)
    }

    @Test("a closed producer refuses new batches with .closed", .timeLimit(.minutes(1)))
    func closed() async throws {
        let producer = try KafkaProducer(
            connection: Self.deadConnection, clientID: "closed", logger: Logger.kafkaTest("closed")
        )
        await producer.close(flushTimeout: .zero)
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send([KafkaRecord(topic: "RAW.1", partition: 0, value: [1])])
        }
        guard case .closed? = error else {
            Issue.record("expected .closed, got \(String(describing: error))")
            return
        }
    }

    @Test("a record for a partition the topic does not have fails permanently", .timeLimit(.minutes(1)))
    func unknownPartition() async throws {
        let logger = Logger.kafkaTest("unknown-partition")
        let cluster = try EmbeddedKafkaCluster(logger: logger)
        try cluster.createTopic(name: "RAW.1", partitions: 2)
        let producer = try KafkaProducer(
            connection: cluster.connection(), clientID: "unknown-partition",
            options: KafkaProducer.Options(messageTimeout: .seconds(5)), logger: logger
        )
        let error = await #expect(throws: KafkaError.self) {
            try await producer.send([KafkaRecord(topic: "RAW.1", partition: 5, value: [1])])
        }
        #expect(error?.isRetryable == false)
        await producer.close()
    }
}
