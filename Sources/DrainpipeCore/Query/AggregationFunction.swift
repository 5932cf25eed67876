/// graphite-web's aggregation functions (`aggFunc` arguments: `sumSeries`, `summarize`, `highest`, `groupByNode`…),
/// each ignoring nil values as graphite's "safe" functions do.
package enum AggregationFunction: String, Sendable, Hashable, CaseIterable {
    case average
    /// `avg_zero`: nil counts as 0.
    case averageZero = "avg_zero"
    case median
    case sum
    case min
    case max
    /// The first value minus all later ones.
    case diff
    /// The population standard deviation.
    case stddev
    /// How many values are not nil.
    case count
    /// max − min.
    case range
    /// The product, nil if any value is nil.
    case multiply
    /// The last non-nil value.
    case last

    /// graphite's other names for some functions.
    static let aliases: [String: AggregationFunction] = [
        "rangeOf": .range, "avg": .average, "total": .sum, "current": .last,
    ]

    /// Every name graphite accepts, in its order: the functions, then the aliases.
    package static let graphiteNames: [String] =
        allCases.map(\.rawValue) + ["rangeOf", "avg", "total", "current"]

    /// The function a graphite name (or alias) stands for.
    package init?(graphiteName: String) {
        if let function = AggregationFunction(rawValue: graphiteName) ?? Self.aliases[graphiteName] {
            self = function
        } else {
            return nil
        }
    }

    /// Applies the function to one row or window of values, nil where graphite returns None.
    package func apply(_ values: some Collection<Double?>) -> Double? {
        switch self {
        case .averageZero:
            guard !values.isEmpty else { return nil }
            return values.reduce(0) { $0 + ($1 ?? 0) } / Double(values.count)
        case .multiply:
            guard !values.isEmpty else { return nil }
            var product = 1.0
            for value in values {
                guard let value else { return nil }
                product *= value
            }
            return product
        case .average, .sum:
            var sum = 0.0
            var count = 0
            for case let value? in values {
                sum += value
                count += 1
            }
            guard count > 0 else { return nil }
            return self == .sum ? sum : sum / Double(count)
        case .min, .max, .last:
            var result: Double?
            for case let value? in values {
                if let current = result {
                    result = self == .min ? Swift.min(current, value) : self == .max ? Swift.max(current, value) : value
                } else {
                    result = value
                }
            }
            return result
        case .count:
            return Double(values.count { $0 != nil })
        case .median, .diff, .stddev, .range:
            return apply(nonNil: values.compactMap { $0 })
        }
    }

    private func apply(nonNil values: [Double]) -> Double? {
        if self == .count { return Double(values.count) }
        guard let first = values.first else { return nil }
        switch self {
        case .average: return values.reduce(0, +) / Double(values.count)
        case .sum: return values.reduce(0, +)
        case .min: return values.dropFirst().reduce(first) { Swift.min($0, $1) }
        case .max: return values.dropFirst().reduce(first) { Swift.max($0, $1) }
        case .last: return values[values.count - 1]
        case .diff: return values.dropFirst().reduce(0 + first) { $0 + -$1 }
        case .range:
            return values.dropFirst().reduce(first) { Swift.max($0, $1) }
                - values.dropFirst().reduce(first) { Swift.min($0, $1) }
        case .median:
            let sorted = values.sorted()
            let middle = sorted.count / 2
            return sorted.count % 2 == 0 ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
        case .stddev:
            let mean = values.reduce(0, +) / Double(values.count)
            var squares = 0.0
            for value in values { squares += (value - mean) * (value - mean) }
            return (squares / Double(values.count)).squareRoot()
        case .count, .averageZero, .multiply: return nil
        }
    }
}
