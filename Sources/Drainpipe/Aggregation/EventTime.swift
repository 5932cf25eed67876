/// A point in time as whole microseconds since the Unix epoch (UTC).
///
/// Measurement times, Kafka timestamps (milliseconds on the wire) and window starts all use this one
/// representation, so comparisons never mix units.
package struct EventTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var microsecondsSinceEpoch: Int64

    package init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    package init(secondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = secondsSinceEpoch * 1_000_000
    }

    package init(millisecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = millisecondsSinceEpoch * 1_000
    }

    package var millisecondsSinceEpoch: Int64 { microsecondsSinceEpoch / 1_000 }

    /// Whole seconds, rounded towards negative infinity.
    package var secondsSinceEpoch: Int64 {
        microsecondsSinceEpoch >= 0
            ? microsecondsSinceEpoch / 1_000_000
            : -((-microsecondsSinceEpoch + 999_999) / 1_000_000)
    }

    /// The start of the window of `length` that contains this time.
    package func windowStart(length: Duration) -> EventTime {
        let windowMicros = length.wholeMicroseconds
        precondition(windowMicros > 0, "window length must be positive")
        var remainder = microsecondsSinceEpoch % windowMicros
        if remainder < 0 { remainder += windowMicros }
        return EventTime(microsecondsSinceEpoch: microsecondsSinceEpoch - remainder)
    }

    package static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    package static func + (lhs: EventTime, rhs: Duration) -> EventTime {
        EventTime(microsecondsSinceEpoch: lhs.microsecondsSinceEpoch + rhs.wholeMicroseconds)
    }

    package static func - (lhs: EventTime, rhs: Duration) -> EventTime {
        EventTime(microsecondsSinceEpoch: lhs.microsecondsSinceEpoch - rhs.wholeMicroseconds)
    }

    package var description: String { "\(microsecondsSinceEpoch)µs" }
}

extension Duration {
    /// The duration in whole microseconds, truncated.
    package var wholeMicroseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}
