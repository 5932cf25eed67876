import DrainpipeKafka
import DrainpipeTestSupport
import Prometheus
import Testing

@testable import Drainpipe

/// Produce latency and produce errors, as `/metrics` shows them.
@Suite("Metered publisher")
struct MeteredPublisherTests {
    static let record = KafkaRecord(topic: "ROUTER_REQUESTS.1", partition: 0, key: nil, value: [1])

    @Test("every batch is timed; a refused one is counted by reason and code and its error passed on")
    func timesAndCounts() async {
        let registry = PrometheusCollectorRegistry()
        let inner = InMemoryPublisher()
        let publisher = MeteredPublisher(inner, metrics: DocumentedMetricsFactory(registry: registry))
        await #expect(throws: Never.self) { try await publisher.send([Self.record]) }
        let timedOut = KafkaErrorCode(rawValue: -192, name: "_MSG_TIMED_OUT", reason: "timed out", isTransient: true)
        inner.failSends(with: .deliveryFailed(topic: "ROUTER_REQUESTS.1", partition: 0, code: timedOut))
        await #expect(throws: KafkaError.self) { try await publisher.send([Self.record]) }

        let exposition = String(decoding: registry.emitToBuffer(), as: UTF8.self)
        #expect(exposition.contains("# HELP drainpipe_kafka_produce_duration_seconds "))
        #expect(exposition.contains("drainpipe_kafka_produce_duration_seconds_count 2\n"))
        #expect(exposition.contains("drainpipe_kafka_produce_duration_seconds_bucket{le=\"0.0005\"}"))
        #expect(
            exposition.contains(
                "drainpipe_kafka_produce_errors_total{reason=\"delivery_failed\",code=\"_MSG_TIMED_OUT\"} 1\n"))
        #expect(inner.records.count == 1)
    }
}
