import DrainpipeTestSupport
import Foundation
import Logging
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipePostgres

/// The real `postgres-sink` executable, killed with SIGKILL at moments chosen at random while versions of the same
/// summaries (some older ones sent after newer ones, some names hostile) keep arriving.
@Suite("postgres-sink under kill -9", .serialized)
struct SinkKillTests {
    @Test(
        "killed five times mid-round, the sink loses no summary, duplicates none, and never lets an older version win",
        .timeLimit(.minutes(3)))
    func killNineIsExact() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "sinkkill")
        let topics = try TestServers.topicCatalog()
        let shards = [try ScratchDatabase.create("kill_a"), try ScratchDatabase.create("kill_b")]
        defer { for shard in shards { try? shard.drop() } }
        var logger = Logger(label: "sink-kill-test")
        logger.logLevel = .critical
        let producer = try KafkaProducer(connection: kafka, clientID: "sink-kill-test", logger: logger)

        // 300 owners × (3 dyno-load process types + 2 custom-metric process types × 3 Graphite paths + 1 platform
        // events series) = 3 000 series, in a recent minute, so the sink's own retention keeps them.
        let window = SystemWallClock().now().windowStart(length: .seconds(60)) - .seconds(600)
        let keys = (0..<300).flatMap { index in
            let owner = UUID().uuidString.lowercased()
            let load = ["web", "worker", "clock"].map {
                SeriesKey(
                    type: .dynoLoad, owner: owner, processType: $0, metric: "load_avg", windowStart: window,
                    periodSeconds: 60)
            }
            let custom = [Self.hostileProcessTypes[index % 4], "web"].flatMap { processType in
                Self.graphitePaths(index).map {
                    SeriesKey(
                        type: .customMetrics, owner: owner, processType: processType, metric: $0, windowStart: window,
                        periodSeconds: 60)
                }
            }
            let events = SeriesKey(
                type: .platformEvents, owner: owner, processType: Self.hostileProcessTypes[index % 4],
                metric: "events", windowStart: window, periodSeconds: 60)
            return load + custom + [events]
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
        // Each run is killed at a random point of its round: once a random share (5–90 %) of the round's newest
        // versions is stored, so the kill lands between COPY batches, mid-transaction or before a commit.
        let database = ShardedDatabase(shards: shards.map(\.url), logger: logger)
        var generator = SplitMix64(seed: 5)
        var partialKills = 0
        for round in rounds {
            let sink = try ServiceProcess("postgres-sink", environment: environment)
            try await producer.send(
                round.map { topics.summaryRecord(for: Self.summary(of: $0.0, version: $0.1), in: kafka) })
            let newest = round.map(\.1).max() ?? 0
            let total = round.filter { $0.1 == newest }.count
            let target = max(1, total * Int(5 + generator.next() % 86) / 100)
            let deadline = ContinuousClock.now + .seconds(30)
            var stored = 0
            while stored < target, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
                stored = try await Self.rowCount(atLeast: newest, window: window, in: database)
            }
            #expect(sink.isRunning, "the sink died on its own: \(sink.output)")
            sink.kill()
            if try await Self.rowCount(atLeast: newest, window: window, in: database) < total { partialKills += 1 }
        }
        #expect(partialKills > 0, "no kill landed before the sink had finished its round")

        // A last run catches up; then every series holds exactly its newest version.
        let sink = try ServiceProcess("postgres-sink", environment: environment)
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
        #expect(
            wrong.count == 0, "series that do not hold their newest version, e.g. \(wrong.first.map { "\($0)" } ?? "")")

        // No duplicates and nothing else: each table holds exactly its shard's series.
        let router = ShardRouter(shardCount: 2)
        let day = DaySchema(containing: window)
        for shard in 0..<2 {
            for type in Self.storedTypes {
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

    /// The types of the series the test writes.
    static let storedTypes: [MeasurementType] = [.dynoLoad, .customMetrics, .platformEvents]

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
        let statistics = FieldStatistics(
            count: UInt64(version), sum: value, sumOfSquares: value * value, minimum: -value, maximum: value)
        switch key.type {
        case .platformEvents:
            // 40 events per version, with hostile texts; from version 3 on the log overflows.
            let events = (0..<Int(version) * 40).map {
                PlatformEvent(
                    time: key.windowStart + .milliseconds(Int64($0) * 100), kind: .state, dyno: "web.\($0 % 3)",
                    text: "v\(version) 'q\" \\ \t é📈 \($0)")
            }
            return Summary(
                key: key, version: version, counts: ["state": UInt64(events.count)],
                platformEvents: PlatformEventLog(events: events))
        default:
            let fields =
                key.type == .dynoLoad
                ? ["load_avg_1m": statistics, "load_avg_5m": statistics, "load_avg_15m": statistics]
                : ["value": statistics]
            return Summary(key: key, version: version, fields: fields)
        }
    }

    /// Rows of the window, on every shard and in both tables, whose version is at least `version`.
    static func rowCount(atLeast version: Int64, window: EventTime, in database: ShardedDatabase) async throws -> Int {
        let day = DaySchema(containing: window)
        var count = 0
        for shard in 0..<database.shardCount {
            count += try await database.withShard(shard) { connection throws(PostgresError) in
                var rows = 0
                for type in Self.storedTypes {
                    do throws(PostgresError) {
                        let result = try connection.query(
                            "SELECT count(*) FROM \(day.qualifiedTableName(for: type)) WHERE version >= $1",
                            parameters: [String(version)])
                        rows += Int(result.rows.first?.first.flatMap { $0 } ?? "0") ?? 0
                    } catch  where error.sqlState == .undefinedTable || error.sqlState == .invalidSchemaName {
                        continue  // the sink has not created the day yet
                    }
                }
                return rows
            }
        }
        return count
    }

    static func storedSummaries(
        of owners: Set<String>, window: EventTime, in database: ShardedDatabase
    ) async throws -> [SeriesKey: Summary] {
        var stored: [SeriesKey: Summary] = [:]
        for owner in owners {
            for type in Self.storedTypes {
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
