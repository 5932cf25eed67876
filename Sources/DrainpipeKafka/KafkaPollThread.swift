import Dispatch
import Foundation
import Synchronization

/// A dedicated OS thread (never the Swift cooperative pool) that runs `iteration` repeatedly until stopped.
///
/// `iteration` should block for a short, bounded time (a librdkafka poll with a ~100 ms timeout), since the stop
/// flag is checked between iterations. The thread retains `iteration` and this object, not its owner, so an owner
/// can stop it from `deinit`.
final class KafkaPollThread: Sendable {
    private let isStopping = Atomic<Bool>(false)
    private let hasJoined = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts the thread immediately.
    init(name: String, iteration: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while !isStopping.load(ordering: .acquiring) {
                iteration()
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Asks the loop to end after its current iteration; returns at once.
    func requestStop() {
        isStopping.store(true, ordering: .releasing)
    }

    /// Stops the loop and blocks until the thread has left it (at most one iteration). Safe to call repeatedly.
    func stopAndWait() {
        requestStop()
        if !hasJoined.exchange(true, ordering: .acquiringAndReleasing) {
            finished.wait()
        }
    }
}
