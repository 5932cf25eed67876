import DrainpipeCore
import Testing

/// Consolidating series with exact points merges summaries: the result equals summarising the raw values at once.
@Suite("Exact consolidation")
struct ExactConsolidationTests {
    /// Raw samples per minute, integers so sums are exact in any order; some minutes have none.
    static func minutes(seed: UInt64, count: Int) -> [[Double]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let samples = Int(random.next() % 6)
            return (0..<samples).map { _ in Double(random.next() % 2000) + 1 }
        }
    }

    static func point(_ samples: [Double]) -> MergeablePoint? {
        guard !samples.isEmpty else { return nil }
        var statistics = FieldStatistics.empty
        var sketch = QuantileSketch()
        for sample in samples {
            statistics.add(sample)
            sketch.add(sample)
        }
        return MergeablePoint(statistics: statistics, sketch: sketch)
    }

    static func series(_ minutes: [[Double]], _ statistic: PointStatistic) -> RenderSeries {
        RenderSeries(
            name: "app.web.router.service_ms", start: 60, end: 60 + 60 * Int64(minutes.count), step: 60,
            exactPoints: ExactPoints(points: minutes.map(point), statistic: statistic))
    }

    static let statistics: [PointStatistic] = [
        .count, .sum, .sumOfSquares, .minimum, .maximum, .mean, .standardDeviation, .quantile(0.5), .quantile(0.99),
    ]

    @Test("a consolidated step is the statistic of all its raw samples", arguments: statistics)
    func consolidationEqualsRawSummary(statistic: PointStatistic) {
        for seed in UInt64(1)...20 {
            let minutes = Self.minutes(seed: seed, count: 47)
            for valuesPerPoint in [2, 5, 10, 60] {
                let consolidated = Self.series(minutes, statistic).consolidated(valuesPerPoint: valuesPerPoint)
                #expect(consolidated.step == 60 * Int64(valuesPerPoint))
                let expected = stride(from: 0, to: minutes.count, by: valuesPerPoint).map { start in
                    Self.point(Array(minutes[start..<min(minutes.count, start + valuesPerPoint)].joined()))?
                        .value(of: statistic)
                }
                #expect(consolidated.values == expected)
                #expect(consolidated.exactPoints != nil)
            }
        }
    }

    @Test("consolidating twice equals consolidating once by the product", arguments: statistics)
    func associative(statistic: PointStatistic) {
        for seed in UInt64(21)...40 {
            let series = Self.series(Self.minutes(seed: seed, count: 60), statistic)
            let twice = series.consolidated(valuesPerPoint: 2).consolidated(valuesPerPoint: 5)
            let once = series.consolidated(valuesPerPoint: 10)
            #expect(twice.values == once.values)
            #expect(twice.exactPoints == once.exactPoints)
        }
    }

    @Test("a p99 is never averaged: quantiles come from the merged sketch")
    func quantilesFromMergedSketches() {
        // Nine quiet minutes and one slow one: the average of per-minute p99s would be about 109, the p99 of the
        // ten minutes together lies among the slow minute's samples.
        let quiet = Array(repeating: Array(repeating: 10.0, count: 100), count: 9)
        let slow = [Array(repeating: 1000.0, count: 100)]
        let series = Self.series(quiet + slow, .quantile(0.99))
        let consolidated = series.consolidated(valuesPerPoint: 10)
        let p99 = consolidated.values[0]!
        #expect(abs(p99 - 1000) <= 1000 * QuantileSketch.relativeAccuracy)
        var plain = series
        plain.values = series.values
        #expect(plain.exactPoints == nil)
        #expect(abs(plain.consolidated(valuesPerPoint: 10).values[0]! - 109) < 2)
    }

    @Test("maxDataPoints and summarize merge exactly; consolidateBy and transforms return to values")
    func pathsThroughFunctions() throws {
        let minutes: [[Double]] = [[1, 1, 1, 1], [10], [], [4, 8]]
        let exact = Self.series(minutes, .mean)
        let rendered = RenderConsolidation.consolidate([exact], maxDataPoints: 1)
        #expect(rendered[0].values == [26.0 / 7])
        let context = RenderContext(from: 0, until: 300, now: 1000)
        let evaluate = { (target: String) throws -> [RenderSeries] in
            try TargetEvaluator(context: context) { (_: FetchRequest) throws(QueryError) in [exact] }
                .evaluate(TargetExpression.parse(target))
        }
        let summarized = try evaluate("summarize(x, '4min', 'avg', true)")[0]
        #expect(summarized.values == [26.0 / 7])
        #expect(summarized.exactPoints != nil)
        #expect(try evaluate("summarize(x, '4min', 'max', true)")[0].values == [10])
        let byValue = try evaluate("consolidateBy(x, 'average')")[0]
        #expect(byValue.exactPoints == nil)
        #expect(RenderConsolidation.consolidate([byValue], maxDataPoints: 1)[0].values == [(1 + 10 + 6) / 3.0])
        #expect(try evaluate("scale(x, 1)")[0].exactPoints == nil)
        #expect(try evaluate("alias(x, 'y')")[0].exactPoints != nil)
        #expect(try evaluate("timeShift(x, '1min')")[0].exactPoints != nil)
    }

    @Test("event counts add up")
    func eventCounts() {
        let series = RenderSeries(
            name: "app.web.router.status.5xx", start: 0, end: 180, step: 60,
            exactPoints: ExactPoints(
                points: [MergeablePoint(eventCount: 3), MergeablePoint(eventCount: 0), nil], statistic: .count))
        #expect(series.values == [3, 0, nil])
        #expect(series.consolidated(valuesPerPoint: 3).values == [3])
        #expect(MergeablePoint(eventCount: 0).value(of: .maximum) == nil)
    }
}

/// graphite-web's JSON renderer: maxDataPoints buckets and the nudge that aligns them across refreshes.
@Suite("RenderConsolidation")
struct RenderConsolidationTests {
    static func series(start: Int64, count: Int) -> RenderSeries {
        RenderSeries(
            name: "a", start: start, end: start + 60 * Int64(count), step: 60, values: (1...count).map { Double($0) })
    }

    @Test("buckets of ceil(points / maxDataPoints), start nudged to the bucket grid")
    func nudge() {
        let result = RenderConsolidation.consolidate([Self.series(start: 1020, count: 10)], maxDataPoints: 4)[0]
        #expect(result.start == 1080)
        #expect(result.step == 180)
        #expect(result.values == [2, 5, 8, 10])
        #expect(result.datapoints.map(\.timestamp) == [1080, 1260, 1440, 1620])
    }

    @Test("a nudge over several steps drops one value fewer than the steps it moves")
    func nudgeDrops() {
        let result = RenderConsolidation.consolidate([Self.series(start: 1020, count: 10)], maxDataPoints: 2)[0]
        #expect(result.start == 1200)
        #expect(result.step == 300)
        #expect(result.values == [5, 9])
        #expect(result.datapoints.map(\.timestamp) == [1200, 1500])
    }

    @Test("series within maxDataPoints stay; maxDataPoints 1 makes one point")
    func limits() {
        let series = Self.series(start: 1020, count: 10)
        #expect(RenderConsolidation.consolidate([series], maxDataPoints: 10)[0] == series)
        #expect(RenderConsolidation.consolidate([series], maxDataPoints: 1)[0].values == [5.5])
    }

    @Test("noNullPoints leaves out nil and NaN points and empty series")
    func noNullPoints() {
        let gappy = RenderSeries(name: "g", start: 0, end: 180, step: 60, values: [1, nil, .nan])
        let empty = RenderSeries(name: "e", start: 0, end: 120, step: 60, values: [nil, nil])
        let result = RenderConsolidation.datapoints([gappy, empty], maxDataPoints: nil, noNullPoints: true)
        #expect(result.count == 1)
        #expect(result[0].datapoints.map(\.timestamp) == [0])
        let all = RenderConsolidation.datapoints([gappy, empty], maxDataPoints: nil, noNullPoints: false)
        #expect(all.map(\.datapoints.count) == [3, 2])
    }

    @Test("whisper's fetch window starts after from's step and includes until's")
    func fetchWindow() {
        #expect(RenderSeries.fetchWindow(from: 1000, until: 1600, now: 5000, step: 60)! == (1020, 1620))
        #expect(RenderSeries.fetchWindow(from: 960, until: 1600, now: 1500, step: 60)! == (1020, 1560))
        #expect(RenderSeries.fetchWindow(from: 1000, until: 1010, now: 5000, step: 60)! == (1020, 1080))
        #expect(RenderSeries.fetchWindow(from: 6000, until: 7000, now: 5000, step: 60) == nil)
    }
}

@Suite("PythonNumberFormat")
struct PythonNumberFormatTests {
    static let reprCases: [(value: Double, expected: String)] = [
        (2.0, "2.0"), (100, "100.0"), (0.5, "0.5"), (-1.5, "-1.5"), (1e16, "1e+16"), (1e15, "1000000000000000.0"),
        (0.0001, "0.0001"), (0.00001, "1e-05"), (0, "0.0"), (1.0 / 3, "0.3333333333333333"), (.infinity, "inf"),
        (123.456, "123.456"), (2.5e-7, "2.5e-07"),
    ]

    @Test("repr", arguments: reprCases)
    func repr(value: Double, expected: String) {
        #expect(PythonNumberFormat.repr(value) == expected)
    }

    static let gCases: [(value: Double, expected: String)] = [
        (2.0, "2"), (1_000_000, "1e+06"), (999_999, "999999"), (1_234_567, "1.23457e+06"), (0.5, "0.5"),
        (-1.5, "-1.5"), (0.0001, "0.0001"), (0.00001, "1e-05"), (0, "0"), (1.0 / 3, "0.333333"),
        (999_999.5, "1e+06"), (2.5e-7, "2.5e-07"),
    ]

    @Test("%g", arguments: gCases)
    func g(value: Double, expected: String) {
        #expect(PythonNumberFormat.g(value) == expected)
    }
}
