import DrainpipeKafka
import Foundation
import Logging

extension Logger {
    /// Warnings and worse from the Kafka layer, on stderr, without bootstrapping the global logging system.
    package static func kafkaTest(_ label: String) -> Logger {
        Logger(label: label) { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
    }
}

/// Helpers for tests that drive blocking Kafka clients.
package enum KafkaTesting {
    /// Runs blocking Kafka calls on a fresh thread, as services do, so they never stall the cooperative pool.
    package static func onDedicatedThread<Value: Sendable>(
        _ body: @escaping @Sendable () throws -> Value
    ) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Polls on a dedicated thread until `count` messages arrived or `idleLimit` polls in a row returned nothing.
    package static func pollMessages(
        from consumer: KafkaConsumer, count: Int, idleLimit: Int = 50
    ) async throws -> [KafkaMessage] {
        try await onDedicatedThread {
            var messages: [KafkaMessage] = []
            var idlePolls = 0
            while messages.count < count && idlePolls < idleLimit {
                let batch = try consumer.poll(maxMessages: count - messages.count, timeout: .milliseconds(200))
                idlePolls = batch.isEmpty ? idlePolls + 1 : 0
                messages += batch
            }
            return messages
        }
    }
}
