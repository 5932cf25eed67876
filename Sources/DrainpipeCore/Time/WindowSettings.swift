/// Window length and the bounds that decide which measurements a window accepts.
package struct WindowSettings: Sendable, Hashable {
    /// The length of one window (60 s in production).
    package var windowLength: Duration
    /// How far a measurement's time may lie before its Kafka timestamp (5 min in production).
    package var lateBound: Duration
    /// How far a measurement's time may lie after its Kafka timestamp (5 min in production).
    package var futureBound: Duration

    package init(
        windowLength: Duration = .seconds(60), lateBound: Duration = .seconds(300),
        futureBound: Duration = .seconds(300)
    ) {
        precondition(
            windowLength > .zero && lateBound >= .zero && futureBound >= .zero, "window settings must be positive")
        self.windowLength = windowLength
        self.lateBound = lateBound
        self.futureBound = futureBound
    }

    package static let production = WindowSettings()

    /// The rollup period recorded in every summary.
    package var periodSeconds: Int32 { Int32(windowLength.components.seconds) }

    /// Whether a measurement taken at `time`, in a message with Kafka timestamp `messageTime`, counts at all.
    ///
    /// Depends only on the two times, never on a clock, so a replay accepts exactly the same measurements.
    package func accepts(time: EventTime, messageTime: EventTime) -> Acceptance {
        if time < messageTime - lateBound { return .tooLate }
        if time > messageTime + futureBound { return .tooFarInFuture }
        return .accepted
    }

    /// The outcome of `accepts(time:messageTime:)`.
    package enum Acceptance: Sendable, Hashable {
        case accepted, tooLate, tooFarInFuture
    }

    /// Whether a window can still receive measurements once messages up to `watermark` have been seen.
    ///
    /// A message stamped after the window's end plus the late bound cannot be accepted into it.
    package func isFinal(windowStart: EventTime, watermark: EventTime) -> Bool {
        windowStart + windowLength + lateBound <= watermark
    }
}
