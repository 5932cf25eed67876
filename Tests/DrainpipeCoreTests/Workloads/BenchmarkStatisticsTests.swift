import DrainpipeWorkloads
import Testing

@Suite("Benchmark statistics")
struct BenchmarkStatisticsTests {
    @Test("best is the fastest sample, whatever the order")
    func best() {
        #expect(TimeSamples([0.3, 0.1, 0.2]).best == 0.1)
        #expect(TimeSamples([0.5]).best == 0.5)
        #expect(TimeSamples().best == nil)
    }

    @Test("median is the middle sample, or the mean of the two middle ones")
    func median() {
        #expect(TimeSamples([0.3, 0.1, 0.2]).median == 0.2)
        #expect(TimeSamples([4, 1, 3, 2]).median == 2.5)
        #expect(TimeSamples([7]).median == 7)
        #expect(TimeSamples().median == nil)
    }

    @Test("recording appends a sample in order")
    func record() {
        var samples = TimeSamples()
        samples.record(2)
        samples.record(1)
        #expect(samples.seconds == [2, 1])
        #expect(samples.count == 2)
        #expect(samples.best == 1)
    }

    @Test("percentiles pick index n·p/100 of the sorted samples, capped at the last")
    func percentiles() {
        let samples = TimeSamples((1...200).reversed().map(Double.init))
        #expect(samples.percentile(50) == 101)
        #expect(samples.percentile(99) == 199)
        #expect(samples.percentile(100) == 200)
        #expect(samples.percentile(0) == 1)
        #expect(TimeSamples([3, 1]).percentile(99) == 3)
        #expect(TimeSamples().percentile(50) == nil)
    }

    @Test("a rate is the count per second, a ratio one rate over the baseline's")
    func rateAndRatio() {
        #expect(Throughput.rate(1_000, in: 0.5) == 2_000)
        #expect(Throughput.rate(3, in: 2) == 1.5)
        #expect(Throughput.ratio(3_000, to: 1_500) == 2)
        #expect(Throughput.ratio(1_000, to: 4_000) == 0.25)
    }
}
