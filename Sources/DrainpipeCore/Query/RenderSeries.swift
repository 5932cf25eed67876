/// One series of a render result, shaped like graphite-web's `TimeSeries`: a name, tags, a fixed step and one value
/// (or nil) per step from `start`; `end` is exclusive as graphite-web stores it.
///
/// A series read from the store can also carry its exact per-step summaries (``exactPoints``). Consolidating such a
/// series (maxDataPoints, `summarize` with the statistic's own aggregate, normalising to a coarser step) merges the
/// summaries and reads the statistic again, so a p99 of ten minutes is the p99 of their merged sketch, never an
/// average of p99s. Assigning ``values`` (any function that computes new values) drops the exact points.
package struct RenderSeries: Sendable, Hashable {
    /// graphite's target name: the path, or the function form such as `sumSeries(a.*.b)`.
    package var name: String
    /// graphite 1.1's tags; a fetched series has `name` set to its path.
    package var tags: [String: String]
    /// The path expression the series came from, or its name once a function renamed it.
    package var pathExpression: String
    /// Seconds since the epoch of the first value.
    package var start: Int64
    /// Seconds since the epoch just past the last step (graphite's exclusive end).
    package var end: Int64
    /// Seconds per value; positive.
    package var step: Int64
    /// One value per step; nil where there is no data.
    package var values: [Double?] {
        didSet { exactPoints = nil }
    }
    /// The exact summaries behind ``values``, while they still describe them.
    package private(set) var exactPoints: ExactPoints?
    /// How graphite combines this series' values into coarser steps when no exact points remain.
    package var consolidation: ConsolidationFunction
    /// The least fraction of non-nil values a consolidated step needs to be non-nil (graphite's xFilesFactor).
    package var xFilesFactor: Double

    /// A series of plain values; `tags` defaults to graphite's `["name": name]`.
    package init(
        name: String, tags: [String: String]? = nil, pathExpression: String? = nil, start: Int64, end: Int64,
        step: Int64, values: [Double?], consolidation: ConsolidationFunction = .average, xFilesFactor: Double = 0
    ) {
        precondition(step > 0, "a series needs a positive step")
        self.name = name
        self.tags = tags ?? ["name": name]
        self.pathExpression = pathExpression ?? name
        self.start = start
        self.end = end
        self.step = step
        self.values = values
        self.exactPoints = nil
        self.consolidation = consolidation
        self.xFilesFactor = xFilesFactor
    }

    /// A series whose values are `statistic` read from exact summaries, one per step (nil where there is none).
    package init(
        name: String, tags: [String: String]? = nil, pathExpression: String? = nil, start: Int64, end: Int64,
        step: Int64, exactPoints: ExactPoints, xFilesFactor: Double = 0
    ) {
        self.init(
            name: name, tags: tags, pathExpression: pathExpression, start: start, end: end, step: step,
            values: exactPoints.values, xFilesFactor: xFilesFactor)
        self.exactPoints = exactPoints
    }

    /// The series with graphite's value consolidation only: what `consolidateBy` asks for.
    package mutating func dropExactPoints() { exactPoints = nil }

    /// Replaces the values with the statistic read from new exact points, which the series keeps.
    mutating func setExactPoints(_ points: ExactPoints) {
        values = points.values
        exactPoints = points
    }

    /// The window graphite-web's whisper reader returns for a fetch of `from…until` at `step`, both in seconds:
    /// the first step strictly after `from`'s step, through `until`'s step inclusive (at least one step), with
    /// `until` clamped to `now`. Nil when `from` is after `now` (whisper returns no data then). `end` is exclusive.
    package static func fetchWindow(from: Int64, until: Int64, now: Int64, step: Int64) -> (start: Int64, end: Int64)? {
        precondition(step > 0, "a fetch needs a positive step")
        guard from <= now else { return nil }
        let clampedUntil = min(until, now)
        let start = floorDivide(from, step) * step + step
        var end = floorDivide(clampedUntil, step) * step + step
        if end == start { end += step }
        return (start, max(start, end))
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }

    /// graphite's `(value, timestamp)` pairs: the values at `start`, `start + step`, … up to and including `end`.
    package var datapoints: [(value: Double?, timestamp: Int64)] {
        guard end >= start else { return [] }
        let count = min(values.count, Int((end - start) / step) + 1)
        return (0..<count).map { (values[$0], start + Int64($0) * step) }
    }

    // MARK: - Consolidation

    /// The series with every `valuesPerPoint` consecutive values (from the first, the last group possibly short)
    /// combined into one, its step multiplied by as much: exactly by merging summaries while exact points remain,
    /// else by ``consolidation``. A group is nil when its share of non-nil values is below ``xFilesFactor``.
    package func consolidated(valuesPerPoint: Int) -> RenderSeries {
        guard valuesPerPoint > 1 else { return self }
        var result = self
        result.step = step * Int64(valuesPerPoint)
        if let exactPoints {
            result.setExactPoints(exactPoints.consolidated(valuesPerPoint: valuesPerPoint, xFilesFactor: xFilesFactor))
        } else {
            result.values = Self.consolidate(
                values, valuesPerPoint: valuesPerPoint, function: consolidation, xFilesFactor: xFilesFactor)
        }
        return result
    }

    static func consolidate(
        _ values: [Double?], valuesPerPoint: Int, function: ConsolidationFunction, xFilesFactor: Double
    ) -> [Double?] {
        var result: [Double?] = []
        result.reserveCapacity((values.count + valuesPerPoint - 1) / valuesPerPoint)
        var groupStart = 0
        var buffer: [Double] = []
        buffer.reserveCapacity(valuesPerPoint)
        while groupStart < values.count {
            let group = values[groupStart..<min(values.count, groupStart + valuesPerPoint)]
            buffer.removeAll(keepingCapacity: true)
            var nonNil = 0
            for value in group {
                if let value {
                    buffer.append(value)
                    nonNil += 1
                } else if function == .averageZero {
                    buffer.append(0)
                }
            }
            if nonNil > 0, Double(nonNil) / Double(valuesPerPoint) >= xFilesFactor {
                result.append(function.apply(buffer))
            } else {
                result.append(nil)
            }
            groupStart += valuesPerPoint
        }
        return result
    }
}

/// graphite's per-series consolidation functions (`consolidateBy`'s options).
package enum ConsolidationFunction: String, Sendable, Hashable, CaseIterable {
    case sum
    case average
    /// `avg_zero`: an average that counts nil as 0.
    case averageZero = "avg_zero"
    case min
    case max
    case first
    case last

    /// The function a graphite name stands for: its cases plus `avg` for `average`.
    package init?(graphiteName: String) {
        if graphiteName == "avg" {
            self = .average
        } else {
            self.init(rawValue: graphiteName)
        }
    }

    /// Combines a non-empty list of values.
    func apply(_ values: [Double]) -> Double {
        switch self {
        case .sum: return values.reduce(0, +)
        case .average, .averageZero: return values.reduce(0, +) / Double(values.count)
        case .min: return values.dropFirst().reduce(values[0]) { Swift.min($0, $1) }
        case .max: return values.dropFirst().reduce(values[0]) { Swift.max($0, $1) }
        case .first: return values[0]
        case .last: return values[values.count - 1]
        }
    }
}

/// The exactly mergeable summary of one step: the statistics of a field, and its quantile sketch when it has one.
///
/// An event count (a status class, an error code) is a point whose `count` is the number of events, each of value 1:
/// ``init(eventCount:)``.
package struct MergeablePoint: Sendable, Hashable {
    package var statistics: FieldStatistics
    package var sketch: QuantileSketch?

    package init(statistics: FieldStatistics, sketch: QuantileSketch? = nil) {
        self.statistics = statistics
        self.sketch = sketch
    }

    /// `count` events of value 1 (zero events too).
    package init(eventCount count: UInt64) {
        self.init(
            statistics: FieldStatistics(
                count: count, sum: Double(count), sumOfSquares: Double(count), minimum: count > 0 ? 1 : .infinity,
                maximum: count > 0 ? 1 : -.infinity))
    }

    /// Adds the other step's values; associative and commutative, like the summaries it holds.
    package mutating func merge(_ other: MergeablePoint) {
        statistics.merge(other.statistics)
        if let otherSketch = other.sketch {
            if sketch == nil {
                sketch = otherSketch
            } else {
                sketch!.merge(otherSketch)
            }
        }
    }

    package func merging(_ other: MergeablePoint) -> MergeablePoint {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// The statistic's value, or nil when the step has no values for it (no sketch for a quantile, no values for
    /// anything but count, sum and sum of squares).
    package func value(of statistic: PointStatistic) -> Double? {
        let hasValues = statistics.count > 0
        switch statistic {
        case .count: return Double(statistics.count)
        case .sum: return statistics.sum
        case .sumOfSquares: return statistics.sumOfSquares
        case .minimum: return hasValues ? statistics.minimum : nil
        case .maximum: return hasValues ? statistics.maximum : nil
        case .mean: return statistics.mean
        case .standardDeviation: return statistics.standardDeviation
        case .quantile(let q): return sketch?.quantile(q)
        }
    }
}

/// Which number of a ``MergeablePoint`` a series plots.
package enum PointStatistic: Sendable, Hashable {
    /// How many values (or events) the step saw.
    case count
    case sum
    case sumOfSquares
    case minimum
    case maximum
    /// sum / count.
    case mean
    /// The population standard deviation, from count, sum and sum of squares.
    case standardDeviation
    /// The quantile `q` (0…1, e.g. 0.99 for p99) from the step's sketch, within the sketch's 1 % relative error.
    case quantile(Double)

    /// The graphite aggregation whose result on this statistic's per-step values the exact merge replaces: `sum` for
    /// additive statistics, `min`/`max` for extremes, `average` for means, deviations and quantiles. `summarize`
    /// merges exactly only when asked for this aggregation.
    package var naturalAggregation: AggregationFunction {
        switch self {
        case .count, .sum, .sumOfSquares: .sum
        case .minimum: .min
        case .maximum: .max
        case .mean, .standardDeviation, .quantile: .average
        }
    }
}

/// Per-step exact summaries and the statistic read from them.
package struct ExactPoints: Sendable, Hashable {
    /// One entry per step; nil where the step has no data.
    package var points: [MergeablePoint?]
    package var statistic: PointStatistic

    package init(points: [MergeablePoint?], statistic: PointStatistic) {
        self.points = points
        self.statistic = statistic
    }

    /// The statistic of every step.
    package var values: [Double?] { points.map { $0?.value(of: statistic) } }

    /// Every `valuesPerPoint` consecutive steps merged into one (the last group possibly short); a group is nil
    /// when its share of steps with data is below `xFilesFactor` or it has none.
    package func consolidated(valuesPerPoint: Int, xFilesFactor: Double) -> ExactPoints {
        guard valuesPerPoint > 1 else { return self }
        var merged: [MergeablePoint?] = []
        merged.reserveCapacity((points.count + valuesPerPoint - 1) / valuesPerPoint)
        var groupStart = 0
        while groupStart < points.count {
            let group = points[groupStart..<min(points.count, groupStart + valuesPerPoint)]
            merged.append(Self.merge(group, denominator: valuesPerPoint, xFilesFactor: xFilesFactor))
            groupStart += valuesPerPoint
        }
        return ExactPoints(points: merged, statistic: statistic)
    }

    /// The merge of the steps with data, or nil when their share of `denominator` is below `xFilesFactor`.
    static func merge(
        _ group: some Collection<MergeablePoint?>, denominator: Int, xFilesFactor: Double
    ) -> MergeablePoint? {
        var result: MergeablePoint?
        var nonNil = 0
        for case let point? in group {
            nonNil += 1
            if result == nil { result = point } else { result!.merge(point) }
        }
        guard nonNil > 0, Double(nonNil) / Double(denominator) >= xFilesFactor else { return nil }
        return result
    }
}
