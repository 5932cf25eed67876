import ArgumentParser
import Drainpipe
import Foundation

/// `drainpipe bench`: micro-benchmarks of the hot paths, printed as numbers (never run by `swift test`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the drain parser, the aggregation state machine and the wire codec on one core.",
        discussion: "Build with -c release. Each benchmark runs --rounds times over a seeded corpus and reports the best round.")

    @Option(help: "Lines in the generated corpus.")
    var lines = 200_000

    @Option(help: "Rounds per benchmark; the best is reported.")
    var rounds = 5

    func run() throws {
        let corpus = Self.corpus(lines: lines)
        say("corpus: \(lines) runtime-metrics load lines in \(corpus.count) drain bodies of 100 lines, \(corpus.reduce(0) { $0 + $1.count }) bytes")

        var measurements: [Drainpipe.Measurement] = []
        let parse = best(of: rounds) {
            measurements.removeAll(keepingCapacity: true)
            for body in corpus {
                let result = DrainParser().parse(body: body, owner: "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71", drainID: "d.bench", frameID: "F", receivedAt: Self.base)
                measurements.append(contentsOf: result.measurements)
            }
        }
        report("drain parser", count: lines, unit: "lines", seconds: parse)

        let settings = WindowSettings.production
        let aggregate = best(of: rounds) {
            var aggregator = PartitionAggregator(settings: settings, startingAt: 0)
            for (offset, measurement) in measurements.enumerated() {
                aggregator.apply(measurement, offset: Int64(offset), messageTime: measurement.receivedAt)
            }
            _ = aggregator.takeChangedSummaries()
        }
        report("accumulation (PartitionAggregator.apply)", count: measurements.count, unit: "measurements", seconds: aggregate)

        var encoded: [[UInt8]] = []
        let encode = best(of: rounds) { encoded = measurements.map(\.wireBytes) }
        report("wire encode (Measurement)", count: measurements.count, unit: "messages", seconds: encode)
        let decode = best(of: rounds) {
            for bytes in encoded { _ = try? Drainpipe.Measurement(wireBytes: bytes) }
        }
        report("wire decode (Measurement)", count: encoded.count, unit: "messages", seconds: decode)
    }

    static let base = EventTime(secondsSinceEpoch: 1_709_647_440)

    /// Drain bodies of 100 load lines each from 3 process types × 3 dynos, stamped over the previous 4 minutes.
    static func corpus(lines: Int) -> [[UInt8]] {
        var generator = SplitMix64(seed: 42)
        var bodies: [[UInt8]] = []
        var remaining = lines
        while remaining > 0 {
            var writer = LogplexFrameWriter()
            for _ in 0..<min(100, remaining) {
                let processID = "\(["web", "worker", "clock"][Int(generator.next() % 3)]).\(1 + generator.next() % 3)"
                let value = Double(generator.next() % 400) / 100
                writer.appendLoadSample(
                    time: base - .milliseconds(Int64(generator.next() % 240_000)), processID: processID,
                    oneMinute: value, fiveMinutes: value * 0.8, fifteenMinutes: value * 0.6)
            }
            bodies.append(writer.body)
            remaining -= 100
        }
        return bodies
    }

    private func best(of rounds: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        var fastest = Double.infinity
        for _ in 0..<max(1, rounds) {
            let elapsed = clock.measure(body)
            fastest = min(fastest, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return fastest
    }

    private func report(_ name: String, count: Int, unit: String, seconds: Double) {
        let rate = Double(count) / seconds
        say("\(name): \(count) \(unit) in \(String(format: "%.3f", seconds)) s = \(String(format: "%.0f", rate)) \(unit)/s")
    }
}
