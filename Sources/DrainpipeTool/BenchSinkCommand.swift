import ArgumentParser
import Drainpipe
import Foundation
import Logging

/// `drainpipe bench-sink`: summaries per second into one Postgres, COPY batches against one INSERT per summary,
/// measured in the same run (never run by `swift test`).
struct BenchSinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-sink",
        abstract: "Measure the sink's write path: COPY batches (binary and text) vs. one INSERT per summary.",
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

    @Option(help: "Summaries per COPY batch, each in its own transaction, as the sink writes them.")
    var batchSize = 1024

    @Option(help: "Rounds per path; the best is reported.")
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
        guard summaries > 0, insertSummaries > 0, batchSize > 0, rounds > 0 else {
            throw ValidationError("--summaries, --insert-summaries, --batch-size and --rounds must be positive")
        }
        let connection = try PQConnection(url: url, logger: Logger(label: "drainpipe.bench-sink"))
        try connection.execute("DROP SCHEMA IF EXISTS \(schema.name) CASCADE")
        defer { try? connection.execute("DROP SCHEMA IF EXISTS \(schema.name) CASCADE") }
        try schema.ensureExists(on: connection)
        let settings = try connection.query(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit')")
        let server = (settings.rows.first ?? []).map { $0 ?? "?" } + ["?", "?", "?"]
        say("postgres \(url.redacted): version \(server[0]), fsync \(server[1]), synchronous_commit \(server[2])")
        say("dyno-load summaries (3 fields, 23 columns) of fresh owners into \(schema.name); best of \(rounds) rounds")

        let writers = SummaryTableWriter.CopyFormat.allCases.map { SummaryTableWriter(copyFormat: $0) }
        var copyRates = writers.map { _ in 0.0 }
        var encodeRates = writers.map { _ in 0.0 }
        var insertRate = 0.0
        for round in 1...rounds {
            var line = "round \(round):"
            for (index, writer) in writers.enumerated() {
                let path = "copy_\(writer.copyFormat.rawValue)"
                let copied = Self.summaries(count: summaries, round: round, path: path, day: schema)
                // The client's share: the same rows encoded, nothing sent.
                let encodeSeconds = try Self.seconds { try Self.encode(copied, format: writer.copyFormat) }
                encodeRates[index] = max(encodeRates[index], Double(copied.count) / encodeSeconds)
                let copySeconds = try Self.seconds {
                    var start = 0
                    while start < copied.count {
                        let end = min(start + batchSize, copied.count)
                        try writer.write(Array(copied[start..<end]), on: connection)
                        start = end
                    }
                }
                try Self.expectStored(copied.count, path: path, round: round, schema: schema, on: connection)
                copyRates[index] = max(copyRates[index], Double(copied.count) / copySeconds)
                line += " COPY \(writer.copyFormat.rawValue) \(Int(Double(copied.count) / copySeconds))/s,"
            }
            let inserted = Self.summaries(count: insertSummaries, round: round, path: "insert", day: schema)
            let insertSeconds = try Self.seconds { try writers[0].insertOneByOne(inserted, on: connection) }
            try Self.expectStored(inserted.count, path: "insert", round: round, schema: schema, on: connection)
            insertRate = max(insertRate, Double(inserted.count) / insertSeconds)
            say(line + " INSERT \(Int(Double(inserted.count) / insertSeconds))/s")
        }
        for (index, writer) in writers.enumerated() {
            let format = writer.copyFormat.rawValue
            let ratio = String(format: "%.1f", copyRates[index] / insertRate)
            say(
                "COPY \(format), batches of \(batchSize): \(Int(copyRates[index])) summaries/s (\(ratio)× INSERT); "
                    + "encoding alone \(Int(encodeRates[index]))/s")
        }
        say("one INSERT per summary: \(Int(insertRate)) summaries/s")
    }

    /// Encodes `summaries` as the writer would, without sending them.
    static func encode(_ summaries: [Summary], format: SummaryTableWriter.CopyFormat) throws {
        switch format {
        case .binary:
            var encoder = CopyBinaryEncoder()
            for summary in summaries { try SummaryTableWriter.appendBinaryRow(of: summary, to: &encoder) }
        case .text:
            var encoder = CopyTextEncoder()
            for summary in summaries { encoder.appendRow(try SummaryTableWriter.columnValues(of: summary)) }
        }
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

    static func seconds(_ body: () throws -> Void) throws -> Double {
        let elapsed = try ContinuousClock().measure(body)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
