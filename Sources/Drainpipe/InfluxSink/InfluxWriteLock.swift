import Synchronization

/// Lets one write at a time through, in arrival order: the influx-sink's two loops share one, so the retry loop's
/// read of stored versions and its write are never separated by a write of the primary loop.
package final class InfluxWriteLock: Sendable {
    private let state = Mutex<(held: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    package init() {}

    /// Runs `body` holding the lock.
    package func withLock<Value: Sendable>(_ body: () async -> Value) async -> Value {
        await acquire()
        defer { release() }
        return await body()
    }

    private func acquire() async {
        await withCheckedContinuation { continuation in
            let acquired = state.withLock { state in
                if state.held {
                    state.waiters.append(continuation)
                    return false
                }
                state.held = true
                return true
            }
            if acquired { continuation.resume() }
        }
    }

    /// Hands the lock to the first waiter, or frees it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.waiters.isEmpty {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
