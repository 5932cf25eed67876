import ArgumentParser
import Drainpipe
import DrainpipeCore
import DrainpipeKafka
import DrainpipeWorkloads
import Foundation
import Logging

/// `drainpipe bench-produce`: the Kafka side of a drain request alone — the raw records the ingress would produce for
/// `drainpipe load --senders`' requests, built before the clock starts and sent by N senders, each awaiting every
/// record's acknowledgement before its next request, through the ingress's producer settings.
///
/// What it costs (this process's CPU: `KafkaProducer`, librdkafka, delivery reports; and the broker's) is the part of
/// the ingress's CPU per line that parsing, encoding and HTTP cannot remove, and its latency the floor under a
/// request's.
struct BenchProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-produce",
        abstract: "Produce the raw records of drain requests without the ingress: the Kafka path's own cost.",
        discussion: """
            Connects to KAFKA_URL (e.g. the one `drainpipe kafka` prints). The requests are generated as by \
            `drainpipe load --senders`, parsed with the ingress's parser and turned into the raw records of the \
            topics file (raw wire .2 batches where it declares them); then --senders senders send whole requests \
            back to back for --duration seconds, each waiting until Kafka acknowledged every record of its request \
            (acks=all, idempotent producer). Prints lines/s, latency p50/p99, this process's CPU seconds per million \
            lines and, with --broker-pid, the broker's.
            """)

    @Option(help: "The topics file.")
    var topics = "topics.yaml"
    @Option(help: "Concurrent senders, each with one request in flight.")
    var senders = 4
    @Option(help: "Lines per request.")
    var lines = 500
    @Option(help: "Seconds to send for.")
    var duration = 15
    @Option(help: "Distinct requests generated beforehand and sent round-robin.")
    var distinctBodies = 16
    @Option(help: "The producer's linger.ms (the ingress's KAFKA_LINGER_MS, 1 by default).")
    var lingerMs = 1
    @Option(help: "The broker's process id, to report its CPU seconds per million lines.")
    var brokerPid: Int?
    @Option(help: "Seed of the random generator, for repeatable workloads.")
    var seed: UInt64 = 1

    func run() async throws {
        guard senders > 0, lines > 0, duration > 0, distinctBodies > 0 else {
            throw ValidationError("--senders, --lines, --duration and --distinct-bodies must be above 0.")
        }
        var problems: [ConfigurationError.Problem] = []
        guard
            let kafka = KafkaConnection(
                environment: Environment(ProcessInfo.processInfo.environment), noting: &problems)
        else { throw ConfigurationError.invalidEnvironment(problems) }
        let catalog = try TopicCatalog(contentsOf: topics)
        let requests = makeRequests(catalog: catalog, kafka: kafka)
        let recordsPerRequest = Double(requests.map(\.records.count).reduce(0, +)) / Double(requests.count)
        let bytesPerRequest =
            Double(requests.map { $0.records.map(\.value.count).reduce(0, +) }.reduce(0, +))
            / Double(requests.count)
        progress(
            String(
                format: "bench-produce: %d-line requests of %.1f records, %.0f bytes of values each, on average",
                lines, recordsPerRequest, bytesPerRequest))

        var options = KafkaProducer.Options()
        options.linger = .milliseconds(lingerMs)
        options.messageTimeout = .seconds(10)
        options.enqueueTimeout = .seconds(10)
        let producer = try KafkaProducer(
            connection: kafka, clientID: "bench-produce", options: options, logger: Logger(label: "bench-produce"))
        // One request first, so the connection and the producer id are in place before the clock starts.
        try await producer.send(requests[0].records)

        let ownPID = Int(ProcessInfo.processInfo.processIdentifier)
        let ownBefore = ClosedLoopDrainLoad.cpuSeconds(ofProcess: ownPID)
        let brokerBefore = brokerPid.flatMap(ClosedLoopDrainLoad.cpuSeconds(ofProcess:))
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started + .seconds(duration)
        let (sentLines, latencies) = try await withThrowingTaskGroup(of: (Int, TimeSamples).self) { group in
            for sender in 0..<senders {
                group.addTask {
                    var sent = 0
                    var samples = TimeSamples()
                    var next = sender
                    while clock.now < deadline {
                        let request = requests[next % requests.count]
                        next += senders
                        let sendStarted = clock.now
                        try await producer.send(request.records)
                        samples.record(Self.seconds(clock.now - sendStarted))
                        sent += request.lines
                    }
                    return (sent, samples)
                }
            }
            var lines = 0
            var all = TimeSamples()
            for try await (sent, samples) in group {
                lines += sent
                for seconds in samples.seconds { all.record(seconds) }
            }
            return (lines, all)
        }
        let wall = Self.seconds(clock.now - started)
        let ownCPU = ownBefore.flatMap { before in
            ClosedLoopDrainLoad.cpuSeconds(ofProcess: ownPID).map { $0 - before }
        }
        let brokerCPU = brokerBefore.flatMap { before in
            brokerPid.flatMap(ClosedLoopDrainLoad.cpuSeconds(ofProcess:)).map { $0 - before }
        }
        await producer.close()

        say(
            String(
                format: "bench-produce: %d senders × %d-line requests: %d requests, %.0f lines/s, latency p50 %.2f ms, "
                    + "p99 %.2f ms, max %.2f ms",
                senders, lines, latencies.seconds.count, Double(sentLines) / max(wall, 0.001),
                (latencies.percentile(50) ?? 0) * 1000, (latencies.percentile(99) ?? 0) * 1000,
                (latencies.seconds.max() ?? 0) * 1000))
        let perMillion = 1_000_000 / Double(max(sentLines, 1))
        if let ownCPU {
            say(
                String(
                    format: "bench-produce: producer process CPU %.2f s = %.2f s per million lines", ownCPU,
                    ownCPU * perMillion))
        }
        if let brokerCPU {
            say(
                String(
                    format: "bench-produce: broker CPU %.2f s = %.2f s per million lines", brokerCPU,
                    brokerCPU * perMillion))
        }
    }

    /// `distinctBodies` requests of `lines` lines of `drainpipe load`'s mix, each as the raw records the ingress makes.
    private func makeRequests(catalog: TopicCatalog, kafka: KafkaConnection) -> [(records: [KafkaRecord], lines: Int)] {
        let now = SystemWallClock().now()
        let owner = "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71"
        let bodies = DrainTrafficGenerator.benchmarkBodies(count: distinctBodies, lines: lines, seed: seed, now: now)
        return bodies.enumerated().map { round, body in
            let parsed = DrainParser().parse(
                body: body, owner: owner, drainID: "\(owner)/", frameID: "bench-\(round)", receivedAt: now)
            return (catalog.rawRecords(for: parsed.measurements, timestamp: now, in: kafka), lines)
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
