import Testing

@testable import DrainpipeCore

@Suite("PartitionAggregator on platform events")
struct PartitionAggregatorEventTests {
    static let settings = WindowSettings(
        windowLength: .seconds(60), lateBound: .seconds(300), futureBound: .seconds(300))
    static let minute = EventTime(secondsSinceEpoch: 1_709_647_320)

    static func event(
        _ kind: PlatformEventKind, at time: EventTime, dyno: String = "web.1", text: String = "",
        frame: String = "", line: UInt32 = 0
    ) -> Measurement {
        Measurement(
            type: .platformEvents, owner: "app-1", processType: String(dyno.prefix { $0 != "." }), metric: "events",
            time: time, receivedAt: time, fields: [], events: [kind.rawValue],
            origin: DrainOrigin(drainID: "d.drain", frameID: frame, lineIndex: line),
            platformEvent: PlatformEventDetail(kind: kind, dyno: dyno, text: text))
    }

    @Test("a minute's summary counts every kind and lists the events in time order")
    func summarises() throws {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.minute
        let measurements = [
            Self.event(.state, at: t + .seconds(40), text: "starting -> up"),
            Self.event(.restart, at: t + .seconds(5)),
            Self.event(.start, at: t + .seconds(30), text: "bin/web"),
            Self.event(.restart, at: t + .seconds(61)),
        ]
        for (offset, measurement) in measurements.enumerated() {
            #expect(aggregator.apply(measurement, offset: Int64(offset), messageTime: t + .seconds(62)) == .accepted)
        }
        let summaries = aggregator.takeChangedSummaries()
        let first = try #require(summaries.first { $0.key.windowStart == t })
        #expect(first.counts == ["restart": 1, "start": 1, "state": 1])
        #expect(first.fields.isEmpty)
        #expect(first.platformEvents.events.map(\.kind) == [.restart, .start, .state])
        #expect(first.platformEvents.events.map(\.time) == [t + .seconds(5), t + .seconds(30), t + .seconds(40)])
        #expect(first.platformEvents.events.allSatisfy { $0.dyno == "web.1" })
        #expect(summaries.count == 2)
    }

    @Test("a crash loop keeps 100 events per summary and counts the rest exactly")
    func crashLoop() throws {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.minute
        for index in 0..<250 {
            let kind: PlatformEventKind = index % 2 == 0 ? .state : .error
            aggregator.apply(
                Self.event(kind, at: t + .milliseconds(Int64(index) * 200)), offset: Int64(index),
                messageTime: t + .seconds(50))
        }
        let summary = try #require(aggregator.takeChangedSummaries().first)
        #expect(summary.counts == ["state": 125, "error": 125])
        #expect(summary.platformEvents.events.count == 100)
        #expect(summary.platformEvents.overflow == 150)
        #expect(summary.platformEvents.events.last?.time == t + .milliseconds(99 * 200))
    }

    @Test("a retried batch's events count once")
    func retriedEventsCountOnce() throws {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.minute
        let deploy = Self.event(.deploy, at: t, dyno: "", text: "4f2a1c7", frame: "F", line: 0)
        #expect(aggregator.apply(deploy, offset: 0, messageTime: t) == .accepted)
        #expect(aggregator.apply(deploy, offset: 1, messageTime: t + .seconds(4)) == .duplicate)
        let summary = try #require(aggregator.takeChangedSummaries().first)
        #expect(summary.counts == ["deploy": 1])
        #expect(summary.platformEvents.events.count == 1)
    }

    @Test("a restart from the commit point rebuilds identical event summaries", arguments: [UInt64(3), 99, 2024])
    func replayFromCommitPoint(seed: UInt64) {
        let t = Self.minute
        var generator = SplitMix64(seed: seed)
        var recorded = RecordedPartition()
        for index in 0..<800 {
            let messageTime = t + .seconds(Int64(index)) + .milliseconds(Int64(generator.next() % 20_000) - 10_000)
            let time = messageTime - .seconds(Int64(generator.next() % 400))
            let kind = PlatformEventKind.allCases[Int(generator.next() % UInt64(PlatformEventKind.allCases.count))]
            // Bursts in a few minutes overflow their logs, so the bound is replayed too.
            let burst = generator.next() % 4 == 0 ? t + .seconds(120) + .milliseconds(Int64(index)) : time
            recorded.messages.append(
                (
                    Self.event(
                        kind, at: min(burst, messageTime), dyno: "web.\(1 + generator.next() % 2)",
                        text: "v\(generator.next() % 5)", frame: "F\(index / 10)", line: UInt32(index % 10)),
                    messageTime
                ))
        }
        var uninterrupted: [SeriesKey: Summary] = [:]
        var single = PartitionAggregator(settings: Self.settings, startingAt: 0)
        recorded.replay(into: &single, 0..<800, flushEvery: 9, keepingLatestIn: &uninterrupted)
        #expect(uninterrupted.values.contains { $0.platformEvents.overflow > 0 })

        var restarted: [SeriesKey: Summary] = [:]
        var first = PartitionAggregator(settings: Self.settings, startingAt: 0)
        recorded.replay(into: &first, 0..<377, flushEvery: 31, keepingLatestIn: &restarted)
        first.finalizeWindows()
        let (offset, marker) = first.commitPoint
        var second = PartitionAggregator(settings: Self.settings, startingAt: offset, resuming: marker)
        recorded.replay(into: &second, Int(offset)..<800, flushEvery: 13, keepingLatestIn: &restarted)
        #expect(restarted == uninterrupted)
    }
}
