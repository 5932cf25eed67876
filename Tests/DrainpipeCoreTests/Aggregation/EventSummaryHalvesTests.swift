import Testing

@testable import DrainpipeCore

@Suite("Event summaries of two halves")
struct EventSummaryHalvesTests {
    static let start = EventTime(secondsSinceEpoch: 1_709_647_200)

    /// Events of two process types over three minutes, with crash-loop bursts of the web dynos that overflow some
    /// logs.
    static func measurements(seed: UInt64, count: Int) -> [Measurement] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let burst = generator.next() % 2 == 0
            let time = start + .milliseconds(Int64(generator.next() % (burst ? 2_000 : 180_000)))
            let kind = burst ? .state : PlatformEventKind.allCases[Int(generator.next() % 12)]
            let processType = kind.isAppWide ? "api" : burst ? "web" : ["web", "worker"][Int(generator.next() % 2)]
            return Measurement(
                type: .platformEvents, owner: "app", processType: processType, metric: "events", time: time,
                receivedAt: time, fields: [], events: [kind.rawValue],
                platformEvent: PlatformEventDetail(
                    kind: kind, dyno: kind.isAppWide ? "" : "\(processType).\(1 + generator.next() % 3)",
                    text: burst ? "up -> crashed" : "v\(generator.next() % 9)"))
        }
    }

    static func summaries(of measurements: [Measurement]) -> [SeriesKey: Summary] {
        var aggregator = PartitionAggregator(
            settings: WindowSettings(windowLength: .seconds(60), lateBound: .seconds(300), futureBound: .seconds(300)),
            startingAt: 0)
        for (offset, measurement) in measurements.enumerated() {
            aggregator.apply(measurement, offset: Int64(offset), messageTime: start + .seconds(200))
        }
        return Dictionary(uniqueKeysWithValues: aggregator.takeChangedSummaries().map { ($0.key, $0) })
    }

    @Test(
        "merging the summaries of two halves equals the summary of the whole: counts, events and overflow",
        arguments: 0..<20)
    func halvesMergeToWhole(seed: UInt64) throws {
        let all = Self.measurements(seed: seed, count: 40 + Int(seed) * 30)
        var generator = SplitMix64(seed: seed &* 13)
        var left: [Measurement] = []
        var right: [Measurement] = []
        for measurement in all {
            if generator.next() % 2 == 0 { left.append(measurement) } else { right.append(measurement) }
        }
        let whole = Self.summaries(of: all)
        var merged = Self.summaries(of: left)
        for (key, summary) in Self.summaries(of: right) {
            merged[key, default: Summary(key: key, version: 0)].merge(summary)
        }
        #expect(Set(merged.keys) == Set(whole.keys))
        for (key, expected) in whole {
            let actual = try #require(merged[key])
            #expect(actual.counts == expected.counts)
            #expect(actual.platformEvents == expected.platformEvents)
            #expect(actual.platformEvents.totalCount == expected.counts.values.reduce(0, +))
        }
        if seed >= 10 { #expect(whole.values.contains { $0.platformEvents.overflow > 0 }) }
    }
}
