import DrainpipeTestSupport
import Foundation
import Logging
import Testing

@testable import Drainpipe

/// The real `postgres-sink` executable, killed with SIGKILL at moments chosen at random while versions of the same
/// summaries (some older ones sent after newer ones, some names hostile) keep arriving.
@Suite("postgres-sink under kill -9", .serialized)
struct SinkKillTests {
    @Test(
        "killed five times mid-stream, the sink loses no summary, duplicates none, and never lets an older version win",
        .timeLimit(.minutes(3)))
    func killNineIsExact() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "sinkkill")
        let topics = try TestServers.topicCatalog()
        let shards = [try ScratchDatabase.create("kill_a"), try ScratchDatabase.create("kill_b")]
        defer { for shard in shards { try? shard.drop() } }
        var logger = Logger(label: "sink-kill-test")
        logger.logLevel = .critical
        let producer = try KafkaProducer(connection: kafka, clientID: "sink-kill-test", logger: logger)

        // 150 owners × (3 dyno-load process types + 2 custom-metric process types × 3 Graphite paths) = 1 350 series,
        // in a recent minute, so the sink's own retention keeps them.
        let window = SystemWallClock().now().windowStart(length: .seconds(60)) - .seconds(600)
        let keys = (0..<150).flatMap { index in
            let owner = UUID().uuidString.lowercased()
            let load = ["web", "worker", "clock"].map {
                SeriesKey(type: .dynoLoad, owner: owner, processType: $0, metric: "load_avg", windowStart: window, periodSeconds: 60)
            }
            let custom = [Self.hostileProcessTypes[index % 4], "web"].flatMap { processType in
                Self.graphitePaths(index).map {
                    SeriesKey(type: .customMetrics, owner: owner, processType: processType, metric: $0, windowStart: window, periodSeconds: 60)
                }
            }
            return load + custom
        }

        // Rounds of versions: 3 is followed by stale 1s, 4 by stale 2s, so replays and the order of arrival are
        // never what decides.
        let rounds: [[(SeriesKey, Int64)]] = [
            keys.map { ($0, 1) },
            keys.map { ($0, 2) },
            keys.map { ($0, 3) } + keys.enumerated().filter { $0.offset % 2 == 0 }.map { ($0.element, 1) },
            keys.enumerated().map { ($0.element, $0.offset % 3 == 0 ? 4 : 2) },
            keys.enumerated().filter { $0.offset % 5 == 0 }.map { ($0.element, 5) },
        ]
        var latest: [SeriesKey: Int64] = [:]
        for round in rounds {
            for (key, version) in round { latest[key] = max(latest[key] ?? 0, version) }
        }

        let environment = [
            "KAFKA_URL": ProcessInfo.processInfo.environment["TEST_KAFKA_URL"] ?? "",
            "KAFKA_PREFIX": kafka.prefix,
            "DATABASE_SHARD_URLS": shards.map(\.urlText).joined(separator: ","),
            "DYNO": "postgres_sink.1",
            "POSTGRES_SINK_WORKERS": "1",
            "SINK_BATCH_SIZE": "100",
            "DRAINPIPE_TOPICS": Self.repository.appendingPathComponent("topics.yaml").path,
        ]
        var generator = SplitMix64(seed: 5)
        var kills = 0
        for round in rounds {
            let sink = try ServiceProcess("postgres-sink", environment: environment)
            try await producer.send(round.map { topics.summaryRecord(for: Self.summary(of: $0.0, version: $0.1), in: kafka) })
            try await Task.sleep(for: .milliseconds(Int64(200 + generator.next() % 2300)))
            #expect(sink.isRunning, "the sink died on its own: \(sink.output)")
            sink.kill()
            kills += 1
        }
        #expect(kills == 5)

        // A last run catches up; then every series holds exactly its newest version.
        let sink = try ServiceProcess("postgres-sink", environment: environment)
        let database = ShardedDatabase(shards: shards.map(\.url), logger: logger)
        let deadline = ContinuousClock.now + .seconds(90)
        var stored: [SeriesKey: Summary] = [:]
        while ContinuousClock.now < deadline {
            stored = try await Self.storedSummaries(of: Set(keys.map(\.owner)), window: window, in: database)
            if keys.allSatisfy({ stored[$0]?.version == latest[$0] }) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        #expect(sink.terminate() == 0, "the sink did not stop cleanly: \(sink.output)")
        #expect(stored.count == keys.count)
        let wrong = keys.filter { stored[$0] != Self.summary(of: $0, version: latest[$0] ?? 0) }
        #expect(wrong.isEmpty, "\(wrong.count) series do not hold their newest version, e.g. \(wrong.first.map { "\($0)" } ?? "")")

        // No duplicates and nothing else: each table holds exactly its shard's series.
        let router = ShardRouter(shardCount: 2)
        let day = DaySchema(containing: window)
        for shard in 0..<2 {
            for type in [MeasurementType.dynoLoad, .customMetrics] {
                let table = day.qualifiedTableName(for: type)
                let rows = try await database.withShard(shard) { connection throws(PostgresError) in
                    try connection.query("SELECT count(*) FROM \(table)")
                }
                let expected = keys.filter { $0.type == type && router.shard(forOwner: $0.owner) == shard }.count
                #expect(rows.rows.first?.first == String(expected))
            }
        }
        await producer.close()
    }

    /// Process types with quotes, tabs, newlines, backslashes, COPY's own escapes and non-ASCII.
    static let hostileProcessTypes = ["quote'dq\"", "tab\tnl\ncr\r", "bs\\ null\\N dot\\.", "é中文📈"]

    /// Three Graphite paths per owner; one of them over 1 KB, full of characters COPY text must escape.
    static func graphitePaths(_ index: Int) -> [String] {
        [
            "servers.host-\(index).cpu.user",
            "odd.'\"\\\t\n\r.é.📈.\(index)",
            String(repeating: "long.\\path\t'\u{7F}é.", count: 1024 / 18 + 1) + "\(index)",
        ]
    }

    /// Version `version` of `key`'s summary; its values follow from key and version, so a stale row shows.
    static func summary(of key: SeriesKey, version: Int64) -> Summary {
        let value = Double(version) + Double(key.metric.utf8.count % 7) / 8
        let statistics = FieldStatistics(count: UInt64(version), sum: value, sumOfSquares: value * value, minimum: -value, maximum: value)
        let fields =
            key.type == .dynoLoad
            ? ["load_avg_1m": statistics, "load_avg_5m": statistics, "load_avg_15m": statistics] : ["value": statistics]
        return Summary(key: key, version: version, fields: fields)
    }

    static func storedSummaries(
        of owners: Set<String>, window: EventTime, in database: ShardedDatabase
    ) async throws -> [SeriesKey: Summary] {
        var stored: [SeriesKey: Summary] = [:]
        for owner in owners {
            for type in [MeasurementType.dynoLoad, .customMetrics] {
                for summary in try await database.summaries(
                    type: type, owner: owner, processType: nil, metric: nil, from: window, to: window + .seconds(60))
                {
                    stored[summary.key] = summary
                }
            }
        }
        return stored
    }

    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
