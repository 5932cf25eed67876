import DrainpipeCore
import DrainpipeKafka
import Logging

/// Hands records to Kafka and waits for their acknowledgement, at most `timeout`.
///
/// Past the timeout the caller gets `.unavailable` (503 with `Retry-After`) while the records already enqueued stay
/// with the producer: they may still be written (the producer's message timeout bounds how long), which is the
/// at-least-once side of a retry, never a loss. Memory stays bounded by the producer's queue limits: a full queue
/// makes `send` wait, and the wait ends at the timeout too.
package struct IngressDelivery: Sendable {
    private let publisher: any RecordPublisher
    private let timeout: Duration
    private let retryAfterSeconds: Int
    private let logger: Logger

    package init(publisher: any RecordPublisher, timeout: Duration, retryAfterSeconds: Int = 5, logger: Logger) {
        self.publisher = publisher
        self.timeout = timeout
        self.retryAfterSeconds = retryAfterSeconds
        self.logger = logger
    }

    /// Returns once every record was acknowledged.
    ///
    /// The request's task waits for the acknowledgements itself: `KafkaProducer` keeps the deadline with the batch,
    /// so a request costs no task, timer or thread hop of its own.
    /// - Throws: `.unavailable` when Kafka refused a record or did not acknowledge them all within the timeout.
    package func deliver(_ records: [KafkaRecord], owner: String) async throws(IngressError) {
        guard !records.isEmpty else { return }
        do throws(KafkaError) {
            try await publisher.send(records, waitingAtMost: timeout)
        } catch .acknowledgementTimedOut {
            logger.warning(
                "Kafka did not acknowledge a batch in time", metadata: ["timeout": "\(timeout)", "owner": "\(owner)"])
            throw .unavailable(
                reason: "the message broker did not acknowledge the batch within \(timeout)",
                retryAfterSeconds: retryAfterSeconds)
        } catch {
            logger.warning("Kafka did not acknowledge a batch", metadata: ["error": "\(error)", "owner": "\(owner)"])
            throw .unavailable(
                reason: "the message broker did not acknowledge the batch", retryAfterSeconds: retryAfterSeconds)
        }
    }
}
