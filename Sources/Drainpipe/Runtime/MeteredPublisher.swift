import DrainpipeKafka
import Metrics

/// A publisher that measures every batch it hands on: `drainpipe_kafka_produce_duration_seconds` (from the call
/// until Kafka acknowledged, or refused, the whole batch) and `drainpipe_kafka_produce_errors_total` by
/// reason and librdkafka code.
package struct MeteredPublisher: RecordPublisher {
    private let publisher: any RecordPublisher
    private let duration: Timer
    private let metrics: any MetricsFactory

    package init(_ publisher: any RecordPublisher, metrics: any MetricsFactory) {
        self.publisher = publisher
        self.metrics = metrics
        duration = Timer(label: "drainpipe_kafka_produce_duration_seconds", factory: metrics)
    }

    package func send(_ records: [KafkaRecord]) async throws(KafkaError) {
        try await measure { () async throws(KafkaError) in try await publisher.send(records) }
    }

    package func send(_ records: [KafkaRecord], waitingAtMost timeout: Duration) async throws(KafkaError) {
        try await measure { () async throws(KafkaError) in try await publisher.send(records, waitingAtMost: timeout) }
    }

    private func measure(_ send: () async throws(KafkaError) -> Void) async throws(KafkaError) {
        let started = ContinuousClock.now
        defer { duration.record(duration: ContinuousClock.now - started) }
        do {
            try await send()
        } catch {
            Counter(
                label: "drainpipe_kafka_produce_errors_total", dimensions: Self.labels(error),
                factory: metrics
            ).increment()
            throw error
        }
    }

    /// The labels of a failed batch: the kind of failure, and librdkafka's code where it has one.
    static func labels(_ error: KafkaError) -> [(String, String)] {
        switch error {
        case .produceFailed(_, _, let code): [("reason", "produce_failed"), ("code", code.name)]
        case .deliveryFailed(_, _, let code): [("reason", "delivery_failed"), ("code", code.name)]
        case .queueFull: [("reason", "queue_full"), ("code", "")]
        case .fatal(let code, _): [("reason", "fatal"), ("code", code.name)]
        case .closed: [("reason", "closed"), ("code", "")]
        case .acknowledgementTimedOut: [("reason", "timed_out"), ("code", "")]
        default: [("reason", "other"), ("code", "")]
        }
    }
}
