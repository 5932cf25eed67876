import ArgumentParser
import Drainpipe
import DrainpipeBaselines
import DrainpipeCore
import DrainpipeKafka
import DrainpipeWire
import Foundation
import Logging
import Metrics
import Synchronization

/// `drainpipe bench-aggregator`: the aggregator's accumulation rate, its memory per group, and consume → aggregate →
/// produce through the embedded broker (never run by `swift test`).
struct BenchAggregatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-aggregator",
        abstract:
            "Measure the aggregator: accumulation on one core, memory "
            + "per group, and the service through the embedded broker.",
        discussion: """
            Build with -c release. Accumulation runs --rounds times over seeded corpora and reports the \
            best and the median round, next to the foundation's String-keyed accumulation as a baseline \
            in the same run. Memory is the growth of the resident set while --groups (owner, process type) \
            groups fill every open window (late bound 5 min, window 60 s), measured first on a fresh heap. \
            The broker stage produces --broker-measurements router measurements to an embedded broker \
            and times one aggregator from start until every partition's last measurement is published.
            """)

    @Option(help: "Measurements per accumulation corpus.")
    var measurements = 1_000_000

    @Option(help: "Rounds per accumulation benchmark; the best and the median are reported.")
    var rounds = 5

    @Option(help: "(owner, process type) groups in the memory benchmark.")
    var groups = 20_000

    @Option(
        help: """
            Router measurements through the embedded broker (the mock keeps at most 5 MiB per partition: about \
            3.5 million in wire version 2).
            """)
    var brokerMeasurements = 400_000

    @Option(help: "The aggregator's flush interval in the broker stage, in milliseconds.")
    var flushMilliseconds: Int64 = 100

    @Flag(help: "Run only the broker stage (consume-only, produce-only and the whole service).")
    var brokerOnly = false

    @Flag(help: "In the broker stage, run only the whole service (no produce-, decode- or consume-only parts).")
    var serviceOnly = false

    @Option(help: "Runs of the whole service per consumer option set, alternating between the sets.")
    var serviceRounds = 1

    @Option(help: "The most raw messages the service takes per poll (default: the service's own).")
    var pollMessages: Int?

    @Option(
        help: """
            The raw wire version the broker stage writes: 2 (a MeasurementBatch per request and partition, what the \
            ingress writes) or 1 (a Measurement per record, as before wire version 2).
            """)
    var rawWireVersion = 2

    @Option(help: "Measurements per ingress request in the broker stage (one owner's lines, as a drain POST).")
    var requestMeasurements = 500

    func validate() throws {
        guard TopicCatalog.rawWireVersions.contains(rawWireVersion) else {
            throw ValidationError("--raw-wire-version must be one of \(TopicCatalog.rawWireVersions)")
        }
        guard requestMeasurements > 0 else { throw ValidationError("--request-measurements must be positive") }
        guard serviceRounds > 0 else { throw ValidationError("--service-rounds must be positive") }
    }

    func run() async throws {
        if !brokerOnly {
            // Memory first, on a fresh heap, so the resident set grows by what the groups take.
            memory()
            accumulation()
        }
        try await throughBroker()
    }

    static let base = EventTime(secondsSinceEpoch: 1_709_647_440)

    // MARK: - Corpora

    /// An owner UUID built afresh, so every measurement holds its own string storage as a decoded one would.
    static func owner(_ number: Int) -> String {
        String(decoding: Array("6c1d5b7e-0f43-4a52-9b1e-\(String(format: "%012d", number))".utf8), as: UTF8.self)
    }

    /// Router measurements of `owners` owners × 3 process types, with drain origins (40 lines per frame), status
    /// events and times spread over the open windows of the production settings.
    /// Frames are numbered from `firstIndex / 40`, so corpora made in consecutive chunks share no frame.
    static func routerCorpus(
        count: Int, owners: Int, seed: UInt64, firstIndex: Int = 0
    ) -> [DrainpipeCore.Measurement] {
        var generator = SplitMix64(seed: seed)
        return (firstIndex..<firstIndex + count).map { index in
            let time = base - .milliseconds(Int64(generator.next() % 290_000))
            let status = [200, 200, 200, 302, 404, 503][Int(generator.next() % 6)]
            return DrainpipeCore.Measurement(
                type: .routerRequests, owner: owner(Int(generator.next() % UInt64(owners))),
                processType: ["web", "api", "worker"][Int(generator.next() % 3)], metric: "router", time: time,
                receivedAt: base,
                fields: [
                    MeasurementField(name: "connect_ms", value: Double(generator.next() % 3)),
                    MeasurementField(name: "service_ms", value: Double(1 + generator.next() % 900)),
                    MeasurementField(name: "bytes", value: Double(generator.next() % 20_000)),
                ],
                events: ["status_\(status / 100)xx"],
                origin: DrainOrigin(
                    drainID: "d.6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71", frameID: String(format: "%032X", index / 40),
                    lineIndex: UInt32(index % 40)))
        }
    }

    /// Runtime load measurements (three fields, no origin, no events) of `owners` owners × 3 process types.
    static func loadCorpus(count: Int, owners: Int, seed: UInt64) -> [DrainpipeCore.Measurement] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let value = Double(generator.next() % 400) / 100
            let time = base - .milliseconds(Int64(generator.next() % 290_000))
            return DrainpipeCore.Measurement(
                type: .dynoLoad, owner: owner(Int(generator.next() % UInt64(owners))),
                processType: ["web", "api", "worker"][Int(generator.next() % 3)], metric: "load_avg", time: time,
                receivedAt: base,
                fields: [
                    MeasurementField(name: "load_avg_1m", value: value),
                    MeasurementField(name: "load_avg_5m", value: value * 0.8),
                    MeasurementField(name: "load_avg_15m", value: value * 0.6),
                ])
        }
    }

    // MARK: - Accumulation

    func accumulation() {
        let harness = BenchmarkHarness(rounds: rounds)
        let settings = WindowSettings.production
        for (name, corpus) in [
            ("load lines, 100 owners", Self.loadCorpus(count: measurements, owners: 100, seed: 1)),
            (
                "router lines with origins and sketches, 100 owners",
                Self.routerCorpus(count: measurements, owners: 100, seed: 2)
            ),
        ] {
            say("accumulation, \(name), \(corpus.count) measurements over 5 minutes of windows, one core:")
            let baseline = harness.run(
                "  baseline (foundation, String-keyed)", count: corpus.count, unit: "measurements"
            ) {
                var accumulation = StringKeyedAccumulation(settings: settings)
                for (offset, measurement) in corpus.enumerated() {
                    accumulation.apply(measurement, offset: Int64(offset), messageTime: Self.base)
                }
                _ = accumulation.takeChangedSummaries()
            }
            let current = harness.run("  PartitionAggregator", count: corpus.count, unit: "measurements") {
                var aggregator = PartitionAggregator(settings: settings, startingAt: 0)
                for (offset, measurement) in corpus.enumerated() {
                    aggregator.apply(measurement, offset: Int64(offset), messageTime: Self.base)
                }
                _ = aggregator.takeChangedSummaries()
            }
            say(baseline.line)
            say(current.line)
            say(current.ratio(to: baseline, label: "  ratio to the baseline"))
        }
    }

    // MARK: - Memory

    /// Resident set size from /proc/self/statm, in bytes; 0 where it cannot be read.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * 4096
    }

    func memory() {
        let settings = WindowSettings.production
        // Every group fills all six open windows (five minutes of late bound, the current minute) with 20
        // measurements each. Each aggregator stays alive until the end, so the next one cannot reuse its memory.
        var kept: [PartitionAggregator] = []
        for (name, type) in [("router (with sketches)", MeasurementType.routerRequests), ("load", .dynoLoad)] {
            progress("bench: memory, \(name)")
            var generator = SplitMix64(seed: 3)
            let perGroup = 120
            let before = Self.residentBytes()
            var aggregator = PartitionAggregator(settings: settings, startingAt: 0)
            var offset: Int64 = 0
            for group in 0..<groups {
                let owner = Self.owner(group)
                for index in 0..<perGroup {
                    let time = Self.base - .seconds(Int64(index % 6) * 60)
                    let fields: [MeasurementField] =
                        type == .routerRequests
                        ? [
                            MeasurementField(name: "connect_ms", value: Double(generator.next() % 3)),
                            MeasurementField(name: "service_ms", value: Double(1 + generator.next() % 900)),
                            MeasurementField(name: "bytes", value: Double(generator.next() % 20_000)),
                        ]
                        : [
                            MeasurementField(name: "load_avg_1m", value: 1),
                            MeasurementField(name: "load_avg_5m", value: 1),
                            MeasurementField(name: "load_avg_15m", value: 1),
                        ]
                    let measurement = DrainpipeCore.Measurement(
                        type: type, owner: owner, processType: "web", metric: type.platformMetricName, time: time,
                        receivedAt: Self.base, fields: fields,
                        events: type == .routerRequests ? ["status_\(2 + generator.next() % 4)xx"] : [])
                    aggregator.apply(measurement, offset: offset, messageTime: Self.base)
                    offset += 1
                }
            }
            let grown = Self.residentBytes() - before
            let footprint = aggregator.footprint
            say(
                "memory, \(name): \(groups) groups, \(footprint.openWindows) open "
                    + "windows, \(footprint.openSeries) (series, window) accumulators"
            )
            say(
                "  resident growth \(grown / groups) bytes per group; estimate \(footprint.approximateBytes / groups) "
                    + "bytes per group without sketches + \(footprint.sketchBytes / groups) bytes of sketch buckets"
            )
            kept.append(aggregator)
        }
        say("  (\(kept.count) aggregators held)")
    }

    // MARK: - Through the broker

    func throughBroker() async throws {
        var logger = Logger(label: "bench-aggregator")
        logger.logLevel = .error
        // Only the chosen raw version's topics: the producer writes the highest version declared.
        let declared = try TopicCatalog(contentsOf: "topics.yaml")
        let catalog = TopicCatalog(
            topics: declared.topics.filter { $0.role != .raw || $0.wireVersion == rawWireVersion })
        let cluster = try EmbeddedKafkaCluster(logger: logger)
        defer { cluster.close() }
        for topic in catalog.topics {
            try cluster.createTopic(name: topic.name, partitions: topic.partitions)
        }
        let kafka = cluster.connection()
        let producer = try KafkaProducer(connection: kafka, clientID: "bench-producer", logger: logger)
        let records = rawRecords(catalog: catalog, kafka: kafka)
        var ends: [Int32: Int64] = [:]
        var partitionBytes: [Int32: Int] = [:]
        for record in records {
            ends[record.partition, default: 0] += 1
            partitionBytes[record.partition, default: 0] += record.value.count
        }
        // Beyond this the mock silently drops a partition's oldest records, and the run would never finish.
        let largestPartition = partitionBytes.values.max() ?? 0
        guard largestPartition < 5 << 20 - 64 << 10 else {
            throw ValidationError(
                "a partition would hold \(largestPartition) bytes; the mock keeps 5 MiB: use fewer measurements")
        }
        say(
            "consume → aggregate → produce: \(brokerMeasurements) router measurements in \(records.count) records "
                + "(raw wire version \(rawWireVersion)) in \(ends.count) partitions of the embedded broker, "
                + "at most \(largestPartition) bytes in one")
        if serviceOnly {
            try await Self.send(records, through: producer)
        } else {
            try await parts(records: records, ends: ends, producer: producer, kafka: kafka, logger: logger)
        }
        for _ in 0..<serviceRounds {
            for (name, options) in [
                ("librdkafka defaults", KafkaConsumer.Options.librdkafkaDefaults),
                ("production options", KafkaConsumer.Options()),
            ] {
                progress("bench: whole service, \(name)")
                let run = try await service(
                    options: options, groupID: "bench-\(UUID())", ends: ends, catalog: catalog, producer: producer,
                    kafka: kafka, logger: logger)
                var whole = BenchmarkResult(
                    "  whole service, \(name), from start (connect, assign, consume, aggregate, publish)",
                    count: brokerMeasurements, unit: "measurements", cpuClock: nil)
                whole.record(wallSeconds: run.seconds)
                say(whole.line + ", \(run.summaries) summaries published")
                say("    " + run.phases(measurements: brokerMeasurements))
            }
        }
        await producer.close()
    }

    /// The broker stage's records: requests as a drain sends them (one owner's measurements, up to
    /// --request-measurements at a time) of 1 000 owners × 3 process types spread over all 32 partitions, with
    /// every time accepted. Made in chunks of one request per owner, so a large corpus never sits in memory whole.
    func rawRecords(catalog: TopicCatalog, kafka: KafkaConnection) -> [KafkaRecord] {
        let owners = 1_000
        let chunk = owners * requestMeasurements
        return stride(from: 0, to: brokerMeasurements, by: chunk).flatMap { first in
            let corpus = Self.routerCorpus(
                count: min(chunk, brokerMeasurements - first), owners: owners, seed: 4 &+ UInt64(first),
                firstIndex: first)
            return Dictionary(grouping: corpus, by: \.owner).sorted { $0.key < $1.key }.flatMap { _, lines in
                stride(from: 0, to: lines.count, by: requestMeasurements).flatMap { start in
                    catalog.rawRecords(
                        for: Array(lines[start..<min(start + requestMeasurements, lines.count)]),
                        timestamp: Self.base, in: kafka)
                }
            }
        }
    }

    /// Produce-only, decode-only and consume-only over `records`, which end up on the broker.
    func parts(
        records: [KafkaRecord], ends: [Int32: Int64], producer: KafkaProducer, kafka: KafkaConnection,
        logger: Logger
    ) async throws {
        let rawVersion = rawWireVersion
        let measurementCount = brokerMeasurements
        progress("bench: produce-only")
        var produced = BenchmarkResult(
            "  produce-only (KafkaProducer.send, 50 000 records per call, acks=all)", count: measurementCount,
            unit: "measurements", cpuClock: .process)
        let producing = produced.startRound()
        try await Self.send(records, through: producer)
        produced.finish(producing)
        let harness = BenchmarkHarness(rounds: 1)
        say(produced.line)
        let decoded = try harness.run(
            "  decode-only (raw wire version \(rawVersion), no broker)", count: measurementCount, unit: "measurements",
            rounds: 3
        ) {
            for record in records { _ = try Self.decode(record.value, rawWireVersion: rawVersion) }
        }
        say(decoded.line)
        let rawPartitions = ends.keys.map { TopicPartition(topic: records[0].topic, partition: $0) }
        // Alternating, twice each, so neither option set profits from going second.
        for (name, options) in [
            ("librdkafka defaults", KafkaConsumer.Options.librdkafkaDefaults),
            ("production options", KafkaConsumer.Options()),
            ("librdkafka defaults", KafkaConsumer.Options.librdkafkaDefaults),
            ("production options", KafkaConsumer.Options()),
        ] {
            for decoding in [false, true] {
                let consumed = try harness.run(
                    "  consume-only, \(name)\(decoding ? ", decoding each message" : "")", count: measurementCount,
                    unit: "measurements", cpuClock: .process
                ) {
                    try drain(
                        rawPartitions, count: records.count, options: options, decoding: decoding, kafka: kafka,
                        logger: logger)
                }
                say(consumed.line)
            }
        }
        // Which option matters: the librdkafka defaults with one option changed.
        let defaults = KafkaConsumer.Options.librdkafkaDefaults
        var shorterWait = defaults
        shorterWait.fetchWaitMax = .milliseconds(100)
        var largerFetches = defaults
        largerFetches.maxPartitionFetchBytes = 4 << 20
        var deeperQueue = defaults
        deeperQueue.queuedMinMessages = 1_000_000
        for (name, options) in [
            ("fetch.wait.max.ms 100", shorterWait), ("max.partition.fetch.bytes 4 MiB", largerFetches),
            ("queued.min.messages 1 000 000", deeperQueue),
        ] {
            let consumed = try harness.run(
                "  consume-only, librdkafka defaults but \(name), decoding each message", count: measurementCount,
                unit: "measurements", cpuClock: .process
            ) {
                try drain(
                    rawPartitions, count: records.count, options: options, decoding: true, kafka: kafka,
                    logger: logger)
            }
            say(consumed.line)
        }
    }

    /// Sends `records` 50 000 at a time.
    static func send(_ records: [KafkaRecord], through producer: KafkaProducer) async throws {
        for start in stride(from: 0, to: records.count, by: 50_000) {
            try await producer.send(Array(records[start..<min(start + 50_000, records.count)]))
        }
    }

    /// One run of the whole service, timed from its start.
    ///
    /// Every record is on the broker before the service starts, so all of it is replay: the service publishes a
    /// partition's summaries only once it has applied the partition through its end at start. The steady state is
    /// therefore read from the replay still to do, which the service reports at every flush (every 100 ms).
    struct ServiceRun {
        /// Until every partition's last measurement was published.
        var seconds: Double
        var summaries: Int
        /// Until the consumer was assigned: connecting, reading committed offsets and watermarks, claiming.
        var assigned: Double
        /// Until the replay still to do was first at most 90 % and 10 % of the records.
        var tenPercentApplied: Double
        var ninetyPercentApplied: Double
        /// CPU seconds of the whole process (the service, the embedded broker, librdkafka's threads) in the run.
        var processCPUSeconds: Double

        /// "start-up (until assigned) 0.010 s; steady state, 10 % → 90 % of the records applied in 2.1 s = … /s;
        /// the last 10 % and publishing every summary 0.4 s".
        func phases(measurements: Int) -> String {
            let steady = Double(measurements) * 0.8 / (ninetyPercentApplied - tenPercentApplied)
            return "start-up (until assigned) \(BenchmarkResult.seconds(assigned)); steady state, 10 % → 90 % of "
                + "the records applied in \(BenchmarkResult.seconds(ninetyPercentApplied - tenPercentApplied)) = "
                + "\(Int(steady.rounded())) measurements/s; the last 10 % and publishing every summary "
                + BenchmarkResult.seconds(seconds - ninetyPercentApplied) + "; process CPU "
                + BenchmarkResult.seconds(processCPUSeconds) + " = "
                + "\(Int((Double(measurements) / processCPUSeconds).rounded())) measurements per CPU second"
        }
    }

    /// A fresh aggregator (its own consumer group) from start until every partition's last measurement is
    /// published: how long its phases took and how many summaries it published by then.
    func service(
        options: KafkaConsumer.Options, groupID: String, ends: [Int32: Int64], catalog: TopicCatalog,
        producer: KafkaProducer, kafka: KafkaConnection, logger: Logger
    ) async throws -> ServiceRun {
        let publisher = VersionTrackingPublisher(
            producer: producer, rawTopic: catalog.topic(.raw, for: .routerRequests), kafka: kafka)
        var settings = AggregatorService<ContinuousClock>.Settings(
            topics: catalog, kafka: kafka, assignment: try WorkerAssignment(workerIndex: 0, workerCount: 1),
            windows: .production, flushInterval: .milliseconds(flushMilliseconds), types: [.routerRequests],
            groupID: groupID, consumer: options)
        if let pollMessages { settings.pollMessages = pollMessages }
        let aggregator = AggregatorService(
            settings: settings, clock: ContinuousClock(), publisher: publisher, metrics: NOOPMetricsHandler.instance,
            logger: logger)
        let clock = ContinuousClock()
        let started = clock.now
        let startedCPU = CPUClock.process.seconds()
        let records = ends.values.reduce(0, +)
        let result = try await withThrowingTaskGroup(of: ServiceRun?.self) { group in
            group.addTask {
                try await aggregator.run()
                return nil
            }
            group.addTask {
                // When it was assigned, and when 90 % and 10 % of the replay were left.
                var marks: [Duration?] = [nil, nil, nil]
                // Every partition's last measurement (version = its end offset) has been published.
                while !publisher.hasPublished(through: ends) {
                    if let left = aggregator.readiness.messagesToReplay {
                        for (mark, reached) in [true, left * 10 <= records * 9, left * 10 <= records].enumerated()
                        where reached && marks[mark] == nil {
                            marks[mark] = clock.now - started
                        }
                    }
                    try await Task.sleep(for: .milliseconds(1))
                }
                let end = clock.now - started
                return ServiceRun(
                    seconds: end.inSeconds, summaries: publisher.summaryCount, assigned: (marks[0] ?? end).inSeconds,
                    tenPercentApplied: (marks[1] ?? end).inSeconds, ninetyPercentApplied: (marks[2] ?? end).inSeconds,
                    processCPUSeconds: CPUClock.process.seconds() - startedCPU)
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let result else { throw ValidationError("the aggregator stopped before publishing everything") }
        return result
    }
}

extension BenchAggregatorCommand {
    /// The measurements of one raw record of `rawWireVersion`.
    static func decode(_ value: [UInt8], rawWireVersion: Int) throws -> [DrainpipeCore.Measurement] {
        try rawWireVersion == 2
            ? MeasurementBatchWire.decode(value) : [DrainpipeCore.Measurement(wireBytes: value)]
    }

    /// Reads `count` messages from the start of `partitions` with a fresh consumer, created here.
    func drain(
        _ partitions: [TopicPartition], count: Int, options: KafkaConsumer.Options, decoding: Bool,
        kafka: KafkaConnection, logger: Logger
    ) throws {
        let clock = ContinuousClock()
        let started = clock.now
        let consumer = try KafkaConsumer(
            connection: kafka, groupID: "bench-drain-\(UUID())", clientID: "bench-drain", options: options,
            logger: logger)
        defer { consumer.close() }
        try consumer.assign(Dictionary(uniqueKeysWithValues: partitions.map { ($0, StartOffset.beginning) }))
        var received = 0
        var decodedBytes = 0
        while received < count {
            let messages = try consumer.poll(maxMessages: 10_000, timeout: .milliseconds(100))
            received += messages.count
            if decoding {
                for message in messages {
                    for measurement in try Self.decode(message.value, rawWireVersion: rawWireVersion) {
                        decodedBytes &+= measurement.owner.utf8.count
                    }
                }
            }
            guard clock.now - started < .seconds(120) else {
                throw ValidationError("consume-only drained \(received) of \(count) in 120 s")
            }
        }
    }
}

/// Forwards to a producer and remembers, per raw partition, the highest summary version published.
final class VersionTrackingPublisher: RecordPublisher, Sendable {
    let producer: KafkaProducer
    let rawTopic: TopicCatalog.Topic
    let kafka: KafkaConnection
    private let highest = SynchronizedHighest()

    init(producer: KafkaProducer, rawTopic: TopicCatalog.Topic, kafka: KafkaConnection) {
        self.producer = producer
        self.rawTopic = rawTopic
        self.kafka = kafka
    }

    func send(_ records: [KafkaRecord]) async throws(KafkaError) {
        try await producer.send(records)
        var versions: [Int32: Int64] = [:]
        for record in records {
            guard let summary = try? Summary(wireBytes: record.value) else { continue }
            let partition = rawTopic.partition(owner: summary.key.owner, processType: summary.key.processType)
            versions[partition] = max(versions[partition] ?? 0, summary.version)
        }
        highest.raise(to: versions, published: records.count)
    }

    func hasPublished(through ends: [Int32: Int64]) -> Bool { highest.reaches(ends) }
    var summaryCount: Int { highest.published }
}

/// The highest version per partition, behind a lock.
final class SynchronizedHighest: Sendable {
    private let state = Mutex<(versions: [Int32: Int64], published: Int)>(([:], 0))

    func raise(to versions: [Int32: Int64], published: Int) {
        state.withLock { state in
            for (partition, version) in versions {
                state.versions[partition] = max(state.versions[partition] ?? 0, version)
            }
            state.published += published
        }
    }

    func reaches(_ ends: [Int32: Int64]) -> Bool {
        state.withLock { state in ends.allSatisfy { state.versions[$0.key] ?? 0 >= $0.value } }
    }

    var published: Int { state.withLock { $0.published } }
}
