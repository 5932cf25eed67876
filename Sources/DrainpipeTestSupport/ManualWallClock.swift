import DrainpipeCore
import Synchronization

/// A wall clock that tests set and advance by hand.
package final class ManualWallClock: WallClock {
    private let current: Mutex<EventTime>

    package init(_ start: EventTime) {
        current = Mutex(start)
    }

    package func now() -> EventTime {
        current.withLock { $0 }
    }

    package func set(_ time: EventTime) {
        current.withLock { $0 = time }
    }

    package func advance(by duration: Duration) {
        current.withLock { $0 = $0 + duration }
    }
}
