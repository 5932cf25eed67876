import ArgumentParser
import DrainpipeCore
import DrainpipeWire
import DrainpipeWorkloads
import Foundation

/// `drainpipe bench`: micro-benchmarks of the drain parser and the wire codec, printed as numbers (never run by
/// `swift test`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the drain parser and the wire codec on one core.",
        discussion: """
            Build with -c release. Each benchmark runs --rounds times over a seeded corpus and \
            reports the best and the median round, by wall-clock time and by the CPU time of its \
            thread (which holds on a busy shared machine). The parser runs over a realistic mix of \
            drain lines (DrainTrafficGenerator), collecting every measurement and, as the ingress \
            does, streaming them into a sink that keeps none; and, as a baseline, over runtime load \
            lines only.
            """)

    @Option(help: "Lines in each generated corpus.")
    var lines = 200_000

    @Option(help: "Rounds per benchmark; the best and the median are reported.")
    var rounds = 5

    @Flag(help: "Run only the mixed-corpus parser benchmarks, collected and streamed (for profiling).")
    var parserOnly = false

    func run() throws {
        let harness = BenchmarkHarness(rounds: rounds)
        let mixed = Self.mixedCorpus(lines: lines)
        let composition = DrainTrafficGenerator.Sample.allCases.map { "\($0) \(mixed.samples[$0, default: 0])" }
        say(
            "mixed corpus: \(lines) lines in \(mixed.bodies.count) drain bodies of 100 lines, "
                + "\(Self.byteCount(mixed.bodies)) bytes: \(composition.joined(separator: ", "))")
        var results: [DrainParseResult] = []
        let parseMixed = harness.run(
            "drain parser, mixed corpus", count: lines, unit: "lines", reset: { results = [] },
            measuring: { results = Self.parse(mixed.bodies) })
        say(parseMixed.line)
        let measurements = results.flatMap(\.measurements)
        say("  \(measurements.count) measurements: \(Self.countByType(measurements))")
        var tallies: [MeasurementTally] = []
        let streamMixed = harness.run(
            "drain parser, mixed corpus, into a sink that keeps nothing", count: lines, unit: "lines",
            reset: { tallies = [] }, measuring: { tallies = Self.stream(mixed.bodies) })
        say(streamMixed.line)
        let tally = tallies.reduce(into: MeasurementTally()) { $0.add($1) }
        say("  \(tally.measurements) measurements, \(tally.values) fields and events")
        say(streamMixed.ratio(to: parseMixed, label: "  streamed/collected throughput ratio"))
        guard !parserOnly else { return }

        let loadOnly = Self.loadCorpus(lines: lines)
        say(
            "baseline corpus: \(lines) runtime load lines in \(loadOnly.count) drain bodies of 100 lines, "
                + "\(Self.byteCount(loadOnly)) bytes")
        let parseLoad = harness.run(
            "drain parser, load lines only", count: lines, unit: "lines", reset: { results = [] },
            measuring: { results = Self.parse(loadOnly) })
        say(parseLoad.line)
        say(parseMixed.ratio(to: parseLoad, label: "  mixed/load-only throughput ratio"))

        var encoded: [[UInt8]] = []
        let encode = harness.run(
            "wire encode (Measurement, mixed)", count: measurements.count, unit: "messages", reset: { encoded = [] },
            measuring: { encoded = measurements.map(\.wireBytes) })
        say(encode.line)
        let decode = harness.run("wire decode (Measurement, mixed)", count: encoded.count, unit: "messages") {
            for bytes in encoded { _ = try? DrainpipeCore.Measurement(wireBytes: bytes) }
        }
        say(decode.line)

        // Wire version 2: the ingress's records, one batch per request (drain body), type and partition.
        let batches = results.flatMap { Self.batches(of: $0.measurements) }
        var encodedBatches: [[UInt8]] = []
        let encodeBatches = harness.run(
            "wire encode (MeasurementBatch, mixed)", count: measurements.count, unit: "measurements",
            reset: { encodedBatches = [] },
            measuring: {
                encodedBatches = batches.map {
                    MeasurementBatchWire.encode($0, type: $0[0].type, receivedAt: $0[0].receivedAt)
                }
            })
        say(encodeBatches.line)
        say(
            "  \(batches.count) batches, \(measurements.count / max(batches.count, 1)) measurements each on average; "
                + "\(Self.byteCount(encodedBatches)) bytes against \(Self.byteCount(encoded)) as single messages")
        say(encodeBatches.ratio(to: encode, label: "  batch/single encode throughput ratio"))
        // The ingress's batch encoder: columns filled a measurement at a time, protobuf written in Swift.
        var writtenBatches: [[UInt8]] = []
        let writeBatches = harness.run(
            "wire encode (MeasurementBatchWriter, mixed)", count: measurements.count, unit: "measurements",
            reset: { writtenBatches = [] },
            measuring: {
                writtenBatches = batches.map { batch in
                    var writer = MeasurementBatchWriter(type: batch[0].type, receivedAt: batch[0].receivedAt)
                    for measurement in batch { writer.append(measurement) }
                    return writer.encoded()
                }
            })
        say(writeBatches.line)
        say("  same bytes as protobuf-c: \(writtenBatches == encodedBatches)")
        say(writeBatches.ratio(to: encodeBatches, label: "  writer/protobuf-c batch encode throughput ratio"))
        let decodeBatches = harness.run(
            "wire decode (MeasurementBatch, mixed)", count: measurements.count, unit: "measurements"
        ) {
            for bytes in encodedBatches { _ = try? MeasurementBatchWire.decode(bytes) }
        }
        say(decodeBatches.line)
        say(decodeBatches.ratio(to: decode, label: "  batch/single decode throughput ratio"))
    }

    /// The measurements of one request grouped as the ingress batches them: by type and partition (of 32).
    private static func batches(of measurements: [DrainpipeCore.Measurement]) -> [[DrainpipeCore.Measurement]] {
        var order: [String] = []
        var groups: [String: [DrainpipeCore.Measurement]] = [:]
        for measurement in measurements {
            let partition = Murmur2Partitioner.partition(
                forKey: Array(measurement.partitionKey.utf8), partitionCount: 32)
            let slot = "\(measurement.type.rawValue)/\(partition)"
            if groups[slot] == nil { order.append(slot) }
            groups[slot, default: []].append(measurement)
        }
        return order.compactMap { groups[$0] }
    }

    static let base = EventTime(secondsSinceEpoch: 1_709_647_440)

    /// One parse result per body; the results are kept (and freed outside the timed region) so the figure is the
    /// parser's alone.
    private static func parse(_ bodies: [[UInt8]]) -> [DrainParseResult] {
        var results: [DrainParseResult] = []
        results.reserveCapacity(bodies.count)
        for body in bodies {
            results.append(
                DrainParser().parse(
                    body: body, owner: "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71", drainID: "d.bench",
                    frameID: "4E0B9A3C7D1F28A6B5C4E3D2F1A09B87", receivedAt: base))
        }
        return results
    }

    /// One tally per body, parsed as the ingress parses a request: every measurement handed to a sink as it is read,
    /// which looks at it and keeps nothing, so the parser reuses its field and event buffers line after line.
    private static func stream(_ bodies: [[UInt8]]) -> [MeasurementTally] {
        var tallies: [MeasurementTally] = []
        tallies.reserveCapacity(bodies.count)
        for body in bodies {
            var tally = MeasurementTally()
            _ = DrainParser().parse(
                body: body, owner: "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71", drainID: "d.bench",
                frameID: "4E0B9A3C7D1F28A6B5C4E3D2F1A09B87", receivedAt: base, into: &tally)
            tallies.append(tally)
        }
        return tallies
    }

    /// Drain bodies of 100 lines of realistic mixed traffic, stamped over the previous 4 minutes.
    static func mixedCorpus(lines: Int) -> (bodies: [[UInt8]], samples: [DrainTrafficGenerator.Sample: Int]) {
        var traffic = DrainTrafficGenerator(seed: 42)
        var timing = SplitMix64(seed: 43)
        var samples: [DrainTrafficGenerator.Sample: Int] = [:]
        var bodies: [[UInt8]] = []
        var remaining = lines
        while remaining > 0 {
            var writer = LogplexFrameWriter()
            for _ in 0..<min(100, remaining) {
                let time = base - .milliseconds(Int64(timing.next() % 240_000))
                samples[traffic.appendLine(to: &writer, time: time), default: 0] += 1
            }
            bodies.append(writer.body)
            remaining -= 100
        }
        return (bodies, samples)
    }

    /// Drain bodies of 100 load lines each from 3 process types × 3 dynos, stamped over the previous 4 minutes.
    static func loadCorpus(lines: Int) -> [[UInt8]] {
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

    private static func byteCount(_ bodies: [[UInt8]]) -> Int { bodies.reduce(0) { $0 + $1.count } }

    private static func countByType(_ measurements: [DrainpipeCore.Measurement]) -> String {
        var counts: [MeasurementType: Int] = [:]
        for measurement in measurements { counts[measurement.type, default: 0] += 1 }
        return MeasurementType.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: ", ")
    }
}

/// Counts what a parse handed over, reading every measurement's fields and events but keeping none.
private struct MeasurementTally: MeasurementSink {
    var measurements = 0
    var values = 0

    mutating func append(_ measurement: DrainpipeCore.Measurement) {
        measurements += 1
        values += measurement.fields.count + measurement.events.count
    }

    mutating func add(_ other: MeasurementTally) {
        measurements += other.measurements
        values += other.values
    }
}
