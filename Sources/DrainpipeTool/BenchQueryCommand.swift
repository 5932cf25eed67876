import ArgumentParser
import Drainpipe
import DrainpipeCore
import DrainpipeWorkloads
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// `drainpipe bench-query`: the Graphite query API's latency and freshness against a running stack
/// (`deploy/run-local`).
struct BenchQueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-query",
        abstract: "Measure /render latency (150 series, a dashboard) and drain-to-render freshness on a running stack.",
        discussion: """
            reads: --series literal paths of --owner (found with /metrics/expand), each a 15-minute /render request, \
            --rate series per second in all from --clients keep-alive connections, for --seconds. dashboard: \
            every chart of the owner's dashboard at 24 h / 10 minutes (maxDataPoints=144), one request per chart, \
            all at once, --rounds times. freshness: --probes Graphite datapoints posted to /graphite, each timed \
            from the acknowledgement (204) to the first /render answer that counts it (and, with DATABASE_URL / \
            DATABASE_SHARD_URLS set, to the first time its row in Postgres counts it). With --seed-owner-id the \
            owner first gets --seed-hours of synthetic platform minutes written straight into the shards of \
            DATABASE_URL / DATABASE_SHARD_URLS (up to 20 minutes ago, so live data keeps the recent minutes), so the \
            24-hour dashboard reads full days.
            """)

    @Option(help: "Ingress host.")
    var host = "127.0.0.1"
    @Option(help: "Ingress HTTP port.")
    var port = 5000
    @Option(help: "API token (tenants file api_tokens) of --owner.")
    var token = "local-token-shop-api"
    @Option(help: "First path segment of the owner whose series are read.")
    var owner = "shop-api"
    @Option(help: "Series the reads cycle through.")
    var series = 150
    @Option(help: "Series read per second, across all clients.")
    var rate = 150
    @Option(help: "Concurrent clients.")
    var clients = 5
    @Option(help: "Length of the read phase in seconds.")
    var seconds = 30
    @Option(help: "Dashboard rounds.")
    var rounds = 50
    @Option(help: "Freshness probes (0 skips the freshness phase).")
    var probes = 100
    @Option(help: "Graphite token of the tenant the freshness probes write to.")
    var graphiteToken = "local-graphite-ops"
    @Option(help: "API token that reads the freshness tenant.")
    var graphiteReadToken = "local-token-ops"
    @Option(help: "Owner segment of the freshness tenant.")
    var graphiteOwner = "ops"
    @Option(help: "Owner id (app UUID) to seed with synthetic history before measuring; none by default.")
    var seedOwnerID: String?
    @Option(help: "Hours of synthetic history to seed.")
    var seedHours = 24

    func run() async throws {
        if let seedOwnerID { try await seed(owner: seedOwnerID) }
        let paths = try await leafPaths()
        guard !paths.isEmpty else {
            say("no series found under \(owner); is deploy/run-local running and sending its workload?")
            throw ExitCode.failure
        }
        try await reads(paths: Array(paths.prefix(series)))
        try await dashboard()
        if probes > 0 { try await freshness() }
    }

    // MARK: - Phases

    /// Writes `seedHours` of one-minute platform summaries (router for web; memory, load and errors for web and
    /// worker), ending 20 minutes ago.
    private func seed(owner: String) async throws {
        var problems: [ConfigurationError.Problem] = []
        guard
            let shards = SinkConfiguration.shards(
                environment: Environment(ProcessInfo.processInfo.environment), noting: &problems)
        else { throw ConfigurationError.invalidEnvironment(problems) }
        let database = ShardedDatabase(shards: shards, logger: Logger(label: "drainpipe.bench-query"))
        let end = (Int64(Date().timeIntervalSince1970) / 60 - 20) * 60
        var generator = SplitMix64(seed: 10)
        var summaries: [Summary] = []
        for minute in 0..<Int64(seedHours * 60) {
            let start = EventTime(secondsSinceEpoch: end - minute * 60)
            for (type, processType) in [
                (MeasurementType.routerRequests, "web"), (.dynoMemory, "web"), (.dynoMemory, "worker"),
                (.dynoLoad, "web"), (.dynoLoad, "worker"), (.dynoErrors, "web"),
            ] {
                var summary = Summary(
                    key: SeriesKey(
                        type: type, owner: owner, processType: processType, metric: type.platformMetricName,
                        windowStart: start, periodSeconds: 60),
                    version: 1)
                for field in type.summaryFieldNames {
                    var statistics = FieldStatistics.empty
                    var sketch = QuantileSketch()
                    for _ in 0..<20 {
                        let value = Double(generator.next() % 500)
                        statistics.add(value)
                        sketch.add(value)
                    }
                    summary.fields[field] = statistics
                    if type.sketchedFieldNames.contains(field) { summary.sketches[field] = sketch }
                }
                if type == .routerRequests { summary.counts = ["status_2xx": 18, "status_5xx": 2, "method_GET": 20] }
                if type == .dynoErrors { summary.counts = ["H12": generator.next() % 3] }
                summaries.append(summary)
            }
        }
        progress("bench-query: seeding \(summaries.count) summaries of \(owner)")
        let shard = database.shard(forOwner: owner)
        for start in stride(from: 0, to: summaries.count, by: 4_096) {
            _ = try await database.write(Array(summaries[start..<min(start + 4_096, summaries.count)]), toShard: shard)
        }
    }

    /// Literal leaf paths of the owner, found as a client would.
    private func leafPaths() async throws -> [String] {
        let client = try await KeepAliveHTTPClient.connect(host: host, port: port)
        var paths: [String] = []
        for depth in 3...5 {
            let pattern = ([owner] + Array(repeating: "*", count: depth - 1)).joined(separator: ".")
            let response = try await client.get(
                "/metrics/expand?leavesOnly=1&from=-15min&query=\(pattern)", token: token)
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            paths += object?["results"] as? [String] ?? []
        }
        return paths.sorted()
    }

    private func reads(paths: [String]) async throws {
        let total = rate * seconds
        let interval = Duration.seconds(Double(clients) / Double(rate))
        progress("bench-query: \(total) single-series 15-minute reads over \(paths.count) series, \(clients) clients")
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for clientIndex in 0..<clients {
                group.addTask {
                    let client = try await KeepAliveHTTPClient.connect(host: host, port: port)
                    let clock = ContinuousClock()
                    var next = clock.now + interval * (Double(clientIndex) / Double(clients))
                    var samples: [Double] = []
                    var request = clientIndex
                    while request < total {
                        try await clock.sleep(until: next)
                        next += interval
                        let path = paths[request % paths.count]
                        let started = clock.now
                        let response = try await client.get(
                            "/render?format=json&from=-15min&target=\(path)", token: token)
                        guard response.status == 200 else { throw BenchQueryError.status(response.status, path) }
                        samples.append((clock.now - started).inSeconds)
                        request += clients
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        say(
            "reads: \(latencies.count) /render requests, 1 series × 15 min each, \(rate) series/s from \(clients) "
                + "clients: \(TimeSamples(latencies).millisecondPercentiles)")
    }

    /// The charts of the platform's metrics tab for one app, each one request.
    private var dashboardTargets: [[String]] {
        [
            [
                "web.router.service_ms.p50", "web.router.service_ms.p95", "web.router.service_ms.p99",
                "web.router.service_ms.max",
            ],
            ["web.router.status.*"],
            ["*.memory.rss.mean", "*.memory.rss.max", "*.memory.swap.mean", "*.memory.quota.max"],
            ["*.load_avg.1m.mean", "*.load_avg.1m.max"],
            ["*.errors.*", "web.router.errors.*"],
        ]
        .map { chart in chart.map { "\(owner).\($0)" } }
    }

    private func dashboard() async throws {
        let charts = dashboardTargets
        let connections = try await withThrowingTaskGroup(of: KeepAliveHTTPClient.self) { group in
            for _ in charts { group.addTask { try await KeepAliveHTTPClient.connect(host: host, port: port) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        progress("bench-query: \(rounds) dashboard rounds of \(charts.count) charts at 24 h / 10 min")
        var roundTimes: [Double] = []
        var requestTimes: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<rounds {
            let started = clock.now
            let times = try await withThrowingTaskGroup(of: Double.self) { group in
                for (chart, client) in zip(charts, connections) {
                    group.addTask {
                        let targets = chart.map { "target=" + $0 }.joined(separator: "&")
                        let begun = clock.now
                        let response = try await client.get(
                            "/render?format=json&from=-24h&maxDataPoints=144&\(targets)", token: token)
                        guard response.status == 200 else {
                            throw BenchQueryError.status(response.status, targets)
                        }
                        return (clock.now - begun).inSeconds
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            roundTimes.append((clock.now - started).inSeconds)
            requestTimes += times
        }
        say(
            "dashboard: \(rounds) rounds of \(charts.count) chart requests at once: "
                + TimeSamples(roundTimes).millisecondPercentiles
        )
        say("dashboard: each chart request: \(TimeSamples(requestTimes).millisecondPercentiles)")
    }

    /// With the shards in the environment (DATABASE_URL / DATABASE_SHARD_URLS), each probe is also timed to the
    /// moment its row in Postgres counts it (polled directly), which splits the time between the pipeline (ingress,
    /// aggregator flush, summary topic, postgres-sink) and the read API.
    private func freshness() async throws {
        let writer = try await KeepAliveHTTPClient.connect(host: host, port: port)
        let reader = try await KeepAliveHTTPClient.connect(host: host, port: port)
        let path = "prod.local.bench.app.h1.freshness.probe"
        let target = "\(graphiteOwner).\(path).count"
        let storage = try await probeStorage(path: path, reader: reader)
        let clock = ContinuousClock()
        var visible: [Double] = []
        var stored: [Double] = []
        progress("bench-query: \(probes) freshness probes through \(path)")
        for probe in 0..<probes {
            let minute = Int(Date().timeIntervalSince1970) / 60 * 60
            let before = try await count(of: target, minute: minute, reader: reader)
            // A body of its own per probe (ingress counts a repeated body once: its digest is the batch identity),
            // also across runs in the same minute.
            let response = try await writer.post(
                "/graphite", body: "\(path) \(probe + 1).\(UInt32.random(in: 1...UInt32.max)) \(minute + 30)\n",
                token: graphiteToken)
            guard response.status == 204 else { throw BenchQueryError.status(response.status, "/graphite") }
            let acknowledged = clock.now
            if let storage {
                while try await storage.count(minute: minute) < before + 1 {
                    guard clock.now - acknowledged < .seconds(30) else { throw BenchQueryError.neverVisible }
                    try await Task.sleep(for: .milliseconds(2))
                }
                stored.append((clock.now - acknowledged).inSeconds)
            }
            while try await count(of: target, minute: minute, reader: reader) < before + 1 {
                guard clock.now - acknowledged < .seconds(30) else { throw BenchQueryError.neverVisible }
                try await Task.sleep(for: .milliseconds(2))
            }
            visible.append((clock.now - acknowledged).inSeconds)
        }
        if !stored.isEmpty {
            say(
                "freshness: \(probes) probes, POST /graphite acknowledged → row in Postgres counts it: "
                    + TimeSamples(stored).millisecondPercentiles)
        }
        say(
            "freshness: \(probes) probes, POST /graphite acknowledged → counted by /render: "
                + TimeSamples(visible).millisecondPercentiles)
    }

    /// Reads the probe's stored minute straight from its shard.
    private struct ProbeStorage {
        var database: ShardedDatabase
        var ownerID: String
        var path: String

        /// The datapoints the stored summary of `minute` counts (0 without one).
        func count(minute: Int) async throws -> Double {
            let start = EventTime(secondsSinceEpoch: Int64(minute))
            let summaries = try await database.summaries(
                type: .customMetrics, owner: ownerID, processType: nil, metric: path, from: start,
                to: start + .seconds(60))
            return Double(summaries.reduce(0) { $0 + ($1.fields["value"]?.count ?? 0) })
        }
    }

    /// The probe's storage when the environment names the shards, with the freshness tenant's id found through
    /// `/api/v1/owners`; nil otherwise.
    private func probeStorage(path: String, reader: KeepAliveHTTPClient) async throws -> ProbeStorage? {
        var problems: [ConfigurationError.Problem] = []
        let environment = Environment(ProcessInfo.processInfo.environment)
        guard environment["DATABASE_URL"] != nil || environment["DATABASE_SHARD_URLS"] != nil,
            let shards = SinkConfiguration.shards(environment: environment, noting: &problems)
        else { return nil }
        let response = try await reader.get("/api/v1/owners", token: graphiteReadToken)
        guard response.status == 200 else { throw BenchQueryError.status(response.status, "/api/v1/owners") }
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        let owners = object?["owners"] as? [[String: Any]] ?? []
        guard
            let owner = owners.first(where: {
                $0["name"] as? String == graphiteOwner || $0["id"] as? String == graphiteOwner
            }), let id = owner["id"] as? String
        else { throw BenchQueryError.malformedResponse }
        return ProbeStorage(
            database: ShardedDatabase(shards: shards, logger: Logger(label: "drainpipe.bench-query")), ownerID: id,
            path: path)
    }

    /// The value of `target` at `minute` (0 when null or absent).
    private func count(of target: String, minute: Int, reader: KeepAliveHTTPClient) async throws -> Double {
        let response = try await reader.get(
            "/render?format=json&from=\(minute - 60)&until=\(minute + 59)&target=\(target)", token: graphiteReadToken)
        guard response.status == 200 else { throw BenchQueryError.status(response.status, target) }
        let series = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]] ?? []
        for point in series.first?["datapoints"] as? [[Any]] ?? [] where (point.last as? Int) == minute {
            return point.first as? Double ?? 0
        }
        return 0
    }
}

enum BenchQueryError: Error, CustomStringConvertible {
    case status(Int, String)
    case malformedResponse
    case neverVisible

    var description: String {
        switch self {
        case .status(let status, let what): "HTTP \(status) for \(what)"
        case .malformedResponse: "the server's response could not be read"
        case .neverVisible: "a probe was not visible through /render within 30 s"
        }
    }
}
