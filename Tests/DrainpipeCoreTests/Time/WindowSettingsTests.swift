import Testing

@testable import DrainpipeCore

@Suite("WindowSettings")
struct WindowSettingsTests {
    static let settings = WindowSettings(
        windowLength: .seconds(60), lateBound: .seconds(300), futureBound: .seconds(120))
    static let minute = EventTime(secondsSinceEpoch: 1_709_647_320)  // window-aligned

    @Test("a measurement is accepted from the late bound before its message time to the future bound after it")
    func acceptance() {
        let settings = Self.settings
        let stamp = Self.minute
        #expect(settings.accepts(time: stamp - .seconds(300), messageTime: stamp) == .accepted)
        #expect(settings.accepts(time: stamp - .microseconds(300_000_001), messageTime: stamp) == .tooLate)
        #expect(settings.accepts(time: stamp + .seconds(120), messageTime: stamp) == .accepted)
        #expect(settings.accepts(time: stamp + .microseconds(120_000_001), messageTime: stamp) == .tooFarInFuture)
        let earliest = EventTime(microsecondsSinceEpoch: .min)
        #expect(settings.accepts(time: earliest, messageTime: earliest) == .accepted, "saturates, never traps")
    }

    @Test("window starts are aligned to the length, before and after the epoch")
    func windowStarts() {
        let settings = Self.settings
        #expect(settings.windowStart(containing: Self.minute + .seconds(59)) == Self.minute)
        #expect(settings.windowStart(containing: Self.minute) == Self.minute)
        #expect(
            settings.windowStart(containing: EventTime(microsecondsSinceEpoch: -1))
                == EventTime(secondsSinceEpoch: -60))
        #expect(settings.windowStart(containing: Self.minute + .seconds(61)) == Self.minute + .seconds(60))
    }

    @Test("a window is final once the watermark reaches its end plus the late bound")
    func finality() {
        let settings = Self.settings
        let end = Self.minute + .seconds(60 + 300)
        #expect(!settings.isFinal(windowStart: Self.minute, watermark: end - .microseconds(1)))
        #expect(settings.isFinal(windowStart: Self.minute, watermark: end))
        let latest = EventTime(microsecondsSinceEpoch: .max)
        #expect(settings.isFinal(windowStart: latest, watermark: latest), "saturates, never traps")
    }

    @Test("the first open window is the oldest one finality has not reached, at every watermark")
    func firstOpenWindow() {
        let settings = Self.settings
        for step in 0..<400 {
            let watermark = Self.minute + .milliseconds(Int64(step) * 997)
            let first = settings.firstOpenWindowStart(watermark: watermark)
            #expect(settings.windowStart(containing: first) == first)
            #expect(!settings.isFinal(windowStart: first, watermark: watermark))
            #expect(settings.isFinal(windowStart: first - settings.windowLength, watermark: watermark))
        }
        let earliest = EventTime(microsecondsSinceEpoch: .min)
        #expect(settings.firstOpenWindowStart(watermark: earliest) == earliest)
    }

    @Test("lengths read back as set, and the period is the window length in seconds")
    func lengths() {
        #expect(Self.settings.windowLength == .seconds(60))
        #expect(Self.settings.lateBound == .seconds(300))
        #expect(Self.settings.futureBound == .seconds(120))
        #expect(Self.settings.periodSeconds == 60)
        #expect(WindowSettings.production == WindowSettings())
    }
}
