import Foundation

/// The source of "now" for the few decisions that need calendar time: the receive time ingress stamps on a
/// measurement, and the day schemas a sink creates ahead. Tests inject a fixed or manual clock.
package protocol WallClock: Sendable {
    func now() -> EventTime
}

/// The system's real-time clock.
package struct SystemWallClock: WallClock {
    package init() {}

    package func now() -> EventTime {
        EventTime(microsecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down)))
    }
}
