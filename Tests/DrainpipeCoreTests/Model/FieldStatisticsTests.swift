import Testing

@testable import DrainpipeCore

@Suite("Summary merging")
struct SummaryMergeTests {
    static func summary(of values: [Double], version: Int64) -> Summary {
        let key = SeriesKey(
            type: .dynoLoad, owner: "o", processType: "web", metric: "load_avg",
            windowStart: EventTime(secondsSinceEpoch: 0), periodSeconds: 60)
        var summary = Summary(key: key, version: version)
        for value in values { summary.fields["load_avg_1m", default: .empty].add(value) }
        return summary
    }

    @Test("merging the summaries of two halves equals the summary of the whole", arguments: 0..<50)
    func halves(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed))
        // Quarter-steps keep every sum exact, so equality is exact too.
        let values = (0..<Int(generator.next() % 40)).map { _ in Double(generator.next() % 4000) / 4 }
        let cut = values.isEmpty ? 0 : Int(generator.next() % UInt64(values.count + 1))
        let whole = Self.summary(of: values, version: 9)
        let merged = Self.summary(of: Array(values[..<cut]), version: 9).merging(
            Self.summary(of: Array(values[cut...]), version: 3))
        #expect(merged.fields["load_avg_1m"] ?? .empty == whole.fields["load_avg_1m"] ?? .empty)
        #expect(merged.version == 9)
    }

    @Test("merging is associative and commutative", arguments: 0..<30)
    func algebra(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed) + 1000)
        func random() -> Summary {
            Self.summary(
                of: (0..<Int(generator.next() % 10)).map { _ in Double(generator.next() % 100) / 2 },
                version: Int64(generator.next() % 50))
        }
        let (a, b, c) = (random(), random(), random())
        #expect(a.merging(b).merging(c) == a.merging(b.merging(c)))
        #expect(a.merging(b) == b.merging(a))
    }

    @Test("mean and standard deviation follow from the sums")
    func derived() throws {
        let statistics = Self.summary(of: [2, 4, 4, 4, 5, 5, 7, 9], version: 1).fields["load_avg_1m"]!
        #expect(statistics.mean == 5)
        #expect(statistics.standardDeviation == 2)
        #expect(FieldStatistics.empty.mean == nil)
    }
}
