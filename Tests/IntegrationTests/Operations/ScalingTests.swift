import DrainpipeTestSupport
import Foundation
import Logging
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipePostgres
@testable import DrainpipeWorkloads

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// The scaled-out formation as real processes: 2 `ingress`, 3 `aggregator`, 2 `postgres-sink` and 1 `retry-sink`
/// over the embedded broker and 3 Postgres shards, fed a seeded drain workload (Logplex retries, too-late lines),
/// with one process of each kind killed (-9) and restarted at a random moment. The shards must then equal the ground
/// truth exactly. A second phase restarts the aggregators as 2 workers instead of 3, feeds more, kills again, and
/// checks again.
@Suite("Scaling", .serialized)
struct ScalingTests {
    /// A running formation: the processes of each Procfile type and how each was started.
    final class Formation: @unchecked Sendable {
        /// The processes of one Procfile type, by worker index, with the environment each was started with.
        var processes: [String: [(process: ServiceProcess, environment: [String: String])]] = [:]
        let ingressPorts: [Int]

        init(ingressPorts: [Int]) {
            self.ingressPorts = ingressPorts
        }

        func start(_ executable: String, environment: [String: String]) throws {
            processes[executable, default: []].append(
                (try ServiceProcess(executable, environment: environment), environment))
        }

        /// `kill -9` worker `index` of `executable` and start it again with the same environment, as a platform
        /// restarts a crashed dyno.
        func crashAndRestart(_ executable: String, index: Int) throws {
            guard let entry = processes[executable]?[index] else { return }
            entry.process.kill()
            processes[executable]?[index] = (try ServiceProcess(executable, environment: entry.environment), entry.1)
        }

        /// Stops every process of `executable` with SIGTERM and returns the exit statuses.
        @discardableResult
        func stop(_ executable: String) -> [Int32?] {
            defer { processes[executable] = [] }
            return (processes[executable] ?? []).map { $0.process.terminate() }
        }

        func stopAll() {
            for executable in processes.keys { stop(executable) }
        }

        /// The recent output of every process, for failure messages.
        var outputs: String {
            processes.flatMap { name, entries in
                entries.map { "--- \(name)\n\($0.process.output.suffix(1_500))" }
            }.joined(separator: "\n")
        }
    }

    struct SeriesMinute: Hashable {
        var owner: String
        var processType: String
        var minute: EventTime
    }

    /// One drain request: whose, its body and frame count, and the frame id Logplex gave it.
    struct DrainRequest {
        var owner: String
        var body: [UInt8]
        var frames: Int
        var frameID: String
    }

    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Owners whose shards cover all of `shardCount`, so every shard is written.
    static func owners(count: Int, shardCount: Int, generator: inout SplitMix64) -> [String] {
        let router = ShardRouter(shardCount: shardCount)
        while true {
            let owners = (0..<count).map { _ in
                "00000000-0000-4000-8000-" + String(format: "%012llx", generator.next() & 0xFFFF_FFFF_FFFF)
            }
            if Set(owners.map { router.shard(forOwner: $0) }).count == shardCount { return owners }
        }
    }

    /// `count` requests of 30 load samples each, stamped within the last 20 s of `now` (one in ten stamped 8–9
    /// minutes before, beyond the 5-minute late bound), adding what must count to `truth`.
    static func requests(
        count: Int, owners: [String], now: EventTime, phase: Int, generator: inout SplitMix64,
        truth: inout [SeriesMinute: [String: FieldStatistics]]
    ) -> [DrainRequest] {
        (0..<count).map { index in
            let owner = owners[Int(generator.next() % UInt64(owners.count))]
            var writer = LogplexFrameWriter()
            for _ in 0..<30 {
                let processType = ["web", "worker", "clock"][Int(generator.next() % 3)]
                let tooLate = generator.next() % 10 == 0
                let age: Duration =
                    tooLate
                    ? .seconds(480 + Int64(generator.next() % 60)) : .milliseconds(Int64(generator.next() % 20_000))
                let time = now - age
                let values = (0..<3).map { _ in Double(generator.next() % 400) / 4 }  // quarter steps: exact sums
                writer.appendLoadSample(
                    time: time, processID: "\(processType).\(1 + generator.next() % 3)", oneMinute: values[0],
                    fiveMinutes: values[1], fifteenMinutes: values[2])
                guard !tooLate else { continue }
                let key = SeriesMinute(
                    owner: owner, processType: processType, minute: time.windowStart(length: .seconds(60)))
                for (name, value) in zip(["load_avg_1m", "load_avg_5m", "load_avg_15m"], values) {
                    truth[key, default: [:]][name, default: .empty].add(value)
                }
            }
            return DrainRequest(
                owner: owner, body: writer.body, frames: writer.frameCount,
                frameID: String(format: "%016llX%016llX", UInt64(phase), UInt64(index)))
        }
    }

    /// Posts `request` as Logplex does: to one ingress, and on an error or a non-2xx answer again (same frame id) to
    /// the next, until one acknowledges it with 204.
    static func deliver(_ request: DrainRequest, startingAt first: Int, ports: [Int]) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        var attempt = first
        while ContinuousClock.now < deadline {
            let port = ports[attempt % ports.count]
            attempt += 1
            var post = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/logs")!)
            post.httpMethod = "POST"
            post.timeoutInterval = 10
            post.setValue(
                "Basic " + Data("\(request.owner):secret".utf8).base64EncodedString(),
                forHTTPHeaderField: "Authorization")
            post.setValue(String(request.frames), forHTTPHeaderField: "Logplex-Msg-Count")
            post.setValue(request.frameID, forHTTPHeaderField: "Logplex-Frame-Id")
            post.setValue("application/logplex-1", forHTTPHeaderField: "Content-Type")
            post.httpBody = Data(request.body)
            if let (_, response) = try? await URLSession.shared.data(for: post),
                (response as? HTTPURLResponse)?.statusCode == 204
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("no ingress acknowledged frame \(request.frameID) within 60 s")
    }

    /// Feeds `requests` through the ingresses, re-sending one in eight (a Logplex retry of an acknowledged batch),
    /// and crashes one process of each kind once, each at its own random request.
    static func feed(
        _ requests: [DrainRequest], formation: Formation, generator: inout SplitMix64
    ) async throws {
        var crashes: [Int: String] = [:]
        for executable in ["ingress", "aggregator", "postgres-sink", "retry-sink"] {
            var at = Int(generator.next() % UInt64(requests.count))
            while crashes[at] != nil { at = (at + 1) % requests.count }
            crashes[at] = executable
        }
        for (index, request) in requests.enumerated() {
            if let executable = crashes[index] {
                let count = formation.processes[executable]?.count ?? 0
                try formation.crashAndRestart(executable, index: Int(generator.next() % UInt64(max(count, 1))))
            }
            try await deliver(request, startingAt: index, ports: formation.ingressPorts)
            if generator.next() % 8 == 0 {
                try await deliver(request, startingAt: index + 1, ports: formation.ingressPorts)
            }
        }
    }

    /// Waits until every shard holds exactly the truth for `owners`, and checks it field by field.
    static func expectShardsEqual(
        _ truth: [SeriesMinute: [String: FieldStatistics]], owners: [String], around now: EventTime,
        database: ShardedDatabase, formation: Formation
    ) async throws {
        let expectedCount = truth.values.reduce(0) { $0 + ($1["load_avg_1m"]?.count ?? 0) }
        var stored: [SeriesMinute: Summary] = [:]
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            stored = [:]
            for owner in owners {
                let summaries = try await database.summaries(
                    type: .dynoLoad, owner: owner, processType: nil,
                    metric: MeasurementType.dynoLoad.platformMetricName,
                    from: now - .seconds(1_800), to: now + .seconds(600))
                for summary in summaries {
                    let key = SeriesMinute(
                        owner: owner, processType: summary.key.processType, minute: summary.key.windowStart)
                    #expect(stored[key] == nil, "series \(key) stored twice")
                    stored[key] = summary
                }
            }
            let storedCount = stored.values.reduce(0) { $0 + ($1.fields["load_avg_1m"]?.count ?? 0) }
            if storedCount == expectedCount && stored.count == truth.count { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let missing = Set(truth.keys).subtracting(stored.keys)
        let unexpected = Set(stored.keys).subtracting(truth.keys)
        #expect(
            missing.isEmpty && unexpected.isEmpty,
            """
            \(missing.count) series missing (e.g. \(missing.first.map { "\($0)" } ?? "none")), \(unexpected.count) \
            unexpected (e.g. \(unexpected.first.map { "\($0)" } ?? "none"))\n\(formation.outputs)
            """)
        for (key, fields) in truth {
            guard let summary = stored[key] else { continue }
            for (name, statistics) in fields {
                let served = summary.fields[name]
                #expect(
                    served == statistics, "\(key) \(name): stored \(String(describing: served)), truth \(statistics)")
            }
        }
    }

    @Test(
        """
        2 ingress, 3 aggregators, 2 sinks and a retry-sink over 3 shards stay exact through kill -9 \
        and 3 → 2 aggregators
        """,
        .timeLimit(.minutes(6)))
    func scaledOutFormationIsExact() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "scaling")
        let shardList = try #require(
            ProcessInfo.processInfo.environment["TEST_SCALING_SHARD_URLS"],
            "run through deploy/test, which sets TEST_SCALING_SHARD_URLS to 3 databases")
        let shards = try shardList.split(separator: ",").map { try DatabaseURL(environmentValue: String($0)) }
        try #require(shards.count == 3, "TEST_SCALING_SHARD_URLS must name 3 databases")
        var logger = Logger(label: "scaling")
        logger.logLevel = .warning
        let database = ShardedDatabase(shards: shards, logger: logger)
        var generator = SplitMix64(seed: UInt64(Date().timeIntervalSince1970))
        let owners = Self.owners(count: 5, shardCount: shards.count, generator: &generator)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("scaling-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tenantsFile = directory.appendingPathComponent("tenants.yaml").path
        try
            ("owners:\n"
            + owners.map { "  - id: \($0)\n    drain_credentials: [\"\($0):secret\"]\n" }.joined())
            .write(toFile: tenantsFile, atomically: true, encoding: .utf8)
        let common = [
            "KAFKA_URL": kafka.bootstrapServers, "KAFKA_PREFIX": kafka.prefix,
            "DRAINPIPE_TOPICS": Self.repository.appendingPathComponent("topics.yaml").path,
            "DATABASE_SHARD_URLS": shardList,
            "FLUSH_INTERVAL": "250ms", "SINK_BATCH_SIZE": "200", "LOG_LEVEL": "warning",
        ]
        func environment(_ own: [String: String]) -> [String: String] {
            common.merging(own) { _, own in own }
        }

        var ports: [Int] = []
        for _ in 0..<2 { ports.append(try await IngressReloadTests.freePort()) }
        let formation = Formation(ingressPorts: ports)
        defer { formation.stopAll() }
        for (index, port) in ports.enumerated() {
            try formation.start(
                "ingress",
                environment: environment([
                    "PORT": "\(port)", "GRAPHITE_PORT": "off", "DYNO": "web.\(index + 1)",
                    "DRAINPIPE_TENANTS": tenantsFile,
                ]))
        }
        for index in 1...3 {
            try formation.start(
                "aggregator", environment: environment(["DYNO": "aggregator.\(index)", "AGGREGATOR_WORKERS": "3"]))
        }
        for index in 1...2 {
            try formation.start(
                "postgres-sink",
                environment: environment(["DYNO": "postgres_sink.\(index)", "POSTGRES_SINK_WORKERS": "2"]))
        }
        try formation.start(
            "retry-sink", environment: environment(["DYNO": "retry_sink.1", "RETRY_SINK_WORKERS": "1"]))

        var truth: [SeriesMinute: [String: FieldStatistics]] = [:]
        let firstNow = SystemWallClock().now()
        let first = Self.requests(
            count: 80, owners: owners, now: firstNow, phase: 1, generator: &generator, truth: &truth)
        try await Self.feed(first, formation: formation, generator: &generator)
        try await Self.expectShardsEqual(
            truth, owners: owners, around: firstNow, database: database, formation: formation)

        // Phase 2: the aggregators come back as 2 workers instead of 3.
        let statuses = formation.stop("aggregator")
        #expect(statuses.allSatisfy { $0 == 0 }, "an aggregator did not stop cleanly: \(statuses)")
        for index in 1...2 {
            try formation.start(
                "aggregator", environment: environment(["DYNO": "aggregator.\(index)", "AGGREGATOR_WORKERS": "2"]))
        }
        let secondNow = SystemWallClock().now()
        let second = Self.requests(
            count: 80, owners: owners, now: secondNow, phase: 2, generator: &generator, truth: &truth)
        try await Self.feed(second, formation: formation, generator: &generator)
        try await Self.expectShardsEqual(
            truth, owners: owners, around: secondNow, database: database, formation: formation)
    }
}
