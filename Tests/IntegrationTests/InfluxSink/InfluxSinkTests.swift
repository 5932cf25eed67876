import DrainpipeTestSupport
import Foundation
import Logging
import Metrics
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipePostgres

/// The influx-sink beside the postgres-sink on real parts: the embedded (or real) Kafka, Postgres scratch
/// databases and Debian's InfluxDB 1.6, started by the README's test command. Serialized: one test stops and
/// restarts the InfluxDB server all of them use (each in databases of its own).
@Suite("influx-sink", .serialized)
struct InfluxSinkTests {
    /// Outages here last `DRAINPIPE_TEST_OUTAGE_SECONDS` (default 8 s), not the issue's 60 s: with the retry
    /// loop's back-off capped at 1 s and the shard gate at 2 s, both are at their caps for most of the outage,
    /// which is what the test proves, and the whole suite stays near a minute.
    static let outage = Duration.seconds(
        Int64(ProcessInfo.processInfo.environment["DRAINPIPE_TEST_OUTAGE_SECONDS"] ?? "") ?? 8)

    @Test(
        "a seeded workload through the aggregator: every summary Postgres stores is in InfluxDB, equal field by field",
        .timeLimit(.minutes(3)))
    func sameSummariesInBothStores() async throws {
        let parts = try await Parts(label: "influx_same")
        defer { parts.drop() }
        let workload = AggregatorWorkload(seed: 13, count: 3_000)
        try await parts.producer.send(workload.records(0..<3_000, topics: parts.topics, kafka: parts.kafka))
        // Names only a summary topic can bring (ingress would refuse some): quotes, spaces, commas, equals
        // signs, backslashes, non-ASCII, Graphite paths over 1 KB.
        let hostile = (0..<40).map { index in
            Summary(
                key: SeriesKey(
                    type: .customMetrics, owner: "owner \(index % 4), \"=\\ é",
                    processType: Self.hostileProcessTypes[index % Self.hostileProcessTypes.count],
                    metric: Self.graphitePath(index), windowStart: AggregatorWorkload.base, periodSeconds: 60),
                version: Int64(index + 1), fields: ["value": FieldStatistics(value: Double(index) / 8)])
        }
        try await parts.producer.send(hostile.map { parts.topics.summaryRecord(for: $0, in: parts.kafka) })
        let aggregator = AggregatorService(
            settings: .init(
                topics: parts.topics, kafka: parts.kafka, assignment: parts.everything,
                windows: AggregatorWorkload.settings, flushInterval: .milliseconds(100), types: [.routerRequests]),
            clock: ContinuousClock(), publisher: parts.producer, metrics: NOOPMetricsHandler.instance,
            logger: parts.logger)

        let rawTopic = parts.kafka.topicName(parts.topics.topic(.raw, for: .routerRequests).name)
        let truth = try AggregatorWorkload.groundTruth(
            of: AggregatorWorkload.readAll(topic: rawTopic, partitions: 32, kafka: parts.kafka, logger: parts.logger)
        ).merging(hostile.map { ($0.key, $0) }) { $1 }
        let types: [MeasurementType] = [.routerRequests, .customMetrics]
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await aggregator.run() }
            for runner in parts.postgresRunners(types: types) + parts.influxRunners(types: types) {
                group.addTask { try await runner.run() }
            }
            try await InfluxStore.waitUntil(within: .seconds(90), "both stores hold every summary's latest version") {
                let stored = try await parts.postgresSummaries(of: truth.keys)
                let versions = try await parts.influx.versions(of: types)
                return truth.allSatisfy { key, summary in
                    stored[key]?.version == summary.version
                        && versions[InfluxStore.PointKey(key)] == summary.version
                }
            }
            group.cancelAll()
        }

        // Field by field against what Postgres stores (sketches included, so the quantiles are the API's).
        let stored = try await parts.postgresSummaries(of: truth.keys)
        #expect(stored.count == truth.count && truth.count > 200)
        var points: [InfluxStore.PointKey: [String: Double]] = [:]
        for type in types { points.merge(try await parts.influx.points(of: type)) { $1 } }
        #expect(points.count == truth.count, "one point per summary, nothing else")
        var different: [String] = []
        for (key, summary) in stored {
            let point = points[InfluxStore.PointKey(key)] ?? [:]
            let expected = InfluxStore.expectedFields(of: summary)
            guard point != expected else { continue }
            let fields = Set(point.keys).union(expected.keys).filter { point[$0] != expected[$0] }.sorted()
            let shown = fields.map { field in
                "\(field): \(point[field].map { "\($0)" } ?? "-") ≠ \(expected[field].map { "\($0)" } ?? "-")"
            }
            different.append("\(key): " + shown.joined(separator: ", "))
        }
        #expect(different.isEmpty, "\(different.count) points differ, e.g. \(different.first ?? "")")
        #expect(stored.values.contains { !$0.sketches.isEmpty && !$0.counts.isEmpty })
        await parts.producer.close()
    }

    @Test(
        "Postgres down: InfluxDB keeps receiving, the postgres retry path fills and drains, both end at the latest",
        .timeLimit(.minutes(3)))
    func postgresOutageLeavesInfluxAlone() async throws {
        try await Self.isolation(stoppingInfluxDB: false)
    }

    @Test(
        "InfluxDB down: Postgres keeps receiving and the influx retry path fills and drains",
        .timeLimit(.minutes(4)))
    func influxOutageLeavesPostgresAlone() async throws {
        try await Self.isolation(stoppingInfluxDB: true)
    }

    /// A steady stream of new versions of 48 load summaries through both sinks, with InfluxDB stopped for
    /// ``outage`` (when `stopInflux`) and then both Postgres shards refusing connections for as long.
    static func isolation(stoppingInfluxDB stopInflux: Bool) async throws {
        let parts = try await Parts(label: "influx_isolation")
        defer { parts.drop() }
        let keys = (0..<48).map { index in
            SeriesKey(
                type: .dynoLoad, owner: UUID().uuidString.lowercased(), processType: ["web", "worker"][index % 2],
                metric: "load_avg", windowStart: AggregatorWorkload.base, periodSeconds: 60)
        }
        var version: Int64 = 0
        func produceNextVersion() async throws {
            version += 1
            let next = version
            try await parts.producer.send(
                keys.map { parts.topics.summaryRecord(for: Self.summary(of: $0, version: next), in: parts.kafka) })
        }
        func postgresVersions() async throws -> [Int64] {
            let stored = try await parts.postgresSummaries(of: keys)
            return keys.map { stored[$0]?.version ?? 0 }
        }
        func influxVersions() async throws -> [Int64] {
            let stored = try await parts.influx.versions(of: [.dynoLoad])
            return keys.map { stored[InfluxStore.PointKey($0)] ?? 0 }
        }
        /// Produces a version every 250 ms for `outage`; returns the one produced halfway.
        func produceThroughOutage() async throws -> Int64 {
            let end = ContinuousClock.now + Self.outage
            var halfway: Int64?
            while ContinuousClock.now < end {
                try await produceNextVersion()
                if halfway == nil, end - ContinuousClock.now <= Self.outage / 2 { halfway = version }
                try await Task.sleep(for: .milliseconds(250))
            }
            return try #require(halfway)
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for runner in parts.postgresRunners(types: [.dynoLoad]) + parts.influxRunners(types: [.dynoLoad]) {
                group.addTask { try await runner.run() }
            }
            try await produceNextVersion()
            try await InfluxStore.waitUntil(within: .seconds(30), "both stores receive") {
                let postgres = try await postgresVersions()
                let influx = try await influxVersions()
                return postgres.allSatisfy { $0 == 1 } && influx.allSatisfy { $0 == 1 }
            }

            if stopInflux {
                // InfluxDB stopped: Postgres and the postgres-sink's offsets keep moving.
                try TestInflux.stop()
                let committedBefore = try parts.committedTotal(group: "drainpipe-postgres-sink", role: .summary)
                let halfway = try await produceThroughOutage()
                try await InfluxStore.waitUntil(within: .seconds(10), "Postgres keeps receiving during the outage") {
                    try await postgresVersions().allSatisfy { $0 >= halfway }
                }
                #expect(try parts.committedTotal(group: "drainpipe-postgres-sink", role: .summary) > committedBefore)
                #expect(try parts.retryTopicTotal(sink: "influx") > 0, "the influx-sink's retry path filled")
                #expect(try parts.retryTopicTotal(sink: "postgres") == 0, "nothing went to the postgres retry path")
                try TestInflux.start()
                for _ in 0..<4 {
                    try await produceNextVersion()
                    try await Task.sleep(for: .milliseconds(250))
                }
                let afterInfluxOutage = version
                try await InfluxStore.waitUntil(within: .seconds(60), "InfluxDB catches up to the latest version") {
                    try await influxVersions().allSatisfy { $0 == afterInfluxOutage }
                }
                try await InfluxStore.waitUntil(within: .seconds(30), "the influx retry path drains") {
                    try parts.retryBacklog(sink: "influx", group: "drainpipe-influx-retry-sink") == 0
                }
            }

            // Postgres stopped (both shards refuse connections): InfluxDB keeps receiving.
            for shard in parts.shards { try shard.refuseConnections() }
            let postgresHalfway = try await produceThroughOutage()
            try await InfluxStore.waitUntil(within: .seconds(10), "InfluxDB keeps receiving during the outage") {
                try await influxVersions().allSatisfy { $0 >= postgresHalfway }
            }
            #expect(try parts.retryTopicTotal(sink: "postgres") > 0, "the postgres retry path filled")
            for shard in parts.shards { try shard.allowConnections() }
            for _ in 0..<4 {
                try await produceNextVersion()
                try await Task.sleep(for: .milliseconds(250))
            }
            let latest = version
            try await InfluxStore.waitUntil(within: .seconds(60), "both stores hold the latest version") {
                let postgres = try await postgresVersions()
                let influx = try await influxVersions()
                return postgres.allSatisfy { $0 == latest } && influx.allSatisfy { $0 == latest }
            }
            group.cancelAll()
        }
        // Once each, with the latest version's values.
        let points = try await parts.influx.points(of: .dynoLoad)
        #expect(points.count == keys.count)
        for key in keys {
            #expect(
                points[InfluxStore.PointKey(key)]
                    == InfluxStore.expectedFields(of: Self.summary(of: key, version: version)))
        }
        await parts.producer.close()
    }

    @Test("an influx-sink started after the workload finished receives every summary's latest version")
    func lateSinkGetsHistory() async throws {
        let parts = try await Parts(label: "influx_late")
        defer { parts.drop() }
        let keys = (0..<300).map { index in
            SeriesKey(
                type: .customMetrics, owner: "late-\(index % 7)", processType: Self.hostileProcessTypes[index % 4],
                metric: Self.graphitePath(index),
                windowStart: AggregatorWorkload.base + .seconds(60 * Int64(index % 3)),
                periodSeconds: 60)
        }
        for version in Int64(1)...3 {
            try await parts.producer.send(
                keys.enumerated().filter { version < 3 || $0.offset % 2 == 0 }.map {
                    parts.topics.summaryRecord(for: Self.summary(of: $0.element, version: version), in: parts.kafka)
                })
        }
        let latest = Dictionary(
            uniqueKeysWithValues: keys.enumerated().map { ($0.element, Int64($0.offset % 2 == 0 ? 3 : 2)) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            for runner in parts.influxRunners(types: [.customMetrics]) { group.addTask { try await runner.run() } }
            try await InfluxStore.waitUntil(within: .seconds(30), "the late sink holds every latest version") {
                let versions = try await parts.influx.versions(of: [.customMetrics])
                return keys.allSatisfy { versions[InfluxStore.PointKey($0)] == latest[$0] }
            }
            group.cancelAll()
        }
        let points = try await parts.influx.points(of: .customMetrics)
        #expect(points.count == keys.count)
        #expect(
            keys.allSatisfy {
                points[InfluxStore.PointKey($0)]
                    == InfluxStore.expectedFields(of: Self.summary(of: $0, version: latest[$0]!))
            })
    }

    @Test(
        "the influx-sink executable killed with SIGKILL at random moments: nothing missing, no older version wins",
        .timeLimit(.minutes(3)))
    func killNine() async throws {
        let parts = try await Parts(label: "influx_kill")
        defer { parts.drop() }
        let keys = (0..<400).flatMap { index in
            let owner = UUID().uuidString.lowercased()
            return [
                SeriesKey(
                    type: .dynoLoad, owner: owner, processType: "web", metric: "load_avg",
                    windowStart: AggregatorWorkload.base, periodSeconds: 60),
                SeriesKey(
                    type: .customMetrics, owner: owner, processType: Self.hostileProcessTypes[index % 4],
                    metric: Self.graphitePath(index), windowStart: AggregatorWorkload.base, periodSeconds: 60),
            ]
        }
        // Each round a newer version of some of the keys, in order, as the aggregator publishes them.
        let rounds: [[(SeriesKey, Int64)]] = [
            keys.map { ($0, 1) }, keys.map { ($0, 2) },
            keys.enumerated().filter { $0.offset % 2 == 0 }.map { ($0.element, 3) },
            keys.enumerated().filter { $0.offset % 3 == 0 }.map { ($0.element, 4) },
            keys.enumerated().filter { $0.offset % 5 == 0 }.map { ($0.element, 5) },
        ]
        var latest: [SeriesKey: Int64] = [:]
        for round in rounds { for (key, version) in round { latest[key] = version } }
        let environment = [
            "KAFKA_URL": ProcessInfo.processInfo.environment["TEST_KAFKA_URL"] ?? "",
            "KAFKA_PREFIX": parts.kafka.prefix, "INFLUX_URL": parts.database.urlText, "DYNO": "influx_sink.1",
            "INFLUX_BATCH_SIZE": "10", "INFLUX_BATCH_WAIT": "50ms",
            "DRAINPIPE_TOPICS": Self.repository.appendingPathComponent("topics.yaml").path,
        ]
        func storedAtLeast(_ version: Int64) async throws -> Int {
            try await parts.influx.versions(of: [.dynoLoad, .customMetrics]).values.filter { $0 >= version }.count
        }
        var generator = SplitMix64(seed: 11)
        var partialKills = 0
        for (index, round) in rounds.enumerated() {
            let sink = try ServiceProcess("influx-sink", environment: environment)
            try await parts.producer.send(
                round.map { parts.topics.summaryRecord(for: Self.summary(of: $0.0, version: $0.1), in: parts.kafka) })
            let newest = round[0].1
            // The first kill comes early (5 %), so one kill lands mid-round even when a busy machine makes the
            // polling below slow next to the sink; the others at a random share (5–90 %).
            let share = index == 0 ? 5 : Int(5 + generator.next() % 86)
            let target = max(1, round.count * share / 100)
            let deadline = ContinuousClock.now + .seconds(20)
            while (try? await storedAtLeast(newest)) ?? 0 < target, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(sink.isRunning, "the sink died on its own: \(sink.output.suffix(2_000))")
            sink.kill()
            if try await storedAtLeast(newest) < round.count { partialKills += 1 }
        }
        #expect(partialKills > 0, "no kill landed before the sink had finished its round")

        let sink = try ServiceProcess("influx-sink", environment: environment)
        try await InfluxStore.waitUntil(within: .seconds(60), "every series holds its newest version") {
            let versions = try await parts.influx.versions(of: [.dynoLoad, .customMetrics])
            return keys.allSatisfy { versions[InfluxStore.PointKey($0)] == latest[$0] }
        }
        #expect(sink.terminate() == 0, "the sink did not stop cleanly: \(sink.output.suffix(2_000))")
        var points: [InfluxStore.PointKey: [String: Double]] = [:]
        for type in [MeasurementType.dynoLoad, .customMetrics] {
            points.merge(try await parts.influx.points(of: type)) { $1 }
        }
        #expect(points.count == keys.count)
        let wrong = keys.filter {
            points[InfluxStore.PointKey($0)]
                != InfluxStore.expectedFields(of: Self.summary(of: $0, version: latest[$0]!))
        }
        #expect(
            wrong.isEmpty,
            "\(wrong.count) series do not hold their newest version, e.g. \(wrong.first.map { "\($0)" } ?? "")")
        await parts.producer.close()
    }

    // MARK: - Workload

    /// Process types with quotes, spaces, commas, equals signs, backslashes (never last) and non-ASCII.
    static let hostileProcessTypes = ["quote'd \"q\"", "comma,equals=sign", "bs\\ \\, \\= \\n mid\\dle", "é中文 📈"]

    /// A Graphite path; every third over 1 KB and full of characters line protocol escapes.
    static func graphitePath(_ index: Int) -> String {
        index % 3 == 0
            ? String(repeating: "long.\\path, a=b 'é'.", count: 1024 / 20 + 1) + "\(index)"
            : "servers.host-\(index).cpu.user"
    }

    /// Version `version` of `key`'s summary; its values follow from key and version, so a stale point shows.
    static func summary(of key: SeriesKey, version: Int64) -> Summary {
        let value = Double(version) + Double(key.metric.utf8.count % 7) / 8
        let statistics = FieldStatistics(
            count: UInt64(version), sum: value, sumOfSquares: value * value, minimum: -value, maximum: value)
        let fields =
            key.type == .dynoLoad
            ? ["load_avg_1m": statistics, "load_avg_5m": statistics, "load_avg_15m": statistics] : ["value": statistics]
        return Summary(key: key, version: version, fields: fields)
    }

    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// One test's Kafka prefix, two Postgres scratch shards, an InfluxDB database, and the sinks over them.
private struct Parts {
    let kafka: KafkaConnection
    let topics: TopicCatalog
    let shards: [ScratchDatabase]
    let database: TestInflux.Database
    let influx: InfluxStore
    let producer: KafkaProducer
    let logger: Logger
    let everything: WorkerAssignment

    init(label: String) async throws {
        kafka = try await TestServers.kafka(prefixedWith: label.replacingOccurrences(of: "_", with: "-"))
        topics = try TestServers.topicCatalog()
        shards = [try ScratchDatabase.create("\(label)_a"), try ScratchDatabase.create("\(label)_b")]
        database = try await TestInflux.database(label)
        influx = InfluxStore(database)
        var logger = Logger(label: label)
        logger.logLevel = .critical
        self.logger = logger
        producer = try KafkaProducer(connection: kafka, clientID: label, logger: logger)
        everything = try WorkerAssignment(workerIndex: 0, workerCount: 1)
    }

    func drop() {
        for shard in shards { try? shard.drop() }
    }

    /// The postgres-sink's and retry-sink's loops, with the outage test's short gate and back-off.
    func postgresRunners(types: [MeasurementType]) -> [SinkRunner] {
        let database = PostgresSummaryDestination(
            database: ShardedDatabase(
                shards: shards.map(\.url), connectTimeout: .seconds(2), reconnectInterval: .milliseconds(500),
                maximumReconnectInterval: .seconds(2), logger: logger))
        return [SinkMode.primary, .retry].map { mode in
            SinkRunner(
                settings: .postgres(
                    mode: mode, topics: topics, kafka: kafka, assignment: everything, types: types,
                    retryDelay: .milliseconds(50), maximumRetryDelay: .seconds(1)),
                destination: database, publisher: producer, metrics: NOOPMetricsHandler.instance, logger: logger)
        }
    }

    /// The influx-sink's two loops, as `InfluxSinkProcess` builds them, with a short back-off.
    func influxRunners(types: [MeasurementType]) -> [SinkRunner] {
        let client = InfluxClient(url: database.url, gzip: true, timeout: .seconds(2))
        let lock = InfluxWriteLock()
        return [(SinkMode.primary, InfluxSummaryDestination.Guard.none), (.retry, .newerVersionsOnly)].map {
            mode, versionGuard in
            SinkRunner(
                settings: SinkSettings(
                    sink: InfluxSink.name, mode: mode, topics: topics, kafka: kafka, assignment: everything,
                    pollLimit: 1000, batchWait: .milliseconds(50), types: types, retryDelay: .milliseconds(50),
                    maximumRetryDelay: .seconds(1)),
                destination: InfluxSummaryDestination(client: client, guard: versionGuard, lock: lock),
                publisher: producer, metrics: NOOPMetricsHandler.instance, logger: logger)
        }
    }

    /// The summaries Postgres stores for `keys`, by key.
    func postgresSummaries(of keys: some Collection<SeriesKey>) async throws -> [SeriesKey: Summary] {
        let database = ShardedDatabase(shards: shards.map(\.url), logger: logger)
        var stored: [SeriesKey: Summary] = [:]
        let wanted = Set(keys)
        var owners: [MeasurementType: Set<String>] = [:]
        for key in keys { owners[key.type, default: []].insert(key.owner) }
        let start = keys.map(\.windowStart).min() ?? .init(secondsSinceEpoch: 0)
        let end = (keys.map(\.windowStart).max() ?? start) + .seconds(60)
        for (type, typeOwners) in owners {
            for owner in typeOwners {
                for summary in try await database.summaries(
                    type: type, owner: owner, processType: nil, metric: nil, from: start, to: end)
                where wanted.contains(summary.key) {
                    stored[summary.key] = summary
                }
            }
        }
        return stored
    }

    /// Offsets a group has committed on every partition of the topics of `role` (summary topics here).
    func committedTotal(group: String, role: TopicCatalog.Role) throws -> Int64 {
        let consumer = try KafkaConsumer(
            connection: kafka, groupID: kafka.groupID(group), clientID: "influx-test-observer", logger: logger)
        defer { consumer.close() }
        let partitions = OwnedPartitions(role: role, of: [.dynoLoad], in: topics, kafka: kafka, assignment: everything)
            .partitions
        return try consumer.committedOffsets(for: partitions, timeout: .seconds(10)).values.reduce(0) {
            $0 + max(0, $1.offset)
        }
    }

    /// Messages ever produced to `sink`'s dyno-load retry topic.
    func retryTopicTotal(sink: String) throws -> Int64 {
        let observer = try KafkaConsumer(
            connection: kafka, groupID: "influx-test-watermarks-\(UUID())", clientID: "influx-test-observer",
            logger: logger)
        defer { observer.close() }
        return try retryPartitions(sink: sink).reduce(0) { total, partition in
            let (low, high) = try observer.watermarks(for: partition, timeout: .seconds(10))
            return total + high - low
        }
    }

    /// Messages of `sink`'s dyno-load retry topic that `group` has not committed.
    func retryBacklog(sink: String, group: String) throws -> Int64 {
        let consumer = try KafkaConsumer(
            connection: kafka, groupID: kafka.groupID(group), clientID: "influx-test-observer", logger: logger)
        defer { consumer.close() }
        let partitions = retryPartitions(sink: sink)
        let committed = try consumer.committedOffsets(for: partitions, timeout: .seconds(10))
        return try partitions.reduce(0) { total, partition in
            let (low, high) = try consumer.watermarks(for: partition, timeout: .seconds(10))
            return total + high - max(low, committed[partition]?.offset ?? low)
        }
    }

    private func retryPartitions(sink: String) -> [TopicPartition] {
        let topic = topics.retryTopic(for: .dynoLoad, sink: sink)!
        return OwnedPartitions(topics: [topic], kafka: kafka, assignment: everything).partitions
    }
}
