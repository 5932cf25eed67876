import DrainpipeTestSupport
import Foundation
import Logging
import Metrics
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka

/// The aggregator over real Kafka: stopped mid-stream and started again, it resumes from its committed offset
/// and marker, and the latest summary of every key equals the ground truth computed offline.
@Suite("Aggregator restarts", .serialized)
struct AggregatorRestartTests {
    @Test("a restarted aggregator neither loses nor double-counts", .timeLimit(.minutes(2)))
    func restartIsExact() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "restart")
        let topics = try TestServers.topicCatalog()
        var logger = Logger(label: "restart-test")
        logger.logLevel = .critical
        let settings = WindowSettings(windowLength: .seconds(60), lateBound: .seconds(300), futureBound: .seconds(300))
        let producer = try KafkaProducer(connection: kafka, clientID: "restart-test", logger: logger)

        // A seeded workload: message timestamps rise, measurement times lag them by up to 400 s (some too late).
        var generator = SplitMix64(seed: 11)
        let base = EventTime(secondsSinceEpoch: 1_709_647_200)
        let owners = (0..<4).map { _ in UUID().uuidString.lowercased() }
        var records: [KafkaRecord] = []
        var truth: [SeriesKey: FieldStatistics] = [:]
        for index in 0..<3000 {
            let messageTime = base + .milliseconds(Int64(index) * 400)
            let time = messageTime - .milliseconds(Int64(generator.next() % 400_000))
            let owner = owners[Int(generator.next() % 4)]
            let processType = ["web", "worker"][Int(generator.next() % 2)]
            let value = Double(generator.next() % 1000) / 8
            let measurement = Measurement(
                type: .dynoLoad, owner: owner, processType: processType, metric: "load_avg", time: time,
                receivedAt: messageTime,
                fields: [MeasurementField(name: "load_avg_1m", value: value)])
            records.append(topics.rawRecord(for: measurement, timestamp: messageTime, in: kafka))
            if settings.accepts(time: time, messageTime: messageTime) == .accepted {
                let key = SeriesKey(
                    type: .dynoLoad, owner: owner, processType: processType, metric: "load_avg",
                    windowStart: time.windowStart(length: settings.windowLength), periodSeconds: 60)
                truth[key, default: .empty].add(value)
            }
        }

        func runAggregator(until condition: @escaping @Sendable () async throws -> Bool) async throws {
            let aggregator = AggregatorService(
                settings: .init(
                    topics: topics, kafka: kafka, assignment: try WorkerAssignment(workerIndex: 0, workerCount: 1),
                    windows: settings,
                    flushInterval: .milliseconds(50), types: [.dynoLoad]),
                clock: ContinuousClock(), publisher: producer, metrics: NOOPMetricsHandler.instance, logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await aggregator.run() }
                while try await !condition() { try await Task.sleep(for: .milliseconds(20)) }
                group.cancelAll()
            }
        }

        let latest = try LatestSummaryTopic(
            kafka: kafka, topic: kafka.topicName(topics.topic(.summary, for: .dynoLoad).name), logger: logger)
        // First run: half the data, stopped as soon as some summaries are out (mid-stream).
        try await producer.send(Array(records[..<1500]))
        try await runAggregator {
            try latest.refresh()
            return !latest.summaries.isEmpty
        }
        // Second run: the rest arrives while it catches up; it stops once the topic holds the truth.
        try await producer.send(Array(records[1500...]))
        let expected = truth
        try await runAggregator {
            try latest.refresh()
            return latest.fields == expected
        }
        #expect(latest.fields == expected)
        await producer.close()
    }
}

@Suite("Aggregator flushing", .serialized)
struct AggregatorFlushTests {
    @Test("summaries are published when the flush clock passes the interval, not before", .timeLimit(.minutes(1)))
    func flushFollowsTheClock() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "flush")
        let topics = try TestServers.topicCatalog()
        var logger = Logger(label: "flush-test")
        logger.logLevel = .critical
        let producer = try KafkaProducer(connection: kafka, clientID: "flush-test", logger: logger)
        let time = EventTime(secondsSinceEpoch: 1_709_647_230)
        let measurement = Measurement(
            type: .dynoLoad, owner: UUID().uuidString.lowercased(), processType: "web", metric: "load_avg", time: time,
            receivedAt: time, fields: [MeasurementField(name: "load_avg_1m", value: 0.5)])
        try await producer.send([topics.rawRecord(for: measurement, timestamp: time, in: kafka)])
        let clock = ManualClock()
        let aggregator = AggregatorService(
            settings: .init(
                topics: topics, kafka: kafka, assignment: try WorkerAssignment(workerIndex: 0, workerCount: 1),
                windows: .production,
                flushInterval: .seconds(1), types: [.dynoLoad]),
            clock: clock, publisher: producer, metrics: NOOPMetricsHandler.instance, logger: logger)
        let latest = try LatestSummaryTopic(
            kafka: kafka, topic: kafka.topicName(topics.topic(.summary, for: .dynoLoad).name), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await aggregator.run() }
            // Plenty of polls go by with the clock standing still: nothing may be published.
            for _ in 0..<40 { try latest.refresh() }  // about 2 s of wall time, twice the flush interval
            #expect(latest.fields.isEmpty)
            // The aggregator may still be starting or consuming (slow on a cold machine): keep ticking until it
            // flushes.
            try latest.refresh()
            while latest.summaries.isEmpty {
                clock.advance(by: .seconds(1))
                try await Task.sleep(for: .milliseconds(20))
                try latest.refresh()
            }
            #expect(latest.fields.values.map(\.count) == [1])
            group.cancelAll()
        }
        await producer.close()
    }
}

extension LatestSummaryTopic {
    /// The latest `load_avg_1m` statistics of every key.
    var fields: [SeriesKey: FieldStatistics] { summaries.compactMapValues { $0.fields["load_avg_1m"] } }
}
