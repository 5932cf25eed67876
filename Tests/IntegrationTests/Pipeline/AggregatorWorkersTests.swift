import DrainpipeTestSupport
import Foundation
import Logging
import Metrics
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka

/// Proof (c) of issue 4: splitting the partitions between workers changes nothing in the summaries.
@Suite("Aggregator workers", .serialized)
struct AggregatorWorkersTests {
    /// Runs one in-process aggregator per assignment on `kafka` until `done` holds.
    static func runWorkers(
        _ assignments: [WorkerAssignment], kafka: KafkaConnection, topics: TopicCatalog, producer: KafkaProducer,
        logger: Logger, until done: @escaping @Sendable () async throws -> Bool
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for assignment in assignments {
                let aggregator = AggregatorService(
                    settings: .init(
                        topics: topics, kafka: kafka, assignment: assignment, windows: AggregatorWorkload.settings,
                        flushInterval: .milliseconds(50), types: [.routerRequests]),
                    clock: ContinuousClock(), publisher: producer, metrics: NOOPMetricsHandler.instance, logger: logger)
                group.addTask { try await aggregator.run() }
            }
            group.addTask {
                while try await !done() { try await Task.sleep(for: .milliseconds(10)) }
            }
            // The first task to finish is the condition (a failing worker throws here instead).
            try await group.next()
            group.cancelAll()
        }
    }

    @Test("two workers (n = 2) together publish exactly the summaries one worker publishes", .timeLimit(.minutes(2)))
    func twoWorkersEqualOne() async throws {
        var logger = Logger(label: "workers")
        logger.logLevel = .critical
        let topics = try TestServers.topicCatalog()
        let workload = AggregatorWorkload(seed: 77, count: 6_000, owners: 8)
        let rawTopic = topics.topic(.raw, for: .routerRequests)
        let partitions = Set(
            workload.messages.map {
                rawTopic.partition(owner: $0.measurement.owner, processType: $0.measurement.processType)
            })
        #expect(
            partitions.contains { $0 % 2 == 0 } && partitions.contains { $0 % 2 == 1 },
            "both workers have partitions to aggregate")

        var results: [[SeriesKey: Summary]] = []
        for assignments in [
            [try WorkerAssignment(workerIndex: 0, workerCount: 1)],
            [
                try WorkerAssignment(workerIndex: 0, workerCount: 2),
                try WorkerAssignment(workerIndex: 1, workerCount: 2),
            ],
        ] {
            let kafka = try await TestServers.kafka(prefixedWith: "workers\(assignments.count)")
            let producer = try KafkaProducer(connection: kafka, clientID: "workers-test", logger: logger)
            try await producer.send(workload.records(0..<workload.messages.count, topics: topics, kafka: kafka))
            let truth = try AggregatorWorkload.groundTruth(
                of: AggregatorWorkload.readAll(
                    topic: kafka.topicName(rawTopic.name), partitions: 32, kafka: kafka, logger: logger))
            let latest = try LatestSummaryTopic(
                kafka: kafka, topic: kafka.topicName(topics.topic(.summary, for: .routerRequests).name), logger: logger)
            let deadline = ContinuousClock.now + .seconds(60)
            try await Self.runWorkers(assignments, kafka: kafka, topics: topics, producer: producer, logger: logger) {
                try latest.refresh()
                return latest.summaries == truth || ContinuousClock.now > deadline
            }
            let (missing, extra, different) = latest.differences(from: truth)
            #expect(
                latest.summaries == truth,
                "\(assignments.count) worker(s): missing \(missing), extra \(extra), different \(different)")
            results.append(latest.summaries)
            await producer.close()
        }
        #expect(results[0] == results[1])
        #expect(results[0].count > 100)
    }
}
