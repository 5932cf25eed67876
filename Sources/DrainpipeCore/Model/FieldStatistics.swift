/// Count, sum, sum of squares, minimum and maximum of one numeric field: an exactly mergeable summary.
package struct FieldStatistics: Sendable, Hashable {
    package var count: UInt64
    package var sum: Double
    package var sumOfSquares: Double
    package var minimum: Double
    package var maximum: Double

    /// The statistics of no values; the identity of `merge(_:)`.
    package static let empty = FieldStatistics(
        count: 0, sum: 0, sumOfSquares: 0, minimum: .infinity, maximum: -.infinity)

    package init(count: UInt64, sum: Double, sumOfSquares: Double, minimum: Double, maximum: Double) {
        self.count = count
        self.sum = sum
        self.sumOfSquares = sumOfSquares
        self.minimum = minimum
        self.maximum = maximum
    }

    /// The statistics of a single value.
    package init(value: Double) {
        self.init(count: 1, sum: value, sumOfSquares: value * value, minimum: value, maximum: value)
    }

    package mutating func add(_ value: Double) {
        count += 1
        sum += value
        sumOfSquares += value * value
        minimum = Swift.min(minimum, value)
        maximum = Swift.max(maximum, value)
    }

    package mutating func merge(_ other: FieldStatistics) {
        count += other.count
        sum += other.sum
        sumOfSquares += other.sumOfSquares
        minimum = Swift.min(minimum, other.minimum)
        maximum = Swift.max(maximum, other.maximum)
    }

    package func merging(_ other: FieldStatistics) -> FieldStatistics {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// The arithmetic mean, or nil without values.
    package var mean: Double? { count == 0 ? nil : sum / Double(count) }

    /// The population standard deviation, or nil without values.
    package var standardDeviation: Double? {
        guard let mean else { return nil }
        return (Swift.max(0, sumOfSquares / Double(count) - mean * mean)).squareRoot()
    }
}
