import DrainpipeTestSupport
import Foundation
import Logging
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka

/// The real `aggregator` executable against the test broker: killed again and again, terminated politely, and
/// started twice with the same worker index.
@Suite("Aggregator process", .serialized)
struct AggregatorProcessTests {
    /// The environment of `aggregator.1`, the only worker, with 1 s windows, a 5 s late bound and 100 ms flushes.
    static func environment(kafka: KafkaConnection) -> [String: String] {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return [
            "KAFKA_URL": ProcessInfo.processInfo.environment["TEST_KAFKA_URL"] ?? "", "KAFKA_PREFIX": kafka.prefix,
            "DYNO": "aggregator.1", "AGGREGATOR_WORKERS": "1", "WINDOW_LENGTH": "1s", "LATE_BOUND": "5s",
            "FUTURE_BOUND": "5s", "FLUSH_INTERVAL": "100ms",
            "DRAINPIPE_TOPICS": repository.appendingPathComponent("topics.yaml").path, "LOG_LEVEL": "info",
        ]
    }

    /// A fresh topic set on the test broker, the repository's topics, a quiet logger and a producer.
    static func broker(
        _ label: String
    ) async throws -> (kafka: KafkaConnection, topics: TopicCatalog, logger: Logger, producer: KafkaProducer) {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let kafka = try await TestServers.kafka(prefixedWith: label)
        return (
            kafka, try TestServers.topicCatalog(), logger,
            try KafkaProducer(connection: kafka, clientID: "\(label)-test", logger: logger)
        )
    }

    /// Waits until `condition` holds, for at most `timeout`; returns whether it did.
    static func eventually(within timeout: Duration, _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    /// Proof (a) of issue 4. The workload arrives in 14 chunks of 1 000 messages (10 s of message time each); the
    /// aggregator runs while a chunk is consumed and is SIGKILLed at a seeded random moment up to 1 s after it has
    /// restored its state and claimed its partitions, 12 times. Each chunk is produced while the aggregator is down, so
    /// every downtime spans 10 s of message time, twice the late bound: windows that were open at the kill are final at
    /// the restart and must still come out complete. (The aggregator has no wall clock; message time is the only time
    /// it knows.)
    @Test(
        "killed twelve times, the aggregator's latest summaries equal the ground truth", .timeLimit(.minutes(3)),
        arguments: [MeasurementType.routerRequests, .platformEvents])
    func exactUnderKills(type: MeasurementType) async throws {
        let (kafka, topics, logger, producer) = try await Self.broker("chaos-\(type.tableName)")
        let workload = AggregatorWorkload(seed: 41, count: 14_000, type: type)
        let environment = Self.environment(kafka: kafka)
        var generator = SplitMix64(seed: 5)

        for chunk in 0..<12 {
            try await producer.send(workload.records(chunk * 1_000..<(chunk + 1) * 1_000, topics: topics, kafka: kafka))
            let aggregator = try ServiceProcess("aggregator", environment: environment)
            // Killed while it works: after it restored its state and claimed its partitions, at a random moment.
            let assigned = try await Self.eventually(within: .seconds(30)) {
                aggregator.output.contains("aggregator assigned")
            }
            #expect(assigned, "run \(chunk): \(aggregator.output.suffix(1_000))")
            try await Task.sleep(for: .milliseconds(Int64(generator.next() % 1_000)))
            aggregator.kill()
        }
        // The rest arrives while the last aggregator runs; it is stopped politely once the topic holds the truth.
        let aggregator = try ServiceProcess("aggregator", environment: environment)
        try await producer.send(workload.records(12_000..<14_000, topics: topics, kafka: kafka))
        await producer.close()

        let rawTopic = kafka.topicName(topics.topic(.raw, for: type).name)
        let raw = try AggregatorWorkload.readAll(topic: rawTopic, partitions: 32, kafka: kafka, logger: logger)
        #expect(raw.count == 14_000)
        let truth = try AggregatorWorkload.groundTruth(of: raw)
        let latest = try LatestSummaryTopic(
            kafka: kafka, topic: kafka.topicName(topics.topic(.summary, for: type).name), logger: logger)
        let matched = try await latest.waitUntilEqual(to: truth, timeout: .seconds(60))
        let (missing, extra, different) = latest.differences(from: truth)
        #expect(
            matched,
            """
            missing \(missing), extra \(extra), different \(different) of \
            \(truth.count) keys; log: \(aggregator.output.suffix(2_000))
            """
        )
        #expect(truth.count > 500)
        // Retries and late lines were really in the workload and left out.
        let counted = truth.values.reduce(0) {
            $0 + Int(type == .routerRequests ? $1.fields["service_ms"]?.count ?? 0 : $1.platformEvents.totalCount)
        }
        #expect(counted < 14_000 * 9 / 10)
        if type == .platformEvents {
            #expect(truth.values.contains { $0.platformEvents.overflow > 0 }, "no window overflowed its event log")
        }

        let stopped = ContinuousClock.now
        #expect(aggregator.terminate() == 0, "log: \(aggregator.output.suffix(2_000))")
        #expect(ContinuousClock.now - stopped < .seconds(30))
    }

    /// Graceful shutdown: with a flush interval of an hour, the only flush is the one SIGTERM triggers, so the
    /// summaries exist only if the process flushed on the way out; a restart then resumes from the committed offsets
    /// and publishes nothing different.
    @Test("SIGTERM flushes, commits and exits 0 well within 30 s", .timeLimit(.minutes(2)))
    func gracefulTermination() async throws {
        let (kafka, topics, logger, producer) = try await Self.broker("sigterm")
        let workload = AggregatorWorkload(seed: 9, count: 2_000)
        try await producer.send(workload.records(0..<2_000, topics: topics, kafka: kafka))
        await producer.close()
        var environment = Self.environment(kafka: kafka)
        environment["FLUSH_INTERVAL"] = "1h"
        environment["LOG_LEVEL"] = "debug"

        let rawTopic = kafka.topicName(topics.topic(.raw, for: .routerRequests).name)
        let truth = try AggregatorWorkload.groundTruth(
            of: AggregatorWorkload.readAll(topic: rawTopic, partitions: 32, kafka: kafka, logger: logger))
        let latest = try LatestSummaryTopic(
            kafka: kafka, topic: kafka.topicName(topics.topic(.summary, for: .routerRequests).name), logger: logger)

        let aggregator = try ServiceProcess("aggregator", environment: environment)
        // The consumer reports each batch it applied; wait until all 2 000 messages were.
        let consumedAll = try await Self.eventually(within: .seconds(60)) {
            aggregator.output.contains("applied through the end of every partition")
        }
        #expect(consumedAll, "log: \(aggregator.output.suffix(2_000))")
        try latest.refresh()
        #expect(latest.summaries.isEmpty, "nothing is published before the flush interval")
        let stopped = ContinuousClock.now
        #expect(aggregator.terminate() == 0, "log: \(aggregator.output.suffix(2_000))")
        #expect(ContinuousClock.now - stopped < .seconds(30))
        #expect(try await latest.waitUntilEqual(to: truth, timeout: .seconds(20)))

        // A restart resumes from the committed offsets: it republishes the open windows' summaries unchanged.
        let restarted = try ServiceProcess("aggregator", environment: environment)
        #expect(
            try await Self.eventually(within: .seconds(60)) {
                restarted.output.contains("applied through the end of every partition")
            })
        #expect(restarted.terminate() == 0)
        // It flushed before exiting, so whatever it published is in the topic now: read all of it.
        #expect(try await latest.waitUntilEqual(to: truth, timeout: .seconds(20)))
    }

    /// Starts an aggregator with `first`, then one with `second` whose partitions overlap it, and checks that the
    /// first stops with a non-zero status and a message naming the claimed partition's owner while the second runs on.
    static func expectFirstSuperseded(first: [String: String], second: [String: String]) async throws {
        let earlier = try ServiceProcess("aggregator", environment: first)
        #expect(try await Self.eventually(within: .seconds(60)) { earlier.output.contains("aggregator assigned") })
        let later = try ServiceProcess("aggregator", environment: second)
        #expect(try await Self.eventually(within: .seconds(60)) { later.output.contains("aggregator assigned") })
        #expect(try await Self.eventually(within: .seconds(20)) { !earlier.isRunning }, "the first process stops")
        let status = earlier.terminate()
        #expect(status != nil && status != 0)
        #expect(
            earlier.output.contains("Another aggregator process claimed")
                && earlier.output.contains("which this process owns as worker 0 of 1")
                && earlier.output.contains("AGGREGATOR_WORKERS differ"),
            "log: \(earlier.output.suffix(2_000))")
        #expect(later.isRunning, "the newer process keeps the partitions")
        #expect(later.terminate() == 0)
    }

    @Test(
        "a second process with the same worker index stops the first, which exits non-zero saying why",
        .timeLimit(.minutes(2)))
    func duplicateIndexIsReported() async throws {
        let environment = Self.environment(kafka: try await TestServers.kafka(prefixedWith: "twin"))
        try await Self.expectFirstSuperseded(first: environment, second: environment)
    }

    @Test(
        "worker counts that disagree so that two processes own one partition: the earlier claimant exits saying so",
        .timeLimit(.minutes(2)))
    func disagreeingCountsAreReported() async throws {
        let alone = Self.environment(kafka: try await TestServers.kafka(prefixedWith: "counts"))
        var secondOfTwo = alone
        secondOfTwo["DYNO"] = "aggregator.2"
        secondOfTwo["AGGREGATOR_WORKERS"] = "2"
        try await Self.expectFirstSuperseded(first: alone, second: secondOfTwo)
    }
}
