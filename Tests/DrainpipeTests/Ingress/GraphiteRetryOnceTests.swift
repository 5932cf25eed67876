import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWire

/// A Graphite-over-HTTP batch answered 503 (Kafka too slow) may still reach Kafka; its retry must not count twice.
@Suite("Graphite HTTP retries count once")
struct GraphiteRetryOnceTests {
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)

    /// Posts `body` (with `key` as `Idempotency-Key` when given) while the broker is slow, expecting 503, then again
    /// once it is back, expecting 204; returns how many datapoints the aggregator counts from the raw topic.
    static func countAfterRetry(
        body: String, keys: (first: String?, retry: String?)
    ) async throws -> (counted: UInt64, records: Int) {
        let broker = try GraphiteHTTPOverBroker(
            name: "retry-once", messageTimeout: .seconds(30), retryAfterSeconds: 1, clock: ManualWallClock(now))
        defer { broker.close() }
        let cluster = broker.cluster

        try await Application(router: broker.router).test(.router) { client in
            func post(key: String?, lines: String? = nil) async throws -> HTTPResponse.Status {
                var headers: HTTPFields = [.authorization: "Bearer gr-a"]
                if let key { headers[GraphiteRoutes.idempotencyKey] = key }
                return try await client.execute(
                    uri: "/graphite", method: .post, headers: headers, body: ByteBuffer(string: lines ?? body)
                ) { $0.status }
            }
            // Warm up the producer's connection (with a datapoint not counted below), so the 503 below comes from
            // the slow broker alone.
            while try await post(key: nil, lines: "warm.up.value 1 1709647400\n") != .noContent {
                try await Task.sleep(for: .milliseconds(100))
            }
            try cluster.setBroker(1, roundTripTime: .seconds(4))
            #expect(try await post(key: keys.first) == .serviceUnavailable)
            try cluster.setBroker(1, roundTripTime: .zero)
            var status = try await post(key: keys.retry)
            while status != .noContent {
                try await Task.sleep(for: .milliseconds(200))
                status = try await post(key: keys.retry)
            }
        }
        // The records of the 503 answer are still delivered (at least once): wait for them before reading.
        await broker.producer.close(flushTimeout: .seconds(20))
        let messages = try await broker.rawMessages()
        let settings = WindowSettings(windowLength: .seconds(60), lateBound: .seconds(300), futureBound: .seconds(300))
        var aggregators: [Int32: PartitionAggregator] = [:]
        for message in messages.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            let measurements = try MeasurementBatchWire.decode(message.value)
            _ = aggregators[message.partition, default: PartitionAggregator(settings: settings, startingAt: 0)]
                .apply(measurements, source: 0, offset: message.offset, messageTime: message.timestamp ?? now)
        }
        var counted: UInt64 = 0
        for partition in Array(aggregators.keys) {
            let summaries = aggregators[partition]?.takeChangedSummaries() ?? []
            counted += summaries.filter { $0.key.metric.hasPrefix("retry.") }.reduce(0) {
                $0 + ($1.fields["value"]?.count ?? 0)
            }
        }
        return (counted, messages.count)
    }

    static let batch = (0..<5).map { "retry.line\($0).value \($0) 1709647400\n" }.joined()

    @Test("a batch retried with the same Idempotency-Key after a 503 is counted once", .timeLimit(.minutes(1)))
    func idempotencyKey() async throws {
        let result = try await Self.countAfterRetry(body: Self.batch, keys: ("batch-7", "batch-7"))
        #expect(result.counted == 5, "\(result.records) raw records, \(result.counted) datapoints counted")
    }

    @Test(
        "without an Idempotency-Key the body digest makes the retry of the same bytes count once",
        .timeLimit(.minutes(1)))
    func bodyDigest() async throws {
        let result = try await Self.countAfterRetry(body: Self.batch, keys: (nil, nil))
        #expect(result.counted == 5, "\(result.records) raw records, \(result.counted) datapoints counted")
    }

    @Test("different keys name different batches: both count", .timeLimit(.minutes(1)))
    func differentKeys() async throws {
        let result = try await Self.countAfterRetry(body: Self.batch, keys: ("batch-7", "batch-8"))
        #expect(result.counted == 10, "\(result.records) raw records, \(result.counted) datapoints counted")
    }
}
