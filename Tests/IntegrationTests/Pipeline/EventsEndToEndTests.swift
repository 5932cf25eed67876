import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWorkloads

/// Platform events on real parts: drain posts through ingress, the broker, the aggregator and the postgres-sink into
/// sharded Postgres, read back through `/api/v1/events`, `/events/get_data` and, for R-codes, the error series.
@Suite("Platform events end to end", .serialized)
struct EventsEndToEndTests {
    /// 2024-03-05T14:00:00Z.
    static let base = EventTime(secondsSinceEpoch: 1_709_647_200)

    /// One expected marker.
    struct Marker: Hashable, Comparable {
        var time: Int64
        var kind: String
        var processType: String
        var dyno: String
        var text: String

        static func < (lhs: Marker, rhs: Marker) -> Bool {
            (lhs.time, lhs.kind, lhs.dyno, lhs.text) < (rhs.time, rhs.kind, rhs.dyno, rhs.text)
        }
    }

    @Test(
        "deploys, restarts, scaling, R-codes and a crash loop read back exactly, retries counted once",
        .timeLimit(.minutes(3)))
    func drainToAPI() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "events-e2e")
        let topics = try TestServers.topicCatalog()
        var logger = Logger(label: "events-e2e")
        logger.logLevel = .warning
        let metrics = NOOPMetricsHandler.instance
        let owners = (0..<2).map { _ in UUID().uuidString.lowercased() }
        let tenants = try TenantDirectory(
            owners: owners.map {
                TenantDirectory.Owner(id: $0, drainCredentials: ["\($0):secret"], apiTokens: ["token-\($0)"])
            })
        let clock = ManualWallClock(Self.base + .seconds(240))
        let ingressProducer = try KafkaProducer(connection: kafka, clientID: "events-ingress", logger: logger)
        let pipelineProducer = try KafkaProducer(connection: kafka, clientID: "events-pipeline", logger: logger)
        let database = ShardedDatabase(shards: try TestServers.databaseShards(), logger: logger)
        let everything = try WorkerAssignment(workerIndex: 0, workerCount: 1)
        let types: [MeasurementType] = [.platformEvents, .dynoErrors]
        let aggregator = AggregatorService(
            settings: .init(
                topics: topics, kafka: kafka, assignment: everything, windows: .production,
                flushInterval: .milliseconds(100), types: types),
            clock: ContinuousClock(), publisher: pipelineProducer, metrics: metrics, logger: logger)
        let sink = SummarySinkService(
            settings: .init(mode: .primary, topics: topics, kafka: kafka, assignment: everything, types: types),
            database: database, publisher: pipelineProducer, metrics: metrics, logger: logger)

        let router = Router()
        let context = IngressContext(
            tenants: LiveTenantDirectory(tenants), topics: topics, kafka: kafka,
            admission: IngressAdmission(clock: clock, metrics: metrics),
            delivery: IngressDelivery(publisher: ingressProducer, timeout: .seconds(10), logger: logger), clock: clock)
        DrainRoutes(
            ingestor: DrainIngestor(context: context, metrics: metrics, logger: logger), maximumBodyBytes: 1 << 20
        )
        .register(on: router)
        SeriesRoutes(tenants: context.tenants, store: database, clock: clock).register(on: router)
        EventsRoutes(tenants: context.tenants, store: database, clock: clock).register(on: router)
        let application = Application(router: router, logger: logger)

        // Per owner: a deploy with every dyno restarting, a scale, an R14, random dyno events, a line too late and
        // a malformed one; owner 0 also has a crash loop of 130 events in one minute, beyond the bound of 100.
        var generator = SplitMix64(seed: 11)
        var truth: [String: [Marker]] = [:]
        var bodies: [(owner: String, body: [UInt8], frames: Int)] = []
        for (index, owner) in owners.enumerated() {
            var writer = LogplexFrameWriter()
            var markers: [Marker] = []
            let deployTime = Self.base + .seconds(30)
            let commit = String(format: "%07x", 0xABC_0000 + index)
            DrainTrafficGenerator.appendDeploy(
                to: &writer, time: deployTime, version: 40 + index, commit: commit, dynos: ["web.1", "worker.1"])
            let deploySeconds = deployTime.microsecondsSinceEpoch
            markers += [
                Marker(time: deploySeconds, kind: "deploy", processType: "api", dyno: "", text: commit),
                Marker(time: deploySeconds, kind: "release", processType: "api", dyno: "", text: "v\(40 + index)"),
            ]
            for dyno in ["web.1", "worker.1"] {
                let processType = String(dyno.prefix { $0 != "." })
                markers += [
                    ("restart", ""), ("stop", "SIGTERM"), ("exit", "status 143"), ("state", "up -> starting"),
                    ("start", "bin/start \(dyno)"), ("state", "starting -> up"),
                ].map { Marker(time: deploySeconds, kind: $0.0, processType: processType, dyno: dyno, text: $0.1) }
            }
            let scaleTime = Self.base + .seconds(100)
            DrainTrafficGenerator.appendScale(to: &writer, time: scaleTime, formation: "web=2, worker=1")
            markers.append(
                Marker(
                    time: scaleTime.microsecondsSinceEpoch, kind: "scale", processType: "api", dyno: "",
                    text: "web=2, worker=1"))
            let errorTime = Self.base + .seconds(150)
            writer.appendRuntimeError(
                time: errorTime, processID: "web.2", code: "R14", description: "Memory quota exceeded")
            markers.append(
                Marker(
                    time: errorTime.microsecondsSinceEpoch, kind: "error", processType: "web", dyno: "web.2",
                    text: "R14 (Memory quota exceeded)"))
            for _ in 0..<20 {
                let time = Self.base + .milliseconds(Int64(generator.next() % 200_000))
                let dyno = ["web.1", "web.2", "worker.1", "run.42"][Int(generator.next() % 4)]
                let (message, kind, text) = [
                    ("Restarting", "restart", ""), ("Cycling", "cycle", ""),
                    ("State changed from up to down", "state", "up -> down"),
                    ("Process exited with status 1", "exit", "status 1"),
                ][Int(generator.next() % 4)]
                writer.append(priority: 45, time: time, appName: "heroku", processID: dyno, message: message)
                markers.append(
                    Marker(
                        time: time.microsecondsSinceEpoch, kind: kind, processType: String(dyno.prefix { $0 != "." }),
                        dyno: dyno, text: text))
            }
            if index == 0 {
                for step in 0..<130 {
                    let time = Self.base + .seconds(180) + .milliseconds(Int64(step) * 400)
                    writer.append(
                        priority: 45, time: time, appName: "heroku", processID: "worker.2",
                        message: "State changed from up to crashed")
                    markers.append(
                        Marker(
                            time: time.microsecondsSinceEpoch, kind: "state", processType: "worker", dyno: "worker.2",
                            text: "up -> crashed"))
                }
            }
            writer.append(
                priority: 45, time: Self.base - .seconds(120), appName: "heroku", processID: "web.1",
                message: "Restarting")  // too late: more than 5 min before receipt
            bodies.append((owner, writer.body, writer.frameCount))
            truth[owner] = markers
        }
        var malformed = LogplexFrameWriter()
        malformed.append(
            priority: 45, time: Self.base + .seconds(10), appName: "app", processID: "api",
            message: "Release v42 by ops@example.com")
        malformed.append(
            priority: 45, time: Self.base + .seconds(10), appName: "heroku", processID: "web.1",
            message: "Restarting")
        truth[owners[1], default: []].append(
            Marker(
                time: (Self.base + .seconds(10)).microsecondsSinceEpoch, kind: "restart", processType: "web",
                dyno: "web.1", text: ""))

        let requests = bodies
        let expected = truth
        let malformedBody = malformed.body
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await aggregator.run() }
            group.addTask { try await sink.run() }
            try await application.test(.router) { client in
                for (index, (owner, body, frames)) in requests.enumerated() {
                    // Each batch twice with its frame id: the Logplex retry must count once.
                    for _ in 0..<2 {
                        try await client.execute(
                            uri: "/logs", method: .post,
                            headers: [
                                .authorization: EndToEndTests.basic("\(owner):secret"),
                                DrainRoutes.msgCount: String(frames),
                                DrainRoutes.frameID: String(format: "7E0B9A3C7D1F28A6B5C4E3D2F1A0%04X", index),
                            ],
                            body: ByteBuffer(bytes: body)
                        ) { response in
                            #expect(response.status == .noContent)
                        }
                    }
                }
                try await client.execute(
                    uri: "/logs", method: .post, headers: [.authorization: EndToEndTests.basic("\(owners[1]):secret")],
                    body: ByteBuffer(bytes: malformedBody)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains("1 malformed platform event"))
                }

                let range = "from=\(Self.base.secondsSinceEpoch - 600)&to=\(Self.base.secondsSinceEpoch + 600)"
                for owner in owners {
                    let markers = try #require(expected[owner])
                    var response: EventsResponse?
                    let deadline = ContinuousClock.now + .seconds(90)
                    while ContinuousClock.now < deadline {
                        response = try await client.execute(
                            uri: "/api/v1/events?owner=\(owner)&\(range)", method: .get,
                            headers: [.authorization: "Bearer token-\(owner)"]
                        ) { try JSONDecoder().decode(EventsResponse.self, from: Data($0.body.readableBytesView)) }
                        let counted = response?.counts.reduce(0) { $0 + $1.counts.values.reduce(0, +) } ?? 0
                        if counted >= markers.count { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    let served = try #require(response)
                    // Counts: every marker by kind, exactly once.
                    var expectedCounts: [String: UInt64] = [:]
                    for marker in markers { expectedCounts[marker.kind, default: 0] += 1 }
                    var servedCounts: [String: UInt64] = [:]
                    for window in served.counts {
                        for (kind, count) in window.counts { servedCounts[kind, default: 0] += count }
                    }
                    #expect(servedCounts == expectedCounts)
                    // Events: the earliest 100 of each (process type, minute), the rest counted as overflow.
                    let groups = Dictionary(grouping: markers) {
                        "\($0.processType) \($0.time / 60_000_000)"
                    }
                    let kept = groups.values.flatMap { $0.sorted().prefix(PlatformEventLog.capacity) }
                    let overflow = groups.values.reduce(0) { $0 + max(0, $1.count - PlatformEventLog.capacity) }
                    let servedMarkers = served.events.map {
                        Marker(
                            time: $0.timeEpochMicroseconds, kind: $0.kind, processType: $0.processType, dyno: $0.dyno,
                            text: $0.text)
                    }
                    #expect(servedMarkers.sorted() == kept.sorted())
                    #expect(served.counts.reduce(0) { $0 + Int($1.overflow) } == overflow)
                    #expect(owner != owners[0] || overflow >= 30)
                }

                // Grafana's annotation query: one owner's deploys.
                let graphite = try await client.execute(
                    uri: "/events/get_data?from=\(Self.base.secondsSinceEpoch - 600)&until=now"
                        + "&tags=\(owners[0])%20deploy",
                    method: .get, headers: [.authorization: EndToEndTests.basic("grafana:token-\(owners[0])")]
                ) { try JSONDecoder().decode([GraphiteEvent].self, from: Data($0.body.readableBytesView)) }
                #expect(graphite.map(\.what) == ["deploy abc0000"])
                #expect(graphite.first?.when == Double((Self.base + .seconds(30)).secondsSinceEpoch))

                // The R-code is still an error count.
                var r14Count: UInt64 = 0
                let deadline = ContinuousClock.now + .seconds(30)
                while r14Count == 0, ContinuousClock.now < deadline {
                    let errors = try await client.execute(
                        uri: "/api/v1/series/dyno-errors?owner=\(owners[0])&\(range)", method: .get,
                        headers: [.authorization: "Bearer token-\(owners[0])"]
                    ) { try JSONDecoder().decode(SeriesResponse.self, from: Data($0.body.readableBytesView)) }
                    r14Count = errors.points.reduce(0) { $0 + ($1.counts["R14"] ?? 0) }
                    if r14Count == 0 { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(r14Count == 1)
            }
            group.cancelAll()
        }
        await ingressProducer.close()
        await pipelineProducer.close()
    }
}
