/// Seconds measured by a benchmark, one sample per round (or per connection), and the figures reported from them.
package struct TimeSamples: Sendable, Equatable {
    /// The samples in the order they were recorded.
    package private(set) var seconds: [Double]

    package init(_ seconds: [Double] = []) {
        self.seconds = seconds
    }

    package mutating func record(_ seconds: Double) {
        self.seconds.append(seconds)
    }

    package var count: Int { seconds.count }

    /// The fastest sample: the one least disturbed by other work on the machine.
    package var best: Double? { seconds.min() }

    /// The middle sample, or the mean of the two middle ones of an even count.
    package var median: Double? {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return nil }
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }

    /// The sample at index ⌊n · percent / 100⌋ of the ascending order, at most the last one.
    package func percentile(_ percent: Int) -> Double? {
        let sorted = seconds.sorted()
        guard !sorted.isEmpty else { return nil }
        return sorted[min(sorted.count - 1, sorted.count * percent / 100)]
    }
}

/// Throughput figures of benchmarks: a count per second, and one rate as a multiple of a baseline's.
package enum Throughput {
    /// `count` items in `seconds`, per second.
    package static func rate(_ count: Int, in seconds: Double) -> Double {
        Double(count) / seconds
    }

    /// How many times `rate` is the `baseline` rate.
    package static func ratio(_ rate: Double, to baseline: Double) -> Double {
        rate / baseline
    }
}
