import ArgumentParser
import Drainpipe
import DrainpipeBaselines
import DrainpipeCore
import DrainpipePostgres
import DrainpipeWorkloads
import Foundation
import Logging
import Synchronization

/// `drainpipe bench-sink`: summaries per second into one Postgres, COPY batches against one INSERT per summary,
/// measured in the same run (never run by `swift test`).
struct BenchSinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-sink",
        abstract:
            "Measure the sink's write path: COPY batches (binary and text, "
            + "one or several per transaction) vs. one INSERT per summary.",
        discussion: """
            Build with -c release. Needs a Postgres: --database-url, else DATABASE_URL (e.g. the URL that \
            `deploy/start-postgres drainpipe_bench` prints). Writes dyno-load summaries of fresh owners into the day \
            schema of --day, which it drops before and after the run: point it at a scratch database.
            """)

    @Option(help: "postgres:// URL of the database to write to (default: DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Summaries written through COPY per round.")
    var summaries = 204_800

    @Option(help: "Summaries written one INSERT at a time per round (slower, so fewer).")
    var insertSummaries = 10_240

    @Option(help: "Summaries per COPY statement (SINK_BATCH_SIZE).")
    var batchSize = 1024

    @Option(help: "COPY batches per transaction on the grouped paths (the sink commits a poll of 4 batches at once).")
    var batchesPerTransaction = 4

    @Option(help: "Sessions of the last path, each writing its own share of the transactions at the same time.")
    var sessions = 2

    @Option(help: "Rounds per path; the best and the median are reported.")
    var rounds = 3

    @Option(help: "The UTC day (YYYY-MM-DD) whose schema the benchmark writes to and drops.")
    var day = "2001-01-01"

    func run() throws {
        guard let text = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"] else {
            throw ValidationError(
                "give --database-url or set DATABASE_URL (deploy/start-postgres drainpipe_bench prints one)")
        }
        let url: DatabaseURL
        do {
            url = try DatabaseURL(environmentValue: text)
        } catch {
            throw ValidationError("the database URL is malformed: expected \(error.expected)")
        }
        let parts = day.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, let schema = DaySchema(year: parts[0], month: parts[1], day: parts[2]) else {
            throw ValidationError("--day must be a date such as 2001-01-01")
        }
        guard summaries > 0, insertSummaries > 0, batchSize > 0, batchesPerTransaction > 0, sessions > 0, rounds > 0
        else {
            throw ValidationError(
                "--summaries, --insert-summaries, --batch-size, --batches-per-transaction, --sessions and --rounds "
                    + "must be positive")
        }
        let connections = try (0..<sessions).map { _ in
            try PQConnection(url: url, logger: Logger(label: "drainpipe.bench-sink"))
        }
        let connection = connections[0]
        try connection.execute("DROP SCHEMA IF EXISTS \(schema.name) CASCADE")
        defer { try? connection.execute("DROP SCHEMA IF EXISTS \(schema.name) CASCADE") }
        try schema.ensureExists(on: connection)
        let settings = try connection.query(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')")
        let server = (settings.rows.first ?? []).map { $0 ?? "?" } + ["?", "?", "?"]
        say("postgres \(url.redacted): version \(server[0]), fsync \(server[1]), synchronous_commit \(server[2])")
        say("dyno-load summaries (3 fields, 23 columns) of fresh owners into \(schema.name); \(rounds) rounds")

        // Each path writes `perTransaction` summaries per `write` call, which is one transaction (one day).
        let grouped = batchSize * batchesPerTransaction
        let paths: [(name: String, writer: SummaryTableWriter, perTransaction: Int, sessions: Int)] = [
            ("copy_binary_1", SummaryTableWriter(rowsPerCopy: batchSize, copyFormat: BinaryCopyFormat()), batchSize, 1),
            ("copy_binary_\(batchesPerTransaction)", SummaryTableWriter(rowsPerCopy: batchSize), grouped, 1),
            (
                "copy_text_\(batchesPerTransaction)",
                SummaryTableWriter(rowsPerCopy: batchSize, copyFormat: TextCopyFormat()),
                grouped, 1
            ),
            (
                "copy_binary_\(batchesPerTransaction)_x\(sessions)", SummaryTableWriter(rowsPerCopy: batchSize),
                grouped, sessions
            ),
        ]
        var copies = paths.map { path in
            BenchmarkResult(
                "COPY \(path.writer.copyFormat.name), batches of \(batchSize), \(path.perTransaction / batchSize) "
                    + "per transaction, \(path.sessions) session(s)", count: summaries, unit: "summaries",
                cpuClock: .process)
        }
        var encodings = Dictionary(
            uniqueKeysWithValues: Self.copyFormats.map { format in
                (format.name, BenchmarkResult("encoding alone, \(format.name)", count: summaries, unit: "summaries"))
            })
        var inserts = BenchmarkResult(
            "one INSERT per summary", count: insertSummaries, unit: "summaries", cpuClock: .process)
        let insertWriter = SummaryTableWriter(rowsPerCopy: batchSize)
        try BenchmarkHarness(rounds: rounds).forEachRound { round in
            var line = "round \(round):"
            for (index, path) in paths.enumerated() {
                let copied = Self.summaries(count: summaries, round: round, path: path.name, day: schema)
                // The client's share: the same rows encoded, nothing sent.
                let format = path.writer.copyFormat
                try encodings[format.name]?.time { try Self.encode(copied, format: format) }
                let before = path.writer.phaseTimes
                let copySeconds = try copies[index].time {
                    try Self.write(
                        copied, with: path.writer, perTransaction: path.perTransaction,
                        on: Array(connections.prefix(path.sessions)))
                }
                try Self.expectStored(copied.count, path: path.name, round: round, schema: schema, on: connection)
                line += " \(path.name) " + String(format: "%.0f", Throughput.rate(copied.count, in: copySeconds)) + "/s"
                line += " [\(Self.phases(from: before, to: path.writer.phaseTimes))],"
            }
            let inserted = Self.summaries(count: insertSummaries, round: round, path: "insert", day: schema)
            let insertSeconds = try inserts.time { try insertWriter.insertOneByOne(inserted, on: connection) }
            try Self.expectStored(inserted.count, path: "insert", round: round, schema: schema, on: connection)
            say(line + " INSERT " + String(format: "%.0f", Throughput.rate(inserted.count, in: insertSeconds)) + "/s")
        }
        for copy in copies {
            say(copy.line)
            say(copy.ratio(to: inserts, label: "  COPY / INSERT"))
        }
        for format in Self.copyFormats {
            if let encoding = encodings[format.name] { say(encoding.line) }
        }
        say(inserts.line)
    }

    /// Writes `summaries` `perTransaction` at a time, the transactions dealt round-robin to `connections`, each
    /// connection on its own thread at the same time.
    static func write(
        _ summaries: [Summary], with writer: SummaryTableWriter, perTransaction: Int, on connections: [PQConnection]
    ) throws {
        let chunks = stride(from: 0, to: summaries.count, by: perTransaction).map {
            Array(summaries[$0..<min($0 + perTransaction, summaries.count)])
        }
        let failures = Mutex<[any Error]>([])
        let threads = ConnectionPerThread(connections)
        DispatchQueue.concurrentPerform(iterations: connections.count) { session in
            do {
                for chunk in chunks[session...].enumerated().filter({ $0.offset % threads.connections.count == 0 }) {
                    try writer.write(chunk.element, on: threads.connections[session])
                }
            } catch {
                failures.withLock { $0.append(error) }
            }
        }
        if let failure = failures.withLock({ $0.first }) { throw failure }
    }

    /// Milliseconds per transaction spent in COPY, upsert and commit between two readings of a writer's totals.
    static func phases(from before: SummaryTableWriter.PhaseTimes, to after: SummaryTableWriter.PhaseTimes) -> String {
        let transactions = max(1, after.transactions - before.transactions)
        func perTransaction(_ total: Duration) -> String {
            String(format: "%.2f", total.inSeconds * 1e3 / Double(transactions))
        }
        return "per transaction: copy \(perTransaction(after.copy - before.copy)) ms, upsert "
            + "\(perTransaction(after.upsert - before.upsert)) ms, "
            + "commit \(perTransaction(after.commit - before.commit)) ms"
    }

    /// The `COPY` formats compared: production's binary and the text baseline.
    static let copyFormats: [any SummaryCopyFormat] = [BinaryCopyFormat(), TextCopyFormat()]

    /// Encodes `summaries` (dyno-load summaries) as the writer would, without sending them.
    static func encode(_ summaries: [Summary], format: any SummaryCopyFormat) throws {
        _ = try format.encode(summaries[...], layout: SummaryTableLayout(.dynoLoad))
    }

    /// `count` dyno-load summaries, each of its own owner (so each is a new row), in minutes of `day`.
    static func summaries(count: Int, round: Int, path: String, day: DaySchema) -> [Summary] {
        var generator = SplitMix64(seed: UInt64(round))
        let processTypes = ["web", "worker", "clock"]
        return (0..<count).map { index in
            let value = Double(generator.next() % 400) / 100
            let statistics = FieldStatistics(
                count: 6, sum: value * 6, sumOfSquares: value * value * 6, minimum: value / 2, maximum: value)
            return Summary(
                key: SeriesKey(
                    type: .dynoLoad, owner: "bench-\(path)-\(round)-\(index / 3)", processType: processTypes[index % 3],
                    metric: MeasurementType.dynoLoad.platformMetricName,
                    windowStart: day.start + .seconds(Int64(60 * (index % 1440))), periodSeconds: 60),
                version: Int64(index),
                fields: ["load_avg_1m": statistics, "load_avg_5m": statistics, "load_avg_15m": statistics])
        }
    }

    /// Fails unless the round's rows are all there, so a fast figure can never come from rows not written.
    static func expectStored(
        _ count: Int, path: String, round: Int, schema: DaySchema, on connection: PQConnection
    ) throws {
        let rows = try connection.query(
            "SELECT count(*) FROM \(schema.qualifiedTableName(for: .dynoLoad)) WHERE owner LIKE $1",
            parameters: ["bench-\(path)-\(round)-%"])
        guard rows.rows.first?.first == String(count) else {
            let stored = rows.rows.first?.first.flatMap { $0 } ?? "no"
            throw ValidationError("the \(path) path stored \(stored) rows, not \(count)")
        }
    }
}

/// Hands each thread of ``BenchSinkCommand/write(_:with:perTransaction:on:)`` its own connection.
private final class ConnectionPerThread: @unchecked Sendable {  // safe: thread i touches only connections[i]
    let connections: [PQConnection]

    init(_ connections: [PQConnection]) {
        self.connections = connections
    }
}
