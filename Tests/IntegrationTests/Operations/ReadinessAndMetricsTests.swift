import DrainpipeTestSupport
import Foundation
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWorkloads

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `/readyz` of the web process and the aggregator, and the metrics an operator watches, read back from `/metrics`
/// of real processes after real traffic.
@Suite("Readiness and operator metrics", .serialized)
struct ReadinessAndMetricsTests {
    /// The status and body of `GET path` on `port`; nil while nothing answers.
    static func get(_ path: String, port: Int, token: String? = nil) async -> (status: Int, body: String)? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.timeoutInterval = 5
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (body, response) = try? await URLSession.shared.data(for: request),
            let status = (response as? HTTPURLResponse)?.statusCode
        else { return nil }
        return (status, String(decoding: body, as: UTF8.self))
    }

    /// Polls `GET path` until `accept` takes the answer (or the process dies, or 60 s pass) and returns it.
    static func poll(
        _ path: String, of process: ServiceProcess, port: Int,
        until accept: (Int, String) -> Bool
    ) async throws -> (status: Int, body: String) {
        let deadline = ContinuousClock.now + .seconds(60)
        var last: (status: Int, body: String)?
        while ContinuousClock.now < deadline {
            try #require(process.isRunning, "\(process.executable) exited: \(process.output)")
            last = await get(path, port: port)
            if let last, accept(last.status, last.body) { return last }
            try await Task.sleep(for: .milliseconds(200))
        }
        let output = String(process.output.suffix(2_000))
        Issue.record(
            "\(process.executable) \(path) never became what was expected; last \(String(describing: last))\n\(output)")
        return last ?? (0, "")
    }

    /// The sum of the samples of `name` whose labels contain every one of `labels` (e.g. `status="204"`).
    static func sample(_ name: String, _ labels: [String] = [], in exposition: String) -> Double? {
        var total: Double?
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            let metric = series.prefix { $0 != "{" }
            guard metric == name, labels.allSatisfy({ series.contains($0) }),
                let value = Double(line[line.index(after: space)...])
            else { continue }
            total = (total ?? 0) + value
        }
        return total
    }

    @Test(
        """
        web, aggregator and postgres-sink report ready, and after drains and a read their /metrics carry produce \
        latency, lag per partition, flush, COPY and request timings
        """,
        .timeLimit(.minutes(3)))
    func metricsAfterTraffic() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "opmetrics")
        var generator = SplitMix64(seed: 12)
        let owners = ScalingTests.owners(count: 3, shardCount: 1, generator: &generator)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("opmetrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tenantsFile = directory.appendingPathComponent("tenants.yaml").path
        try
            ("owners:\n"
            + owners.map {
                "  - id: \($0)\n    drain_credentials: [\"\($0):secret\"]\n    api_tokens: [\"read-\($0)\"]\n"
            }
            .joined())
            .write(toFile: tenantsFile, atomically: true, encoding: .utf8)
        let common = [
            "KAFKA_URL": kafka.bootstrapServers, "KAFKA_PREFIX": kafka.prefix,
            "DRAINPIPE_TOPICS": ScalingTests.repository.appendingPathComponent("topics.yaml").path,
            "DATABASE_SHARD_URLS": ProcessInfo.processInfo.environment["TEST_DATABASE_SHARD_URLS"] ?? "",
            "FLUSH_INTERVAL": "250ms", "LOG_LEVEL": "warning",
        ]
        let formation: [(executable: String, environment: [String: String])] = [
            ("ingress", ["DRAINPIPE_TENANTS": tenantsFile, "GRAPHITE_PORT": "off", "DYNO": "web.1"]),
            ("aggregator", ["DYNO": "aggregator.1", "AGGREGATOR_WORKERS": "1"]),
            ("postgres-sink", ["DYNO": "postgres_sink.1", "POSTGRES_SINK_WORKERS": "1"]),
        ]
        var processes: [(process: ServiceProcess, port: Int)] = []
        defer { for (process, _) in processes { _ = process.terminate() } }
        for (executable, environment) in formation {
            let port = try await IngressReloadTests.freePort()
            let process = try ServiceProcess(
                executable, environment: common.merging(environment) { $1 }.merging(["PORT": "\(port)"]) { $1 })
            processes.append((process, port))
        }
        for (process, port) in processes {
            let ready = try await Self.poll("/readyz", of: process, port: port) { status, _ in status == 200 }
            #expect(ready.body == "ready\n", "\(process.executable) /readyz")
        }

        var truth: [ScalingTests.SeriesMinute: [String: FieldStatistics]] = [:]
        let now = SystemWallClock().now()
        let requests = ScalingTests.requests(
            count: 12, owners: owners, now: now, phase: 1, generator: &generator, truth: &truth)
        for (index, request) in requests.enumerated() {
            try await ScalingTests.deliver(request, startingAt: index, ports: [processes[0].port])
        }
        let read = await Self.get(
            "/api/v1/series/dyno-load?owner=\(owners[0])", port: processes[0].port, token: "read-\(owners[0])")
        #expect(read?.status == 200, "series read: \(String(describing: read))")

        let (ingress, aggregator, sink) = (processes[0], processes[1], processes[2])
        let sinkMetrics = try await Self.poll("/metrics", of: sink.process, port: sink.port) { _, body in
            (Self.sample("drainpipe_sink_copy_rows_count", in: body) ?? 0) > 0
        }.body
        let web = try await Self.poll("/metrics", of: ingress.process, port: ingress.port) { status, _ in
            status == 200
        }.body
        let aggregated = try await Self.poll("/metrics", of: aggregator.process, port: aggregator.port) { _, body in
            (Self.sample("drainpipe_aggregator_flush_duration_seconds_count", in: body) ?? 0) > 0
                && (Self.sample("drainpipe_kafka_produce_duration_seconds_count", in: body) ?? 0) > 0
        }.body

        // web: acknowledged batches timed; the drains and the read by route and status.
        #expect(Self.sample("drainpipe_kafka_produce_duration_seconds_count", in: web) ?? 0 > 0)
        #expect(Self.sample("drainpipe_kafka_produce_errors_total", in: web) == nil)
        #expect(
            Self.sample(
                "drainpipe_http_request_duration_seconds_count", ["route=\"/logs\"", "status=\"204\""], in: web)
                ?? 0 >= 12, "\(web)")
        #expect(
            Self.sample(
                "drainpipe_http_request_duration_seconds_count", ["route=\"/api/v1/series/", "status=\"200\""], in: web)
                == 1, "\(web)")
        // aggregator: a lag gauge for every raw partition it owns (one worker: all of them).
        let catalog = try TestServers.topicCatalog()
        let rawPartitions = try OwnedPartitions(
            topics: MeasurementType.allCases.flatMap { catalog.rawTopics(for: $0) }, kafka: kafka,
            assignment: WorkerAssignment(workerIndex: 0, workerCount: 1)
        ).partitions.count
        let lagSeries = aggregated.split(separator: "\n").filter {
            $0.hasPrefix("drainpipe_aggregator_partition_lag_messages{")
        }
        #expect(lagSeries.count == rawPartitions, "\(lagSeries)")
        // postgres-sink: every summary went through a timed COPY batch; a lag gauge per summary partition.
        let written = Self.sample("drainpipe_sink_summaries_written_total", in: sinkMetrics) ?? 0
        #expect(Self.sample("drainpipe_sink_copy_rows_sum", in: sinkMetrics) ?? 0 >= written)
        #expect(Self.sample("drainpipe_sink_copy_duration_seconds_count", in: sinkMetrics) ?? 0 > 0)
        #expect(Self.sample("drainpipe_sink_partition_lag_messages", ["mode=\"primary\""], in: sinkMetrics) != nil)
        for (name, exposition) in [("ingress", web), ("aggregator", aggregated), ("postgres-sink", sinkMetrics)] {
            let verdict = try MetricsExpositionTests.promtool(Data(exposition.utf8))
            #expect(verdict.status == 0, "promtool on \(name)'s /metrics: \(verdict.output)")
        }
    }

    @Test("web is not ready while its broker is unreachable or a shard is down, and names each; alive all along")
    func webNotReadyWithoutDependencies() async throws {
        let shards = try #require(ProcessInfo.processInfo.environment["TEST_DATABASE_SHARD_URLS"])
        let closedKafkaPort = try await IngressReloadTests.freePort()
        let closedPostgresPort = try await IngressReloadTests.freePort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("notready-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tenantsFile = directory.appendingPathComponent("tenants.yaml").path
        try "owners:\n  - id: team-a\n".write(toFile: tenantsFile, atomically: true, encoding: .utf8)
        let firstShard = shards.split(separator: ",")[0]
        let port = try await IngressReloadTests.freePort()
        let web = try ServiceProcess(
            "ingress",
            environment: [
                "KAFKA_URL": "kafka://127.0.0.1:\(closedKafkaPort)", "PORT": "\(port)", "GRAPHITE_PORT": "off",
                "DRAINPIPE_TOPICS": ScalingTests.repository.appendingPathComponent("topics.yaml").path,
                "DRAINPIPE_TENANTS": tenantsFile, "LOG_LEVEL": "critical",
                "DATABASE_SHARD_URLS": "\(firstShard),postgres://drainpipe@127.0.0.1:\(closedPostgresPort)/gone",
            ])
        defer { _ = web.terminate() }
        let answer = try await Self.poll("/readyz", of: web, port: port) { status, body in
            status == 503 && !body.contains("not checked yet")
        }
        let lines = answer.body.split(separator: "\n")
        #expect(lines.count == 2, "\(answer.body)")
        #expect(lines.first?.hasPrefix("kafka: no broker answered") == true, "\(answer.body)")
        #expect(lines.last?.hasPrefix("shard 1: ") == true, "\(answer.body)")
        #expect(await Self.get("/healthz", port: port)?.status == 200)
    }
}
