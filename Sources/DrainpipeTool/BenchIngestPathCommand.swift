import ArgumentParser
import Drainpipe
import DrainpipeCore
import DrainpipeKafka
import DrainpipeWorkloads
import Foundation

/// `drainpipe bench-ingest-path`: a drain request's work between its body and Kafka, on one core — parsing through
/// the owner's admission filter into raw batches and encoding their records, as the ingress does per request —
/// without HTTP or the producer, so its CPU per request can be compared between builds without their noise.
struct BenchIngestPathCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-ingest-path",
        abstract: "Measure a drain request's parse, admission and raw-record encoding on one core.",
        discussion: """
            Build with -c release. Each round runs --requests requests: a drain body parsed into the admission \
            filter of an owner without lists or caps, writing raw records for the topics file (raw wire .2 batches \
            where it declares them) stamped with the request's receive time, then those records' bytes. The bodies \
            are --body (one file, e.g. the 100-line body deploy/bench-ingress gives wrk) or, without it, \
            --distinct-bodies bodies of --lines lines of `drainpipe load`'s mix. Prints µs per request and per \
            line, by wall clock and by the thread's CPU time (best and median round), with the measurements and \
            records of one request.
            """)

    @Option(help: "The topics file.")
    var topics = "topics.yaml"
    @Option(help: "A drain body (octet-counted Logplex frames) to post again and again instead of generated ones.")
    var body: String?
    @Option(help: "Lines per generated request.")
    var lines = 100
    @Option(help: "Distinct generated requests, used round-robin.")
    var distinctBodies = 16
    @Option(help: "Requests per round.")
    var requests = 20_000
    @Option(help: "Rounds; the best and the median are reported.")
    var rounds = 5
    @Option(help: "Seed of the random generator, for repeatable workloads.")
    var seed: UInt64 = 1

    func run() throws {
        guard lines > 0, distinctBodies > 0, requests > 0, rounds > 0 else {
            throw ValidationError("--lines, --distinct-bodies, --requests and --rounds must be above 0.")
        }
        let catalog = try TopicCatalog(contentsOf: topics)
        let owner = TenantDirectory.Owner(
            id: "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71", drainCredentials: ["bench:secret"], apiTokens: [])
        // Topic names only: nothing connects to Kafka.
        let destinations = TopicCatalog.RawDestinations(
            catalog: catalog, kafka: KafkaConnection(bootstrapServers: "127.0.0.1:9092"))
        let bodies = try makeBodies()
        let linesPerRequest = bodies.map { Self.frameCount(of: $0, owner: owner) }
        let sample = Self.ingest(bodies[0], owner: owner, destinations: destinations)
        say(
            "bench-ingest-path: \(bodies.count) distinct bodies; the first has \(linesPerRequest[0]) lines, "
                + "\(bodies[0].count) bytes, \(sample.measurements) measurements, \(sample.records) records of "
                + "\(sample.bytes) bytes")
        var totalLines = 0
        for index in 0..<requests { totalLines += linesPerRequest[index % bodies.count] }
        var sink = 0
        let result = BenchmarkHarness(rounds: rounds).run(
            "parse, admit and batch drain requests", count: requests, unit: "requests"
        ) {
            for index in 0..<requests {
                sink &+= Self.ingest(bodies[index % bodies.count], owner: owner, destinations: destinations).bytes
            }
        }
        say(result.line)
        let bestCPU = result.cpu.best ?? 0
        let medianCPU = result.cpu.median ?? 0
        say(
            String(
                format: "bench-ingest-path: thread CPU per request %.1f µs best, %.1f µs median; per line %.3f µs best "
                    + "(%d lines per request on average)",
                bestCPU / Double(requests) * 1e6, medianCPU / Double(requests) * 1e6,
                bestCPU / Double(totalLines) * 1e6, totalLines / requests))
        if sink == 42 { say("") }  // Keeps the encoded bytes observable, so none of the work is optimised away.
    }

    /// One request's work; returns what it made.
    private static func ingest(
        _ body: [UInt8], owner: TenantDirectory.Owner, destinations: TopicCatalog.RawDestinations
    ) -> (measurements: Int, records: Int, bytes: Int) {
        let receivedAt = SystemWallClock().now()
        var admitted = IngressContext.admissionFilter(owner: owner, receivedAt: receivedAt, destinations: destinations)
        _ = DrainParser().parse(
            body: body, owner: owner.id, drainID: "\(owner.id)/", frameID: "4E0B9A3C7D1F28A6B5C4E3D2F1A09B87",
            receivedAt: receivedAt, into: &admitted)
        let records = admitted.destination.records()
        return (admitted.admittedCount, records.count, records.reduce(0) { $0 + $1.value.count })
    }

    private static func frameCount(of body: [UInt8], owner: TenantDirectory.Owner) -> Int {
        DrainParser().parse(
            body: body, owner: owner.id, drainID: "-", frameID: "-", receivedAt: SystemWallClock().now()
        ).frameCount
    }

    private func makeBodies() throws -> [[UInt8]] {
        if let body {
            guard let data = FileManager.default.contents(atPath: body), !data.isEmpty else {
                throw ValidationError("--body \(body) could not be read or is empty.")
            }
            return [Array(data)]
        }
        return DrainTrafficGenerator.benchmarkBodies(
            count: distinctBodies, lines: lines, seed: seed, now: SystemWallClock().now())
    }
}
