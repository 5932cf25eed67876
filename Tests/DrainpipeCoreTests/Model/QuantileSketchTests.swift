import Testing

@testable import DrainpipeCore

@Suite("QuantileSketch")
struct QuantileSketchTests {
    /// Router-like timings: mostly tens of milliseconds, a long tail to 30 s, some zeros (connect=0ms).
    static func timings(seed: UInt64, count: Int) -> [Double] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let roll = generator.next() % 100
            if roll < 5 { return 0 }
            if roll < 90 { return Double(1 + generator.next() % 200) }
            if roll < 99 { return Double(200 + generator.next() % 5_000) }
            return Double(5_000 + generator.next() % 25_001)
        }
    }

    /// The value of rank ⌊q·(n−1)⌋ in ascending order: what the sketch approximates.
    static func exactQuantile(_ q: Double, of values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
    }

    static func sketch(of values: [Double]) -> QuantileSketch {
        var sketch = QuantileSketch()
        for value in values { sketch.add(value) }
        return sketch
    }

    @Test("median, P95 and P99 lie within 1 % of the exact values", arguments: 0..<20)
    func accuracy(seed: UInt64) throws {
        let values = Self.timings(seed: seed, count: 1 + Int(seed) * 97)
        let sketch = Self.sketch(of: values)
        #expect(sketch.count == UInt64(values.count))
        for q in [0, 0.5, 0.95, 0.99, 1] {
            let exact = Self.exactQuantile(q, of: values)
            let estimate = try #require(sketch.quantile(q))
            #expect(abs(estimate - exact) <= QuantileSketch.relativeAccuracy * exact * (1 + 1e-9), "q=\(q)")
        }
    }

    @Test("every bucket's reported value is within 1 % of every value that falls into it")
    func bucketBounds() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            // Values spread over 1e-9 … 1e12, log-uniformly.
            let value = Double(
                sign: .plus, exponent: Int(generator.next() % 70) - 30,
                significand: 1 + Double(generator.next() % 1_000_000) / 1_000_000)
            let reported = QuantileSketch.representative(ofBucket: QuantileSketch.index(of: value))
            #expect(abs(reported - value) <= QuantileSketch.relativeAccuracy * value * (1 + 1e-9), "value \(value)")
        }
    }

    @Test("zero, negative and NaN values count as zero; an empty sketch has no quantile")
    func zeros() {
        var sketch = QuantileSketch()
        #expect(sketch.quantile(0.5) == nil)
        for value in [0, -3, .nan, 1e-12] { sketch.add(value) }
        #expect(sketch.zeroCount == 4)
        #expect(sketch.quantile(1) == 0)
    }

    @Test("merging is exact: the merge of two parts equals the sketch of the whole, in any order", arguments: 0..<20)
    func mergeIsExact(seed: UInt64) {
        let values = Self.timings(seed: seed + 100, count: 500)
        var generator = SplitMix64(seed: seed)
        let first = Int(generator.next() % 501)
        let second = first + Int(generator.next() % UInt64(501 - first))
        let a = Self.sketch(of: Array(values[..<first]))
        let b = Self.sketch(of: Array(values[first..<second]))
        let c = Self.sketch(of: Array(values[second...]))
        let whole = Self.sketch(of: values)
        #expect(a.merging(b).merging(c) == whole)
        #expect(c.merging(a.merging(b)) == whole)
        #expect(b.merging(c).merging(a) == whole)
    }

    @Test("sketches survive their encoding, and equal sketches encode to equal bytes")
    func encoding() throws {
        let sketches = [
            "service_ms": Self.sketch(of: Self.timings(seed: 1, count: 1_000)),
            "connect_ms": Self.sketch(of: [0, 0, 1, 1, 2, 3]),
            "é": QuantileSketch(),
        ]
        let bytes = QuantileSketch.encode(sketches)
        #expect(QuantileSketch.decode(bytes) == sketches)
        #expect(QuantileSketch.encode(try #require(QuantileSketch.decode(bytes))) == bytes)
        #expect(QuantileSketch.encode([:]).isEmpty)
        #expect(QuantileSketch.decode([]) == [:])
    }

    @Test("truncated, foreign or inconsistent sketch bytes are rejected, never trusted")
    func rejection() {
        let bytes = QuantileSketch.encode(["service_ms": Self.sketch(of: [1, 5, 80, 80, 3_000])])
        for length in 1..<bytes.count {
            #expect(QuantileSketch.decode(Array(bytes[..<length])) == nil, "prefix of \(length) bytes")
        }
        #expect(QuantileSketch.decode([2] + bytes.dropFirst()) == nil)
        #expect(QuantileSketch.decode(bytes + [0]) == nil)
        // Two buckets with the same index (a zero delta after the first) and an empty bucket.
        #expect(QuantileSketch.decode([1, 1, 1, 0x61, 0, 2, 2, 1, 0, 1]) == nil)
        #expect(QuantileSketch.decode([1, 1, 1, 0x61, 0, 1, 2, 0]) == nil)
        // Buckets no value can land in, and counts that would overflow when summed or merged: refused, so reading
        // quantiles of a stored sketch can never trap.
        #expect(QuantileSketch(zeroCount: 0, bucketIndices: [Int32.min], bucketCounts: [1]) == nil)
        #expect(QuantileSketch(zeroCount: 0, bucketIndices: [Int32.max], bucketCounts: [1]) == nil)
        #expect(QuantileSketch(zeroCount: UInt64.max, bucketIndices: [10], bucketCounts: [1]) == nil)
        #expect(QuantileSketch(zeroCount: 0, bucketIndices: [1, 2], bucketCounts: [1 << 40, 1]) == nil)
        #expect(QuantileSketch(zeroCount: 1, bucketIndices: [1, 2], bucketCounts: [3, 4])?.count == 8)
        var generator = SplitMix64(seed: 3)
        for _ in 0..<2_000 {
            let noise = (0..<Int(generator.next() % 40)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = QuantileSketch.decode([1] + noise)
        }
    }
}
