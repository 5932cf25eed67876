import DrainpipeCore
import DrainpipeKafka
import Logging
import NIOCore
import NIOPosix
import Synchronization

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
    private let timerLoop: any EventLoop
    private let logger: Logger

    /// - Parameter timerLoop: where the timeouts are scheduled (any loop of NIO's shared group by default).
    package init(
        publisher: any RecordPublisher, timeout: Duration, retryAfterSeconds: Int = 5,
        timerLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(), logger: Logger
    ) {
        self.publisher = publisher
        self.timeout = timeout
        self.retryAfterSeconds = retryAfterSeconds
        self.timerLoop = timerLoop
        self.logger = logger
    }

    /// Returns once every record was acknowledged.
    ///
    /// - Throws: `.unavailable` when Kafka refused a record or did not acknowledge them all within the timeout.
    package func deliver(_ records: [KafkaRecord], owner: String) async throws(IngressError) {
        guard !records.isEmpty else { return }
        let outcome = await race(records)
        switch outcome {
        case .delivered:
            return
        case .failed(let error):
            logger.warning("Kafka did not acknowledge a batch", metadata: ["error": "\(error)", "owner": "\(owner)"])
            throw .unavailable(
                reason: "the message broker did not acknowledge the batch", retryAfterSeconds: retryAfterSeconds)
        case .timedOut:
            logger.warning(
                "Kafka did not acknowledge a batch in time", metadata: ["timeout": "\(timeout)", "owner": "\(owner)"])
            throw .unavailable(
                reason: "the message broker did not acknowledge the batch within \(timeout)",
                retryAfterSeconds: retryAfterSeconds)
        }
    }

    private enum Outcome: Sendable {
        case delivered
        case failed(KafkaError)
        case timedOut
    }

    /// The first of: the publisher's answer, or the timeout.
    ///
    /// The timer is an event-loop scheduled task rather than a sleeping `Task`: one per request, cancelled on
    /// delivery, it costs no thread hop or system timer.
    private func race(_ records: [KafkaRecord]) async -> Outcome {
        let publisher = publisher
        let nanoseconds = Int64(clamping: timeout.wholeMicroseconds) * 1_000
        let timerLoop = timerLoop
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let waiter = Mutex<CheckedContinuation<Outcome, Never>?>(continuation)
            let resume: @Sendable (Outcome) -> Void = { outcome in
                waiter.withLock { $0.take() }?.resume(returning: outcome)
            }
            let timer = timerLoop.scheduleTask(in: .nanoseconds(nanoseconds)) { resume(.timedOut) }
            Task {
                do throws(KafkaError) {
                    try await publisher.send(records)
                    resume(.delivered)
                } catch {
                    resume(.failed(error))
                }
                timer.cancel()
            }
        }
    }
}
