import ArgumentParser
import Drainpipe
import DrainpipeCore
import DrainpipePostgres
import DrainpipeWorkloads
import Foundation
import Logging

/// `drainpipe seed-history`: days of made-up one-minute summaries of one app written straight into the shards, for
/// the dashboard's browser check and benchmark (the live pipeline only accepts the last few minutes).
struct SeedHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-history",
        abstract: "Write days of one app's made-up summaries into DATABASE_URL / DATABASE_SHARD_URLS.",
        discussion: """
            Writes `DashboardHistory`: router requests on web, dyno load and memory, H- and R-codes and two l2met \
            metrics per process type, one summary per series and minute, version 1. With --expect, also writes a \
            JSON file with the exact merged summaries (the read API's point shape) of the windows that contain the \
            marked minute at every dashboard resolution, which the browser check compares the charts with.
            """)

    @Option(help: "The owner (app id) the summaries belong to.")
    var owner: String

    @Option(help: "Comma-separated process types.")
    var processTypes = "web,worker,clock"

    @Option(help: "Hours of history, ending at --end.")
    var hours = 168

    @Option(help: "Unix seconds the history ends at, exclusive (default: the start of the current minute).")
    var end: Int64?

    @Option(help: "Seed of the made-up values.")
    var seed: UInt64 = 1

    @Option(help: "Minutes before --end of the minute the --expect file describes.")
    var markedMinutesAgo: Int64 = 30

    @Option(help: "Write the expected points of the marked windows to this JSON file.")
    var expect: String?

    /// The resolutions of the dashboard's ranges (2 h, 24 h, 72 h, 7 d).
    static let resolutions: [Int64] = [60, 600, 3_600, 7_200]

    func run() async throws {
        var problems: [ConfigurationError.Problem] = []
        guard
            let shards = SinkConfiguration.shards(
                environment: Environment(ProcessInfo.processInfo.environment), noting: &problems)
        else {
            throw ConfigurationError.invalidEnvironment(problems)
        }
        guard hours > 0, markedMinutesAgo > 0, markedMinutesAgo <= Int64(hours) * 60 else {
            throw ValidationError("--hours must be positive and --marked-minutes-ago within the history")
        }
        let owner = owner.lowercased()
        let end = (end ?? Int64(Date().timeIntervalSince1970)) / 60 * 60
        let start = end - Int64(hours) * 3_600
        let history = DashboardHistory(
            owner: owner, processTypes: processTypes.split(separator: ",").map(String.init), seed: seed)
        let database = ShardedDatabase(shards: shards, logger: Logger(label: "drainpipe.seed-history"))
        let shard = database.shard(forOwner: owner)

        let clock = ContinuousClock()
        let started = clock.now
        var written = 0
        // A few hours at a time, so memory stays small and each write is one transaction per day.
        let chunk = 6 * 3_600
        for chunkStart in stride(from: start, to: end, by: chunk) {
            let minutes = stride(from: chunkStart, to: min(chunkStart + Int64(chunk), end), by: 60)
            let summaries = history.summaries(minutes: minutes)
            try await database.write(summaries, toShard: shard, session: database.session(forOwner: owner))
            written += summaries.count
        }
        let marked = end - markedMinutesAgo * 60
        let events = history.events(start: start, end: end, marked: marked)
        try await database.write(
            history.eventSummaries(events), toShard: shard, session: database.session(forOwner: owner))
        say(
            "seed-history: \(written) summaries and \(events.count) platform events of \(owner) "
                + "(\(history.processTypes.joined(separator: ", "))) "
                + "from \(UTCDateTime(EventTime(secondsSinceEpoch: start)).formatted(.rfc3339Seconds)) "
                + "to \(UTCDateTime(EventTime(secondsSinceEpoch: end)).formatted(.rfc3339Seconds)) "
                + "in \(clock.now - started) on shard \(shard)")

        if let expect {
            let expected = Expected(
                owner: owner, from: start, to: end, markedMinute: marked,
                events: events.map {
                    Expected.Event(
                        time: $0.event.time.secondsSinceEpoch, kind: $0.event.kind.rawValue,
                        processType: $0.processType, dyno: $0.event.dyno)
                },
                windows: history.processTypes.flatMap { processType in
                    Self.resolutions.map { resolution in
                        Self.window(
                            containing: marked, resolution: resolution, processType: processType, history: history,
                            start: start, end: end)
                    }
                })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(expected).write(to: URL(fileURLWithPath: expect))
            say("seed-history: expected points of the minute \(marked) written to \(expect)")
        }
    }

    /// The merged summaries of the window of `resolution` seconds that contains `minute`, within the history.
    static func window(
        containing minute: Int64, resolution: Int64, processType: String, history: DashboardHistory, start: Int64,
        end: Int64
    ) -> Expected.Window {
        let windowStart = minute / resolution * resolution
        var merged: [String: [String: Summary]] = [:]  // series type → metric → summary
        for each in stride(from: max(windowStart, start), to: min(windowStart + resolution, end), by: 60) {
            for summary in history.summaries(minute: each, processType: processType) {
                var rekeyed = summary
                rekeyed.key.windowStart = EventTime(secondsSinceEpoch: windowStart)
                rekeyed.key.periodSeconds = Int32(resolution)
                let type = summary.key.type.rawValue.lowercased().replacingOccurrences(of: "_", with: "-")
                merged[type, default: [:]][summary.key.metric, default: Summary(key: rekeyed.key, version: 0)]
                    .merge(rekeyed)
            }
        }
        return Expected.Window(
            processType: processType, resolution: resolution, windowStart: windowStart,
            series: merged.mapValues { byMetric in
                byMetric.values.sorted { $0.key.metric < $1.key.metric }.map(SeriesResponse.Point.init)
            })
    }

    /// The `--expect` file.
    struct Expected: Encodable {
        struct Window: Encodable {
            var processType: String
            var resolution: Int64
            var windowStart: Int64
            /// Series type (`router-requests`…) → the points the read API answers for this window, one per metric.
            var series: [String: [SeriesResponse.Point]]

            enum CodingKeys: String, CodingKey {
                case resolution, series
                case processType = "process_type"
                case windowStart = "window_start"
            }
        }

        /// A seeded platform event; its marker belongs at `time` on the charts of `process_type`, or on every chart
        /// for app-wide kinds.
        struct Event: Encodable {
            var time: Int64
            var kind: String
            var processType: String
            var dyno: String

            enum CodingKeys: String, CodingKey {
                case time, kind, dyno
                case processType = "process_type"
            }
        }

        var owner: String
        var from: Int64
        var to: Int64
        var markedMinute: Int64
        var events: [Event]
        var windows: [Window]

        enum CodingKeys: String, CodingKey {
            case owner, from, to, events, windows
            case markedMinute = "marked_minute"
        }
    }
}
