import ArgumentParser
import Drainpipe
import DrainpipeCore
import DrainpipeKafka
import DrainpipePostgres
import Foundation
import Logging
import Metrics
import Synchronization

/// `drainpipe bench-influx`: summaries per second into one InfluxDB through the influx-sink's loop, batch size and
/// gzip varied, with the postgres-sink's loop consuming the same topic in the same run (never run by `swift test`).
struct BenchInfluxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-influx",
        abstract: "Measure the influx-sink (batch size × gzip) beside the postgres-sink on the same summary topic.",
        discussion: """
            Build with -c release. Needs a Postgres (--database-url or DATABASE_URL; \
            `deploy/start-postgres drainpipe_bench` prints one) and an InfluxDB 1.x (--influx-url or INFLUX_URL; \
            `deploy/start-influxdb drainpipe_bench` prints one). Kafka is an embedded broker of its own. Each \
            configuration produces fresh dyno-load summaries of the day --day to a topic of its own, then runs both \
            sinks' primary loops on it at once and times each until it has written them all. Writes into the \
            Postgres day schema of --day (dropped before and after) and into InfluxDB databases named \
            bench_<n> (dropped after): use scratch servers.
            """)

    @Option(help: "postgres:// URL (default: DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "http://user:password@host:port/database of an InfluxDB 1.x (default: INFLUX_URL).")
    var influxURL: String?

    @Option(help: "Summaries per configuration.")
    var summaries = 100_000

    @Option(help: "Influx batch sizes (lines per write), comma-separated.")
    var batchSizes = "1000,5000,20000"

    @Option(help: "Consecutive minutes per series (1: every summary a new series; InfluxDB's costly case).")
    var windows = 1

    @Option(help: "The UTC day (YYYY-MM-DD) of the summaries' windows.")
    var day = "2001-01-01"

    func run() async throws {
        guard let databaseText = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"],
            let influxText = influxURL ?? ProcessInfo.processInfo.environment["INFLUX_URL"]
        else { throw ValidationError("give --database-url and --influx-url (or DATABASE_URL and INFLUX_URL)") }
        let database: DatabaseURL
        let influx: InfluxURL
        do {
            database = try DatabaseURL(environmentValue: databaseText)
            influx = try InfluxURL(environmentValue: influxText)
        } catch {
            throw ValidationError("a URL is malformed: expected \(error.expected)")
        }
        guard !influx.useTLS else { throw ValidationError("--influx-url: the influx-sink speaks plain HTTP only") }
        let sizes = batchSizes.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard summaries > 0, (1...1_380).contains(windows), !sizes.isEmpty, sizes.allSatisfy({ $0 > 0 }),
            parts.count == 3,
            let schema = DaySchema(year: parts[0], month: parts[1], day: parts[2])
        else {
            throw ValidationError("--summaries and --batch-sizes must be positive, --windows 1–1380, --day a date")
        }

        var logger = Logger(label: "bench-influx")
        logger.logLevel = .error
        let admin = try PQConnection(url: database, logger: logger)
        try admin.execute("DROP SCHEMA IF EXISTS \(schema.name) CASCADE")
        defer { try? admin.execute("DROP SCHEMA IF EXISTS \(schema.name) CASCADE") }
        let window = schema.start + .seconds(3_600)
        let cluster = try EmbeddedKafkaCluster(logger: logger)
        defer { cluster.close() }
        let catalog = try TopicCatalog(contentsOf: "topics.yaml")
        say(
            "bench-influx: \(summaries) dyno-load summaries per configuration (3 fields each, \(windows) minute(s) per "
                + "series), embedded broker, "
                + "postgres \(database.redacted), influx \(influx)")

        var configurations: [(batch: Int, gzip: Bool)] = [(0, false)]  // the postgres-sink alone, the baseline
        for size in sizes { configurations += [(size, false), (size, true)] }
        var baseline: Double?
        for (index, configuration) in configurations.enumerated() {
            let kafka = cluster.connection(prefix: "c\(index).")
            for topic in [catalog.topic(.summary, for: .dynoLoad), catalog.topic(.retry, for: .dynoLoad)]
                + [catalog.retryTopic(for: .dynoLoad, sink: InfluxSink.name)].compactMap({ $0 })
            {
                try cluster.createTopic(name: kafka.topicName(topic.name), partitions: topic.partitions)
            }
            let producer = try KafkaProducer(connection: kafka, clientID: "bench-influx", logger: logger)
            let records = (0..<summaries).map { summary in
                catalog.summaryRecord(
                    for: Self.summary(summary, configuration: index, windows: windows, from: window), in: kafka)
            }
            progress("bench: configuration \(index + 1) of \(configurations.count): producing")
            for start in stride(from: 0, to: records.count, by: 50_000) {
                try await producer.send(Array(records[start..<min(start + 50_000, records.count)]))
            }
            var target = influx
            target.database = "bench_\(index)"
            let client = InfluxClient(url: target, gzip: configuration.gzip, timeout: .seconds(30))
            if configuration.batch > 0 { _ = try await client.query("CREATE DATABASE \"\(target.database)\"") }
            let counter = WrittenCounter()
            let everything = try WorkerAssignment(workerIndex: 0, workerCount: 1)
            var runners = [
                SinkRunner(
                    settings: .postgres(
                        mode: .primary, topics: catalog, kafka: kafka, assignment: everything, types: [.dynoLoad]),
                    destination: PostgresSummaryDestination(
                        database: ShardedDatabase(shards: [database], logger: logger)),
                    publisher: producer, metrics: counter, logger: logger)
            ]
            if configuration.batch > 0 {
                runners.append(
                    SinkRunner(
                        settings: SinkSettings(
                            sink: InfluxSink.name, mode: .primary, topics: catalog, kafka: kafka,
                            assignment: everything, pollLimit: configuration.batch, batchWait: .milliseconds(100),
                            types: [.dynoLoad]),
                        destination: InfluxSummaryDestination(client: client, guard: .none, lock: InfluxWriteLock()),
                        publisher: producer, metrics: counter, logger: logger))
            }
            progress("bench: configuration \(index + 1) of \(configurations.count): sinking")
            let started = ContinuousClock.now
            let finished = try await withThrowingTaskGroup(of: Void.self) { group in
                for runner in runners { group.addTask { try await runner.run() } }
                let finished = await counter.waitUntil(each: runners.map(\.settings.sink), reaches: summaries)
                group.cancelAll()
                try await group.waitForAll()
                return finished
            }
            let rates = finished.mapValues { Double(summaries) / ($0 - started).inSeconds }
            let postgres = rates[TopicCatalog.postgresSink] ?? .nan
            if configuration.batch == 0 {
                baseline = postgres
                say(
                    String(format: "  postgres-sink alone: %.0f summaries/s", postgres)
                        + Self.retriedNote(counter.retried(by: TopicCatalog.postgresSink)))
            } else {
                say(
                    "  influx batch \(configuration.batch), gzip \(configuration.gzip ? "on" : "off"): "
                        + String(
                            format: "influx-sink %.0f summaries/s; postgres-sink beside it %.0f summaries/s "
                                + "(%.2f× its rate alone)",
                            rates[InfluxSink.name] ?? .nan, postgres, postgres / (baseline ?? .nan))
                        + Self.retriedNote(
                            counter.retried(by: InfluxSink.name) + counter.retried(by: TopicCatalog.postgresSink)))
                _ = try? await client.query("DROP DATABASE \"\(target.database)\"")
            }
            await producer.close()
        }
    }

    /// Says how many summaries went to a retry topic instead of the store (a write that timed out): they count as
    /// dealt with, so the rate above includes them.
    static func retriedNote(_ retried: Int64) -> String {
        retried == 0 ? "" : " [\(retried) summaries to a retry topic after failed writes, counted in the rate]"
    }

    /// Summary `index` of a configuration: owners of its own (so neither store has seen the series), 20 process types,
    /// three load fields; `windows` consecutive minutes of each series, so InfluxDB creates `1 / windows` of a new
    /// series per summary.
    static func summary(_ index: Int, configuration: Int, windows: Int, from window: EventTime) -> Summary {
        let series = index / windows
        let statistics = FieldStatistics(
            count: 4, sum: Double(index % 97) / 4, sumOfSquares: Double(index % 89), minimum: 0.25,
            maximum: Double(index % 13))
        return Summary(
            key: SeriesKey(
                type: .dynoLoad, owner: "bench-\(configuration)-owner-\(series / 20)",
                processType: "web\(series % 20)", metric: "load_avg",
                windowStart: window + .seconds(60 * Int64(index % windows)), periodSeconds: 60),
            version: 1, fields: ["load_avg_1m": statistics, "load_avg_5m": statistics, "load_avg_15m": statistics])
    }
}

/// Counts per sink the summaries it wrote (`drainpipe_sink_summaries_written_total`) and those it handed to its
/// retry topic (`…_sent_to_retry_total`: a timed-out write), and notes when each had dealt with a target; every other
/// metric goes nowhere.
private final class WrittenCounter: MetricsFactory, Sendable {
    private static let counted = [
        "drainpipe_sink_summaries_written_total": false, "drainpipe_sink_summaries_sent_to_retry_total": true,
    ]
    private let state = Mutex<[String: (written: Int64, retried: Int64)]>([:])

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        guard let retried = Self.counted[label], let sink = dimensions.first(where: { $0.0 == "sink" })?.1
        else { return NOOPMetricsHandler.instance }
        return SinkCounter(sink: sink, retried: retried, owner: self)
    }

    func add(_ amount: Int64, to sink: String, retried: Bool) {
        state.withLock { state in
            if retried {
                state[sink, default: (0, 0)].retried += amount
            } else {
                state[sink, default: (0, 0)].written += amount
            }
        }
    }

    /// Summaries `sink` handed to its retry topic.
    func retried(by sink: String) -> Int64 { state.withLock { $0[sink]?.retried ?? 0 } }

    /// Polls every 10 ms until each sink has written or handed to its retry topic `target` summaries; returns when
    /// each did.
    func waitUntil(each sinks: [String], reaches target: Int) async -> [String: ContinuousClock.Instant] {
        var reached: [String: ContinuousClock.Instant] = [:]
        while reached.count < sinks.count {
            let counts = state.withLock { $0 }
            for sink in sinks where reached[sink] == nil {
                if let count = counts[sink], count.written + count.retried >= target { reached[sink] = .now }
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return reached
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { NOOPMetricsHandler.instance }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    private final class SinkCounter: CounterHandler, Sendable {
        let sink: String
        let retried: Bool
        let owner: WrittenCounter

        init(sink: String, retried: Bool, owner: WrittenCounter) {
            self.sink = sink
            self.retried = retried
            self.owner = owner
        }

        func increment(by amount: Int64) { owner.add(amount, to: sink, retried: retried) }
        func reset() {}
    }
}
