/// Window length and the bounds that decide which measurements a window accepts: the one place acceptance and
/// finality are decided.
///
/// The lengths are kept in whole microseconds, the unit of `EventTime`, so the aggregator's per-measurement
/// decisions are plain 64-bit arithmetic (a `Duration` converts through 128-bit arithmetic on every use). Every
/// sum saturates at the representable range, as `EventTime`'s operators do.
package struct WindowSettings: Sendable, Hashable {
    private let windowMicroseconds: Int64
    private let lateMicroseconds: Int64
    private let futureMicroseconds: Int64

    package init(
        windowLength: Duration = .seconds(60), lateBound: Duration = .seconds(300),
        futureBound: Duration = .seconds(300)
    ) {
        windowMicroseconds = windowLength.wholeMicroseconds
        lateMicroseconds = lateBound.wholeMicroseconds
        futureMicroseconds = futureBound.wholeMicroseconds
        precondition(
            windowMicroseconds > 0 && lateMicroseconds >= 0 && futureMicroseconds >= 0,
            "window settings must be positive")
    }

    package static let production = WindowSettings()

    /// The length of one window (60 s in production).
    package var windowLength: Duration { .microseconds(windowMicroseconds) }
    /// How far a measurement's time may lie before its Kafka timestamp (5 min in production).
    package var lateBound: Duration { .microseconds(lateMicroseconds) }
    /// How far a measurement's time may lie after its Kafka timestamp (5 min in production).
    package var futureBound: Duration { .microseconds(futureMicroseconds) }

    /// The rollup period recorded in every summary.
    package var periodSeconds: Int32 { Int32(windowMicroseconds / 1_000_000) }

    /// Whether a measurement taken at `time`, in a message with Kafka timestamp `messageTime`, counts at all.
    ///
    /// Depends only on the two times, never on a clock, so a replay accepts exactly the same measurements.
    package func accepts(time: EventTime, messageTime: EventTime) -> Acceptance {
        let time = time.microsecondsSinceEpoch
        let stamp = messageTime.microsecondsSinceEpoch
        if time < Self.adding(stamp, -lateMicroseconds) { return .tooLate }
        if time > Self.adding(stamp, futureMicroseconds) { return .tooFarInFuture }
        return .accepted
    }

    /// The outcome of `accepts(time:messageTime:)`.
    package enum Acceptance: Sendable, Hashable {
        case accepted, tooLate, tooFarInFuture
    }

    /// The start of the window that contains `time`.
    package func windowStart(containing time: EventTime) -> EventTime {
        time.windowStart(lengthMicroseconds: windowMicroseconds)
    }

    /// Whether a window can still receive measurements once messages up to `watermark` have been seen.
    ///
    /// A message stamped after the window's end plus the late bound cannot be accepted into it.
    package func isFinal(windowStart: EventTime, watermark: EventTime) -> Bool {
        Self.adding(Self.adding(windowStart.microsecondsSinceEpoch, windowMicroseconds), lateMicroseconds)
            <= watermark.microsecondsSinceEpoch
    }

    /// The start of the oldest window that is not final at `watermark`: every window before it is.
    package func firstOpenWindowStart(watermark: EventTime) -> EventTime {
        // Window W is final iff W + length + late bound <= watermark; the smallest W that is not follows.
        let limit = Self.adding(Self.adding(watermark.microsecondsSinceEpoch, -windowMicroseconds), -lateMicroseconds)
        let candidate = windowStart(containing: EventTime(microsecondsSinceEpoch: limit))
        guard isFinal(windowStart: candidate, watermark: watermark) else { return candidate }
        return EventTime(microsecondsSinceEpoch: Self.adding(candidate.microsecondsSinceEpoch, windowMicroseconds))
    }

    private static func adding(_ time: Int64, _ micros: Int64) -> Int64 {
        let (sum, overflow) = time.addingReportingOverflow(micros)
        return overflow ? (micros < 0 ? .min : .max) : sum
    }
}
