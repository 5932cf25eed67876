import DrainpipeTestSupport
import Foundation
import Logging
import Metrics
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWire

/// The aggregator service over the broker during a migration from raw wire version 1 to 2: records of both versions
/// for one window end up in one summary, and a batch sent twice counts once.
@Suite("Aggregator over raw versions 1 and 2", .serialized)
struct AggregatorRawVersionsServiceTests {
    @Test("a DYNO_LOAD.1 record and a DYNO_LOAD.2 batch count in one summary; the batch resent counts once")
    func bothVersionsInOneSummary() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "raw-versions")
        let topics = try TestServers.topicCatalog()
        var logger = Logger(label: "raw-versions-test")
        logger.logLevel = .critical
        let producer = try KafkaProducer(connection: kafka, clientID: "raw-versions-test", logger: logger)
        let time = EventTime(secondsSinceEpoch: 1_709_647_230)
        let owner = UUID().uuidString.lowercased()
        func line(_ index: UInt32, frame: String, value: Double) -> DrainpipeCore.Measurement {
            DrainpipeCore.Measurement(
                type: .dynoLoad, owner: owner, processType: "web", metric: "load_avg", time: time, receivedAt: time,
                fields: [MeasurementField(name: "load_avg_1m", value: value)],
                origin: DrainOrigin(drainID: "d.1", frameID: frame, lineIndex: index))
        }
        // What an ingress of raw wire version 1 wrote: one record per line, on DYNO_LOAD.1.
        let version1 = try #require(topics.rawTopics(for: .dynoLoad).first { $0.wireVersion == 1 })
        let old = line(0, frame: "A", value: 1)
        try await producer.send([
            version1.record(
                owner: owner, processType: "web", key: Array(old.partitionKey.utf8), value: old.wireBytes,
                timestamp: time, in: kafka)
        ])
        // What an ingress of version 2 writes: one batch, on DYNO_LOAD.2; sent twice (a Logplex retry).
        let batch = topics.rawRecords(
            for: (0..<3).map { line(UInt32($0), frame: "B", value: Double($0 + 2)) }, timestamp: time, in: kafka)
        #expect(batch.count == 1 && batch[0].topic == kafka.topicName("DYNO_LOAD.2"))
        try await producer.send(batch)
        try await producer.send(batch)

        let aggregator = AggregatorService(
            settings: .init(
                topics: topics, kafka: kafka, assignment: try WorkerAssignment(workerIndex: 0, workerCount: 1),
                windows: .production, flushInterval: .milliseconds(50), types: [.dynoLoad]),
            clock: ContinuousClock(), publisher: producer, metrics: NOOPMetricsHandler.instance, logger: logger)
        let latest = try LatestSummaryTopic(
            kafka: kafka, topic: kafka.topicName(topics.topic(.summary, for: .dynoLoad).name), logger: logger)
        let expected = FieldStatistics.empty.adding([1, 2, 3, 4])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await aggregator.run() }
            let deadline = ContinuousClock.now + .seconds(60)
            try latest.refresh()
            while latest.fields.values.first != expected, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                try latest.refresh()
            }
            group.cancelAll()
        }
        #expect(latest.fields.count == 1)
        #expect(latest.fields.values.first == expected)
        // One past offset 0 of each version.
        #expect(latest.summaries.values.first?.version == 2)
        await producer.close()
    }
}

extension FieldStatistics {
    /// These statistics with `values` added in order.
    fileprivate func adding(_ values: [Double]) -> FieldStatistics {
        var statistics = self
        for value in values { statistics.add(value) }
        return statistics
    }
}
