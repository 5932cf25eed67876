import Drainpipe
import DrainpipeKafka
import Synchronization

/// A `RecordPublisher` that keeps what it was sent, or fails on demand.
package final class InMemoryPublisher: RecordPublisher {
    private let state = Mutex<(records: [KafkaRecord], failure: KafkaError?)>(([], nil))

    package init() {}

    package var records: [KafkaRecord] { state.withLock { $0.records } }

    /// Makes every later `send` throw `error` (nil restores success).
    package func failSends(with error: KafkaError?) {
        state.withLock { $0.failure = error }
    }

    package func send(_ records: [KafkaRecord]) async throws(KafkaError) {
        let failure = state.withLock { state -> KafkaError? in
            if let failure = state.failure { return failure }
            state.records.append(contentsOf: records)
            return nil
        }
        if let failure { throw failure }
    }
}
