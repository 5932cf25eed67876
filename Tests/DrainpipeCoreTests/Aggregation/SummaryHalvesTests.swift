import Testing

@testable import DrainpipeCore

@Suite("Summaries of two halves")
struct SummaryHalvesTests {
    static let settings = WindowSettings(
        windowLength: .seconds(60), lateBound: .seconds(300), futureBound: .seconds(300))
    static let start = EventTime(secondsSinceEpoch: 1_709_647_200)

    /// Router measurements of three series over three minutes; whole milliseconds, so every sum is exact.
    static func measurements(seed: UInt64, count: Int) -> [Measurement] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let time = start + .milliseconds(Int64(generator.next() % 180_000))
            let service = Double(generator.next() % 100 < 95 ? generator.next() % 300 : generator.next() % 30_000)
            return Measurement(
                type: .routerRequests, owner: "app", processType: ["web", "api", "worker"][Int(generator.next() % 3)],
                metric: "router", time: time, receivedAt: time,
                fields: [
                    MeasurementField(name: "connect_ms", value: Double(generator.next() % 4)),
                    MeasurementField(name: "service_ms", value: service),
                    MeasurementField(name: "bytes", value: Double(generator.next() % 100_000)),
                ],
                events: ["status_\(2 + generator.next() % 4)xx", "method_GET"])
        }
    }

    static func summaries(of measurements: [Measurement]) -> [SeriesKey: Summary] {
        var aggregator = PartitionAggregator(settings: settings, startingAt: 0)
        for (offset, measurement) in measurements.enumerated() {
            aggregator.apply(measurement, offset: Int64(offset), messageTime: start + .seconds(200))
        }
        return Dictionary(uniqueKeysWithValues: aggregator.takeChangedSummaries().map { ($0.key, $0) })
    }

    @Test("merging the summaries of two halves equals the summary of the whole, field by field", arguments: 0..<25)
    func halvesMergeToWhole(seed: UInt64) throws {
        let all = Self.measurements(seed: seed, count: 50 + Int(seed) * 40)
        var generator = SplitMix64(seed: seed &* 31)
        var left: [Measurement] = []
        var right: [Measurement] = []
        for measurement in all {
            if generator.next() % 2 == 0 { left.append(measurement) } else { right.append(measurement) }
        }
        let whole = Self.summaries(of: all)
        let leftSummaries = Self.summaries(of: left)
        let rightSummaries = Self.summaries(of: right)
        var merged = leftSummaries
        for (key, summary) in rightSummaries { merged[key, default: Summary(key: key, version: 0)].merge(summary) }
        #expect(Set(merged.keys) == Set(whole.keys))
        for (key, expected) in whole {
            let actual = try #require(merged[key])
            #expect(actual.fields == expected.fields)
            #expect(actual.counts == expected.counts)
            #expect(actual.sketches == expected.sketches)
            // The merged sketch answers within its stated error of the exact quantiles.
            let values = all.filter {
                $0.processType == key.processType && $0.time.windowStart(length: .seconds(60)) == key.windowStart
            }
            .compactMap { $0.fields.first { $0.name == "service_ms" }?.value }.sorted()
            let sketch = try #require(actual.sketches["service_ms"])
            for q in [0.5, 0.95, 0.99] {
                let exact = values[Int((q * Double(values.count - 1)).rounded(.down))]
                let estimate = try #require(sketch.quantile(q))
                #expect(abs(estimate - exact) <= QuantileSketch.relativeAccuracy * exact * (1 + 1e-9))
            }
        }
    }
}
