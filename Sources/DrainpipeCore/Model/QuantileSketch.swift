/// A mergeable quantile sketch: every quantile it reports lies within 1 % of the true value (relative error).
///
/// The design is DDSketch's: a positive value goes to a logarithmic bucket whose upper bound is at most
/// `(1 + α) / (1 − α)` times its lower bound, with α = `relativeAccuracy`; a quantile reads the bucket holding the
/// value of that rank and returns the point of the bucket that is within α of everything in it. Buckets are counts
/// keyed by an integer index, so merging adds counts index by index: exactly associative and commutative, the same
/// whatever the order or grouping of the merges.
///
/// The index uses DDSketch's cubically interpolated logarithm (binary exponent plus a cubic of the significand), so
/// it needs no `log` and costs a few multiplications. Values below `smallestPositive`, zero, negative values and NaN
/// count as zero: the sketch is meant for non-negative timings. Memory is 12 bytes per occupied bucket; a bucket
/// spans 2 %, so about 35 buckets cover a doubling (1 ms…30 s: at most about 520).
package struct QuantileSketch: Sendable, Hashable {
    /// The bound on the relative error of every quantile: 1 %.
    package static let relativeAccuracy = 0.01
    /// Smaller values count as zero.
    package static let smallestPositive = 1e-9

    /// Values counted as zero.
    package private(set) var zeroCount: UInt64 = 0
    /// Occupied bucket indices, ascending; `bucketCounts[i]` belongs to `bucketIndices[i]`.
    package private(set) var bucketIndices: [Int32] = []
    package private(set) var bucketCounts: [UInt64] = []

    /// An empty sketch.
    package init() {}

    /// A sketch from its parts; nil unless the indices ascend strictly and every bucket count is positive.
    package init?(zeroCount: UInt64, bucketIndices: [Int32], bucketCounts: [UInt64]) {
        guard bucketIndices.count == bucketCounts.count, !bucketCounts.contains(0),
            zip(bucketIndices, bucketIndices.dropFirst()).allSatisfy({ $0 < $1 }),
            bucketIndices.allSatisfy(Self.possibleIndices.contains),
            Self.total(zeroCount: zeroCount, bucketCounts: bucketCounts) != nil
        else { return nil }
        self.zeroCount = zeroCount
        self.bucketIndices = bucketIndices
        self.bucketCounts = bucketCounts
    }

    /// How many values were added.
    package var count: UInt64 { bucketCounts.reduce(zeroCount, +) }

    /// The buckets `add` can produce; decoded sketches with others are refused, so quantiles never trap.
    private static let possibleIndices = index(of: smallestPositive)...index(of: .greatestFiniteMagnitude)

    /// The most values a decoded sketch may claim: far above any window's, and low enough that merging every
    /// one-minute sketch of years cannot overflow a count.
    private static let maximumDecodedCount: UInt64 = 1 << 40

    /// The number of values, or nil when it passes `maximumDecodedCount`.
    private static func total(zeroCount: UInt64, bucketCounts: [UInt64]) -> UInt64? {
        var total = zeroCount
        for count in bucketCounts {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { return nil }
            total = sum
        }
        return total <= maximumDecodedCount ? total : nil
    }

    package var isEmpty: Bool { zeroCount == 0 && bucketIndices.isEmpty }

    /// Bytes held on the heap for the buckets (capacity, not just count).
    package var heapBytes: Int {
        bucketIndices.capacity * MemoryLayout<Int32>.stride + bucketCounts.capacity * MemoryLayout<UInt64>.stride
    }

    // MARK: - Adding and merging

    /// Adds one value. O(log b) to find its bucket among b occupied buckets, O(b) when the bucket is new.
    package mutating func add(_ value: Double) {
        guard value >= Self.smallestPositive else {
            zeroCount += 1
            return
        }
        let index = Self.index(of: value)
        // Values mostly repeat recent buckets: check the last one before searching.
        if let last = bucketIndices.last {
            if last == index {
                bucketCounts[bucketCounts.count - 1] += 1
                return
            }
            if last < index {
                bucketIndices.append(index)
                bucketCounts.append(1)
                return
            }
        }
        let position = insertionPoint(of: index)
        if position < bucketIndices.count, bucketIndices[position] == index {
            bucketCounts[position] += 1
        } else {
            bucketIndices.insert(index, at: position)
            bucketCounts.insert(1, at: position)
        }
    }

    /// Adds every value of `other`; the result is the sketch of both sets of values.
    package mutating func merge(_ other: QuantileSketch) {
        zeroCount += other.zeroCount
        guard !other.bucketIndices.isEmpty else { return }
        guard !bucketIndices.isEmpty else {
            bucketIndices = other.bucketIndices
            bucketCounts = other.bucketCounts
            return
        }
        var indices: [Int32] = []
        var counts: [UInt64] = []
        indices.reserveCapacity(bucketIndices.count + other.bucketIndices.count)
        counts.reserveCapacity(indices.capacity)
        var left = 0
        var right = 0
        while left < bucketIndices.count || right < other.bucketIndices.count {
            let takeLeft =
                right == other.bucketIndices.count
                || (left < bucketIndices.count && bucketIndices[left] <= other.bucketIndices[right])
            let takeRight =
                left == bucketIndices.count
                || (right < other.bucketIndices.count && other.bucketIndices[right] <= bucketIndices[left])
            indices.append(takeLeft ? bucketIndices[left] : other.bucketIndices[right])
            counts.append((takeLeft ? bucketCounts[left] : 0) + (takeRight ? other.bucketCounts[right] : 0))
            if takeLeft { left += 1 }
            if takeRight { right += 1 }
        }
        bucketIndices = indices
        bucketCounts = counts
    }

    package func merging(_ other: QuantileSketch) -> QuantileSketch {
        var copy = self
        copy.merge(other)
        return copy
    }

    // MARK: - Quantiles

    /// The value of rank ⌊q·(n−1)⌋ among the n values added (0-based, ascending), within `relativeAccuracy` of it;
    /// nil for an empty sketch. `q` is clamped to 0…1. O(b) over the occupied buckets.
    package func quantile(_ q: Double) -> Double? {
        let total = count
        guard total > 0 else { return nil }
        let clamped = q.isNaN ? 0 : Swift.min(1, Swift.max(0, q))
        let rank = (clamped * Double(total - 1)).rounded(.down)
        var seen = Double(zeroCount)
        if seen > rank { return 0 }
        for (index, bucketCount) in zip(bucketIndices, bucketCounts) {
            seen += Double(bucketCount)
            if seen > rank { return Self.representative(ofBucket: index) }
        }
        return bucketIndices.last.map(Self.representative(ofBucket:))
    }

    // MARK: - Index mapping

    // The cubic P(s) = A s³ + B s² + C s approximates log2(1 + s) on [0, 1), with P(0) = 0 and P(1) = 1. The
    // smallest value of P'(s)·(1 + s) there is C = 10/7, so one index step spans at most a factor
    // exp(1 / (multiplier · 10/7)) = γ in value.
    private static let cubicA = 6.0 / 35
    private static let cubicB = -3.0 / 5
    private static let cubicC = 10.0 / 7

    /// ln γ with γ = (1 + α) / (1 − α): 2·atanh(α), from its series (no `log` in the standard library).
    private static let logGamma: Double = {
        var term = relativeAccuracy
        var sum = 0.0
        var power = 1.0
        for _ in 0..<8 {
            sum += term / power
            term *= relativeAccuracy * relativeAccuracy
            power += 2
        }
        return 2 * sum
    }()

    /// Index steps per unit of the approximate base-2 logarithm.
    private static let multiplier = 1 / (cubicC * logGamma)

    /// The approximate base-2 logarithm of a positive finite value: its exponent plus the cubic of its significand.
    private static func approximateLog2(_ value: Double) -> Double {
        let s = value.significand - 1
        return Double(value.exponent) + ((cubicA * s + cubicB) * s + cubicC) * s
    }

    /// The inverse of `approximateLog2`, by Newton's method on the cubic (monotone, so it converges quickly).
    private static func value(atApproximateLog2 y: Double) -> Double {
        let exponent = y.rounded(.down)
        let target = y - exponent
        var s = target
        for _ in 0..<8 {
            let p = ((cubicA * s + cubicB) * s + cubicC) * s
            let slope = (3 * cubicA * s + 2 * cubicB) * s + cubicC
            s = Swift.min(1, Swift.max(0, s - (p - target) / slope))
        }
        return Double(sign: .plus, exponent: Int(exponent), significand: 1 + s)
    }

    /// The bucket of a value of at least `smallestPositive`: ⌈multiplier · approximateLog2(value)⌉.
    package static func index(of value: Double) -> Int32 {
        let finite = value.isFinite ? value : Double.greatestFiniteMagnitude
        return Int32((approximateLog2(finite) * multiplier).rounded(.up))
    }

    /// The value reported for a bucket: within `relativeAccuracy` of both its bounds, 2·l·u / (l + u).
    package static func representative(ofBucket index: Int32) -> Double {
        let lower = value(atApproximateLog2: Double(index - 1) / multiplier)
        let upper = value(atApproximateLog2: Double(index) / multiplier)
        return 2 * lower * upper / (lower + upper)
    }

    private func insertionPoint(of index: Int32) -> Int {
        var low = 0
        var high = bucketIndices.count
        while low < high {
            let middle = (low + high) / 2
            if bucketIndices[middle] < index { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
