import Dispatch

/// Runs blocking calls (Kafka polls and commits, libpq) on one dedicated serial thread, never on Swift's
/// cooperative pool, and lets async code await them.
package final class BlockingWorker: Sendable {
    private let queue: DispatchQueue

    package init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the worker's thread; calls are executed one at a time in submission order.
    package func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try body() })
            }
        }
    }
}
