/// The statistics Graphite paths name, and their path segments.
extension PointStatistic {
    /// The statistics every field offers.
    package static let plain: [PointStatistic] = [.count, .sum, .minimum, .maximum, .mean, .standardDeviation]
    /// The quantiles a sketched field offers.
    package static let quantiles: [PointStatistic] = [.quantile(0.5), .quantile(0.95), .quantile(0.99)]

    /// The path segment: `count`, `sum`, `min`, `max`, `mean`, `stddev`, `p50`, `p95`, `p99` (and
    /// `sum_of_squares`, which no path offers).
    package var segment: String {
        switch self {
        case .count: "count"
        case .sum: "sum"
        case .sumOfSquares: "sum_of_squares"
        case .minimum: "min"
        case .maximum: "max"
        case .mean: "mean"
        case .standardDeviation: "stddev"
        case .quantile(let rank): "p\(Int((rank * 100).rounded()))"
        }
    }
}

/// What one Graphite path reads from the summaries of its series: a statistic of a field, or one event count.
package enum SummaryReading: Hashable, Sendable {
    case field(String, PointStatistic)
    /// A `Summary.counts` entry (`status_5xx`, `H12`): 0 in a window whose summary does not count it.
    case eventCount(String)

    /// The statistic a series of this reading plots: the field's statistic, or the count of events.
    package var statistic: PointStatistic {
        switch self {
        case .field(_, let statistic): statistic
        case .eventCount: .count
        }
    }

    /// The mergeable point this reading takes from one stored summary: the field's statistics and sketch (none
    /// when the minute saw no value of it), or its events as a count. Merging the points of several minutes and
    /// reading ``statistic`` gives the exact value over all of them: counts and sums add, minimum of minimums,
    /// maximum of maximums, mean = sum / count, quantiles from the merged sketch.
    package func point(of summary: Summary) -> MergeablePoint {
        switch self {
        case .field(let name, _):
            MergeablePoint(statistics: summary.fields[name] ?? .empty, sketch: summary.sketches[name])
        case .eventCount(let name):
            MergeablePoint(eventCount: summary.counts[name] ?? 0)
        }
    }
}

/// One stored series: the rows of one (type, process type, metric) of an owner.
package struct StoredSeries: Hashable, Sendable, Comparable {
    package var type: MeasurementType
    package var processType: String
    package var metric: String

    package init(type: MeasurementType, processType: String, metric: String) {
        self.type = type
        self.processType = processType
        self.metric = metric
    }

    package static func < (lhs: StoredSeries, rhs: StoredSeries) -> Bool {
        (lhs.type.rawValue, lhs.processType, lhs.metric) < (rhs.type.rawValue, rhs.processType, rhs.metric)
    }
}

/// What a Graphite path stands for: a reading of one stored series of one owner.
package struct SeriesSource: Hashable, Sendable {
    /// The owner's id (app UUID or tenant id), as stored.
    package var owner: String
    package var series: StoredSeries
    package var reading: SummaryReading

    package init(owner: String, series: StoredSeries, reading: SummaryReading) {
        self.owner = owner
        self.series = series
        self.reading = reading
    }
}

/// Which parts of stored summaries a read uses, so that a store reads no more: the statistics of some fields, the
/// sketches (quantiles only), the event counts, the platform events' log. What a read leaves out stays empty in the
/// summaries it gets.
package struct SummaryParts: Hashable, Sendable {
    /// The fields whose statistics are read; nil for every field.
    package var fields: Set<String>?
    package var sketches: Bool
    package var counts: Bool
    package var platformEvents: Bool

    package init(fields: Set<String>?, sketches: Bool, counts: Bool, platformEvents: Bool) {
        self.fields = fields
        self.sketches = sketches
        self.counts = counts
        self.platformEvents = platformEvents
    }

    /// Every part of a summary.
    package static let everything = SummaryParts(fields: nil, sketches: true, counts: true, platformEvents: true)

    /// What `readings` take from a summary (``SummaryReading/point(of:)``): a field's statistics for each field
    /// reading, its sketch only for a quantile, the counts for an event count.
    package init(readings: some Sequence<SummaryReading>) {
        self.init(fields: [], sketches: false, counts: false, platformEvents: false)
        for reading in readings {
            switch reading {
            case .field(let name, let statistic):
                fields?.insert(name)
                if case .quantile = statistic { sketches = true }
            case .eventCount:
                counts = true
            }
        }
    }

    /// Whether the statistics of `field` are read.
    package func includes(field: String) -> Bool {
        fields?.contains(field) ?? true
    }
}
