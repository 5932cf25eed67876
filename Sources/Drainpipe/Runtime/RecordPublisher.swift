import DrainpipeCore
import DrainpipeKafka
import NIOCore
import NIOPosix
import Synchronization

/// Something that durably hands records to Kafka: returns only once every record was acknowledged.
///
/// `KafkaProducer` in production; an in-memory recorder in unit tests.
package protocol RecordPublisher: Sendable {
    func send(_ records: [KafkaRecord]) async throws(KafkaError)
    /// Like `send(_:)`, but stops waiting after `timeout` with `.acknowledgementTimedOut`; what was handed over may
    /// still be written (the at-least-once side of a retry, never a loss).
    func send(_ records: [KafkaRecord], waitingAtMost timeout: Duration) async throws(KafkaError)
}

extension RecordPublisher {
    /// `send(_:)` raced against a timer: a task and an event-loop timer per call. `KafkaProducer` keeps the deadline
    /// with its batch instead.
    package func send(_ records: [KafkaRecord], waitingAtMost timeout: Duration) async throws(KafkaError) {
        let nanoseconds = Int64(clamping: timeout.wholeMicroseconds) * 1_000
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<KafkaError?, Never>) in
            let waiter = Mutex<CheckedContinuation<KafkaError?, Never>?>(continuation)
            let resume: @Sendable (KafkaError?) -> Void = { failure in
                waiter.withLock { $0.take() }?.resume(returning: failure)
            }
            let timer = MultiThreadedEventLoopGroup.singleton.next().scheduleTask(in: .nanoseconds(nanoseconds)) {
                resume(.acknowledgementTimedOut(waited: timeout))
            }
            Task {
                do throws(KafkaError) {
                    try await send(records)
                    resume(nil)
                } catch {
                    resume(error)
                }
                timer.cancel()
            }
        }
        if let outcome { throw outcome }
    }
}

extension KafkaProducer: RecordPublisher {}
