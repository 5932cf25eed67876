import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import ServiceLifecycle
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWorkloads

/// The whole pipeline on real parts: drain posts through ingress's router, the embedded (or real) Kafka,
/// the aggregator, the postgres-sink into sharded Postgres, and reads back through the API.
@Suite("End to end", .serialized)
struct EndToEndTests {
    /// 2024-03-05T14:00:00Z: a fixed past, so the test never reads the wall clock.
    static let base = EventTime(secondsSinceEpoch: 1_709_647_200)

    struct SeriesMinute: Hashable {
        var owner: String
        var processType: String
        var minute: EventTime
    }

    @Test(
        "drain posts for several owners, process types and minutes read back exactly through the API",
        .timeLimit(.minutes(3)))
    func drainToAPI() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "e2e")
        let topics = try TestServers.topicCatalog()
        let shards = try TestServers.databaseShards()
        var logger = Logger(label: "e2e")
        logger.logLevel = .warning
        let metrics = NOOPMetricsHandler.instance

        let owners = (0..<3).map { _ in UUID().uuidString.lowercased() }
        let tenants = try TenantDirectory(
            owners: owners.map {
                TenantDirectory.Owner(id: $0, drainCredentials: ["\($0):secret"], apiTokens: ["token-\($0)"])
            })
        // Ingress receives everything four minutes after `base`: lines from the three minutes before are within
        // the late bound, lines stamped six minutes before are too late and must not count.
        let clock = ManualWallClock(Self.base + .seconds(240))

        let ingressProducer = try KafkaProducer(connection: kafka, clientID: "e2e-ingress", logger: logger)
        let pipelineProducer = try KafkaProducer(connection: kafka, clientID: "e2e-pipeline", logger: logger)
        let database = ShardedDatabase(shards: shards, logger: logger)
        let everything = try WorkerAssignment(workerIndex: 0, workerCount: 1)
        let aggregator = AggregatorService(
            settings: .init(
                topics: topics, kafka: kafka, assignment: everything, windows: .production,
                flushInterval: .milliseconds(100), types: [.dynoLoad]),
            clock: ContinuousClock(), publisher: pipelineProducer, metrics: metrics, logger: logger)
        let sink = SinkRunner(
            settings: .postgres(
                mode: .primary, topics: topics, kafka: kafka, assignment: everything, types: [.dynoLoad]),
            destination: PostgresSummaryDestination(database: database), publisher: pipelineProducer, metrics: metrics,
            logger: logger)

        let router = Router()
        let context = IngressContext(
            tenants: LiveTenantDirectory(tenants), topics: topics, kafka: kafka,
            admission: IngressAdmission(clock: clock, metrics: metrics),
            delivery: IngressDelivery(publisher: ingressProducer, timeout: .seconds(10), logger: logger), clock: clock)
        let ingestor = DrainIngestor(context: context, metrics: metrics, logger: logger)
        DrainRoutes(ingestor: ingestor, maximumBodyBytes: 1 << 20).register(on: router)
        SeriesRoutes(tenants: context.tenants, store: database, clock: clock).register(on: router)
        let application = Application(router: router, logger: logger)

        var generator = SplitMix64(seed: 7)
        var truth: [SeriesMinute: [String: FieldStatistics]] = [:]
        var bodies: [(owner: String, body: [UInt8], frames: Int)] = []
        for owner in owners {
            for _ in 0..<4 {
                var writer = LogplexFrameWriter()
                for _ in 0..<40 {
                    let processType = ["web", "worker", "clock"][Int(generator.next() % 3)]
                    let tooLate = generator.next() % 10 == 0
                    let offset =
                        tooLate ? Int64(-120 + Int(generator.next() % 60)) : Int64(generator.next() % 180_000) / 1000
                    let time = Self.base + .milliseconds(offset * 1000 + Int64(generator.next() % 1000))
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
                bodies.append((owner, writer.body, writer.frameCount))
            }
        }

        // Garbage, one valid line and a truncated frame in one body: 200 saying what was rejected, the valid line kept.
        var mixed = LogplexFrameWriter()
        let keptTime = Self.base + .seconds(61)
        mixed.appendLoadSample(
            time: keptTime, processID: "web.9", oneMinute: 0.5, fiveMinutes: 0.25, fifteenMinutes: 0.75)
        let badBody =
            Array("garbage\n".utf8) + mixed.body
            + Array("999 <45>1 2024-03-05T14:01:00Z host heroku web.1 - cut short".utf8)
        let keptKey = SeriesMinute(
            owner: owners[0], processType: "web", minute: keptTime.windowStart(length: .seconds(60)))
        for (name, value) in zip(["load_avg_1m", "load_avg_5m", "load_avg_15m"], [0.5, 0.25, 0.75]) {
            truth[keptKey, default: [:]][name, default: .empty].add(value)
        }

        let requests = bodies
        let groundTruth = truth
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await aggregator.run() }
            group.addTask { try await sink.run() }
            try await application.test(.router) { client in
                for (index, (owner, body, frames)) in requests.enumerated() {
                    // Every batch has its own frame id, as Logplex's are; a repeated one would be a retry, counted
                    // once.
                    try await client.execute(
                        uri: "/logs", method: .post,
                        headers: [
                            .authorization: Self.basic("\(owner):secret"), DrainRoutes.msgCount: String(frames),
                            DrainRoutes.frameID: String(format: "4E0B9A3C7D1F28A6B5C4E3D2F1A0%04X", index),
                        ],
                        body: ByteBuffer(bytes: body)
                    ) { response in
                        #expect(response.status == .noContent)
                    }
                }
                try await client.execute(
                    uri: "/logs", method: .post, headers: [.authorization: Self.basic("\(owners[0]):secret")],
                    body: ByteBuffer(bytes: badBody)
                ) { response in
                    #expect(response.status == .ok)
                    let message = String(buffer: response.body)
                    #expect(
                        message.contains("2 frames rejected") && message.contains("1 frame(s) accepted"),
                        "unexpected 200 body: \(message)")
                }
                // Every (owner, process type, minute) must come back with exactly the accepted measurements.
                for owner in owners {
                    let expected = groundTruth.filter { $0.key.owner == owner }
                    let uri =
                        "/api/v1/series/dyno-load?owner=\(owner)&from=\(Self.base.secondsSinceEpoch - 600)"
                        + "&to=\(Self.base.secondsSinceEpoch + 600)"
                    var points: [SeriesResponse.Point] = []
                    while true {
                        points = try await client.execute(
                            uri: uri, method: .get, headers: [.authorization: "Bearer token-\(owner)"]
                        ) { response in
                            #expect(response.status == .ok)
                            return try JSONDecoder().decode(
                                SeriesResponse.self, from: Data(response.body.readableBytesView)
                            ).points
                        }
                        if Self.totalCount(points) >= Self.totalCount(expected) { break }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(points.count == expected.count)
                    for point in points {
                        let key = SeriesMinute(
                            owner: owner, processType: point.processType,
                            minute: EventTime(secondsSinceEpoch: point.windowStartEpoch))
                        let fields = try #require(expected[key], "unexpected point \(key)")
                        for (name, statistics) in fields {
                            let served = try #require(point.fields[name])
                            #expect(served.count == statistics.count)
                            #expect(served.sum == statistics.sum)
                            #expect(served.min == statistics.minimum)
                            #expect(served.max == statistics.maximum)
                            #expect(served.mean == statistics.mean)
                        }
                    }
                }
                // Another owner's token reads nothing of this owner.
                try await client.execute(
                    uri: "/api/v1/series/dyno-load?owner=\(owners[0])", method: .get,
                    headers: [.authorization: "Bearer token-\(owners[1])"]
                ) { response in
                    #expect(response.status == .forbidden)
                }
            }
            group.cancelAll()
        }
        await ingressProducer.close()
        await pipelineProducer.close()
    }

    static func basic(_ credential: String) -> String {
        "Basic " + Data(credential.utf8).base64EncodedString()
    }

    static func totalCount(_ points: [SeriesResponse.Point]) -> UInt64 {
        points.reduce(0) { $0 + ($1.fields["load_avg_1m"]?.count ?? 0) }
    }

    static func totalCount(_ truth: [SeriesMinute: [String: FieldStatistics]]) -> UInt64 {
        truth.values.reduce(0) { $0 + ($1["load_avg_1m"]?.count ?? 0) }
    }
}
