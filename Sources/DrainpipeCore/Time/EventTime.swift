/// A point in time as whole microseconds since the Unix epoch (UTC).
///
/// Measurement times, Kafka timestamps (milliseconds on the wire) and window starts all use this one
/// representation, so comparisons never mix units.
package struct EventTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    package var microsecondsSinceEpoch: Int64

    package init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// Saturates at the representable range instead of overflowing.
    package init(secondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = Self.saturating(
            secondsSinceEpoch.multipliedReportingOverflow(by: 1_000_000), sign: secondsSinceEpoch)
    }

    /// Saturates at the representable range instead of overflowing.
    package init(millisecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = Self.saturating(
            millisecondsSinceEpoch.multipliedReportingOverflow(by: 1_000), sign: millisecondsSinceEpoch)
    }

    /// The last microsecond of year 9999, the latest time any input may sensibly carry.
    package static let latestPlausible = EventTime(microsecondsSinceEpoch: 253_402_300_799_999_999)

    /// Whether the time lies between 1970 and the end of year 9999; anything else is a broken clock or bad data.
    package var isPlausible: Bool { (0...Self.latestPlausible.microsecondsSinceEpoch).contains(microsecondsSinceEpoch) }

    private static func saturating(_ result: (partialValue: Int64, overflow: Bool), sign: Int64) -> Int64 {
        guard result.overflow else { return result.partialValue }
        return sign < 0 ? .min : .max
    }

    package var millisecondsSinceEpoch: Int64 { microsecondsSinceEpoch / 1_000 }

    /// Whole seconds, rounded towards negative infinity.
    package var secondsSinceEpoch: Int64 {
        let quotient = microsecondsSinceEpoch / 1_000_000
        return microsecondsSinceEpoch % 1_000_000 < 0 ? quotient - 1 : quotient
    }

    /// The start of the window of `length` that contains this time.
    package func windowStart(length: Duration) -> EventTime {
        windowStart(lengthMicroseconds: length.wholeMicroseconds)
    }

    /// The start of the window of `lengthMicroseconds` containing this time (floor, also before 1970); saturates
    /// at the earliest representable time.
    package func windowStart(lengthMicroseconds windowMicros: Int64) -> EventTime {
        precondition(windowMicros > 0, "window length must be positive")
        var remainder = microsecondsSinceEpoch % windowMicros
        if remainder < 0 { remainder += windowMicros }
        return EventTime(
            microsecondsSinceEpoch: Self.saturating(
                microsecondsSinceEpoch.subtractingReportingOverflow(remainder), sign: -1))
    }

    package static func < (lhs: EventTime, rhs: EventTime) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    /// Saturates at the representable range instead of overflowing.
    package static func + (lhs: EventTime, rhs: Duration) -> EventTime {
        let micros = rhs.wholeMicroseconds
        return EventTime(
            microsecondsSinceEpoch: saturating(lhs.microsecondsSinceEpoch.addingReportingOverflow(micros), sign: micros)
        )
    }

    /// Saturates at the representable range instead of overflowing.
    package static func - (lhs: EventTime, rhs: Duration) -> EventTime {
        let micros = rhs.wholeMicroseconds
        return EventTime(
            microsecondsSinceEpoch: saturating(
                lhs.microsecondsSinceEpoch.subtractingReportingOverflow(micros), sign: -micros))
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
