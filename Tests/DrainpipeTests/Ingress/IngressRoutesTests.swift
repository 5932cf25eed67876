import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import MetricsTestKit
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWire
@testable import DrainpipeWorkloads

/// Drain and Graphite posts in-process: encodings, partial rejections, tenants, admission and caps.
@Suite("Ingress routes")
struct IngressRoutesTests {
    static let owner = "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71"
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)
    static let basic: HTTPFields = [.authorization: "Basic " + Data("shop:secret".utf8).base64EncodedString()]

    static func application(
        publisher: InMemoryPublisher, metrics: any MetricsFactory = NOOPMetricsHandler.instance,
        maximumBodyBytes: Int = 64 * 1024
    ) throws -> some ApplicationProtocol {
        let tenants = try TenantDirectory(owners: [
            .init(
                id: owner, drainCredentials: ["shop:secret"], apiTokens: [],
                deniedMetrics: [MetricPattern("nothing-here")!]),
            .init(
                id: "denied-app", drainCredentials: ["denied:secret"], apiTokens: [],
                deniedMetrics: [MetricPattern("load_*")!]),
            .init(
                id: "small-app", drainCredentials: ["small:secret"], apiTokens: [], limits: .init(updatesPerMinute: 2)),
            .init(
                id: "team-a", drainCredentials: [], apiTokens: [], graphiteTokens: ["gr-a"],
                deniedMetrics: [MetricPattern("*.debug.*")!], limits: .init(updatesPerMinute: 4)),
            .init(
                id: "team-b", drainCredentials: [], apiTokens: [], graphiteTokens: ["gr-b"],
                requiresGraphiteNamingConvention: true),
        ])
        let clock = ManualWallClock(now)
        let live = LiveTenantDirectory(tenants)
        let admission = IngressAdmission(clock: clock, metrics: metrics)
        let delivery = IngressDelivery(publisher: publisher, timeout: .seconds(30), logger: Logger(label: "test"))
        let topics = try TopicCatalogTests.rawVersion1Catalog()
        let kafka = KafkaConnection(bootstrapServers: "127.0.0.1:1")
        let context = IngressContext(
            tenants: live, topics: topics, kafka: kafka, admission: admission, delivery: delivery, clock: clock)
        let router = Router()
        DrainRoutes(
            ingestor: DrainIngestor(context: context, metrics: metrics, logger: Logger(label: "test")),
            maximumBodyBytes: maximumBodyBytes
        ).register(on: router)
        GraphiteRoutes(
            ingestor: GraphiteIngestor(
                context: context, pastWindow: .seconds(300), futureWindow: .seconds(300), metrics: metrics,
                logger: Logger(label: "test")),
            maximumBodyBytes: maximumBodyBytes
        ).register(on: router)
        return Application(router: router)
    }

    static func loadBody(frames: Int = 1) -> [UInt8] {
        var writer = LogplexFrameWriter()
        for index in 0..<frames {
            writer.appendLoadSample(
                time: now - .seconds(5), processID: "web.\(index + 1)", oneMinute: 1, fiveMinutes: 1, fifteenMinutes: 1)
        }
        return writer.body
    }

    /// Compresses with the system's gzip tool, so the test does not rely on the code it checks.
    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-\(UUID().uuidString)")
        try Data(bytes).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/gzip")
        process.arguments = ["-c", input.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }

    @Test("the Basic credential is read from any spelling of the scheme, blanks around it, and non-ASCII headers")
    func basicCredentialSpellings() {
        let encoded = Data("shop:secret".utf8).base64EncodedString()
        for header in ["Basic \(encoded)", "bAsIc \(encoded)", "Basic  \t\(encoded) \t", "Basic \(encoded)\u{2003}"] {
            #expect(DrainRoutes.basicCredential(header) == "shop:secret", "\(header)")
        }
        for header in [
            nil, "Bearer \(encoded)", "Basic", "Basic ", "Basic !!!", "Basicx\(encoded)", "Bäsic \(encoded)",
        ] {
            #expect(DrainRoutes.basicCredential(header) == nil, "\(String(describing: header))")
        }
        #expect(DrainRoutes.basicCredential("Basic " + Data([0xFF, 0x3A]).base64EncodedString()) == nil)
    }

    @Test("the credential cache answers as the decoding does, for valid and invalid headers, and stays bounded")
    func basicCredentialCache() {
        let cache = BasicCredentialCache(capacity: 3)
        let long = "Basic " + Data(("shop:" + String(repeating: "s", count: 300)).utf8).base64EncodedString()
        let headers: [String?] = [
            nil, "Basic " + Data("shop:secret".utf8).base64EncodedString(), "Basic !!!", "Bearer x",
            "Basic " + Data("calm:secret".utf8).base64EncodedString(), long,
        ]
        for _ in 0..<3 {
            for header in headers {
                let expected = DrainRoutes.basicCredential(header)
                #expect(cache.credential(header) == expected, "\(String(describing: header))")
                #expect(cache.count <= 3)
            }
        }
        #expect(cache.credential(long)?.hasPrefix("shop:sss") == true)
    }

    @Test(
        """
        a gzip drain body is inflated; a zip bomb stops at the \
        body limit with 413; a corrupt or unknown encoding gets 415
        """
    )
    func gzipBodies() async throws {
        let publisher = InMemoryPublisher()
        let bomb = try Self.gzip([UInt8](repeating: 0x30, count: 4 << 20))
        #expect(bomb.count < 64 * 1024)
        let compressed = try Self.gzip(Self.loadBody(frames: 3))
        try await Self.application(publisher: publisher).test(.router) { client in
            var headers = Self.basic
            headers[.contentEncoding] = "gzip"
            try await client.execute(uri: "/logs", method: .post, headers: headers, body: ByteBuffer(bytes: compressed))
            { response in
                #expect(response.status == .noContent)
                #expect(response.headers[DrainRoutes.acceptedFrames] == "3")
            }
            try await client.execute(uri: "/logs", method: .post, headers: headers, body: ByteBuffer(bytes: bomb)) {
                response in
                #expect(response.status == .contentTooLarge)
            }
            try await client.execute(
                uri: "/logs", method: .post, headers: headers, body: ByteBuffer(bytes: compressed.dropLast(12))
            ) { response in
                #expect(response.status == .unsupportedMediaType)
            }
            headers[.contentEncoding] = "br"
            try await client.execute(
                uri: "/logs", method: .post, headers: headers, body: ByteBuffer(bytes: Self.loadBody())
            ) { response in
                #expect(response.status == .unsupportedMediaType)
            }
        }
        #expect(publisher.records.count == 3)
    }

    @Test("bad frames next to good ones: 200 saying how many were rejected; only an unframeable body is a 400")
    func partialDrain() async throws {
        let publisher = InMemoryPublisher()
        try await Self.application(publisher: publisher).test(.router) { client in
            let body =
                Self.loadBody() + Array("17 garbage without a header\n".utf8) + Array("x\n".utf8) + Self.loadBody()
            try await client.execute(uri: "/logs", method: .post, headers: Self.basic, body: ByteBuffer(bytes: body)) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[DrainRoutes.acceptedFrames] == "3")
                #expect(response.headers[DrainRoutes.rejectedFrames] == "1")
                #expect(response.headers[DrainRoutes.rejectedLines] == "1")
                #expect(String(buffer: response.body).contains("1 bad length prefix"))
            }
            try await client.execute(uri: "/logs", method: .post, headers: Self.basic, body: ByteBuffer(string: "x\n"))
            { response in
                #expect(response.status == .badRequest)
            }
        }
        #expect(publisher.records.count == 2)
    }

    @Test(
        """
        drain measurements pass the owner's deny list and caps too: denied ones \
        are counted in a 200, over the cap is a 429, more than a whole cap a 413
        """
    )
    func drainAdmission() async throws {
        let publisher = InMemoryPublisher()
        @Sendable func basic(_ credential: String) -> HTTPFields {
            [.authorization: "Basic " + Data(credential.utf8).base64EncodedString()]
        }
        try await Self.application(publisher: publisher).test(.router) { client in
            try await client.execute(
                uri: "/logs", method: .post, headers: basic("denied:secret"),
                body: ByteBuffer(bytes: Self.loadBody(frames: 2))
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[DrainRoutes.deniedMeasurements] == "2")
            }
            try await client.execute(
                uri: "/logs", method: .post, headers: basic("small:secret"),
                body: ByteBuffer(bytes: Self.loadBody(frames: 2))
            ) { response in
                #expect(response.status == .noContent)
            }
            try await client.execute(
                uri: "/logs", method: .post, headers: basic("small:secret"),
                body: ByteBuffer(bytes: Self.loadBody(frames: 1))
            ) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "60")
            }
            // More than the whole minute's cap in one request can never be admitted: 413, nothing to retry.
            try await client.execute(
                uri: "/logs", method: .post, headers: basic("small:secret"),
                body: ByteBuffer(bytes: Self.loadBody(frames: 3))
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(response.headers[.retryAfter] == nil)
            }
        }
        #expect(try publisher.records.map { try Measurement(wireBytes: $0.value).owner } == ["small-app", "small-app"])
    }

    static func graphite(_ token: String?) -> HTTPFields {
        token.map { [.authorization: "Bearer \($0)"] } ?? [:]
    }

    @Test("Graphite over HTTP: bearer tokens, CUSTOM_METRICS records keyed by the path's prefix, per-line rejections")
    func graphiteLines() async throws {
        let publisher = InMemoryPublisher()
        let metrics = TestMetrics()
        try await Self.application(publisher: publisher, metrics: metrics).test(.router) { client in
            let good = "prod.us-east.checkout.app.h1.http.count 3 1709647400\n"
            try await client.execute(uri: "/graphite", method: .post, body: ByteBuffer(string: good)) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(
                uri: "/graphite", method: .post, headers: Self.graphite("gr-x"), body: ByteBuffer(string: good)
            ) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(
                uri: "/graphite", method: .post, headers: Self.graphite("gr-a"), body: ByteBuffer(string: good)
            ) { response in
                #expect(response.status == .noContent)
            }
            var hostile = good + "a.debug.b 1 1709647400\n" + String(repeating: "z", count: 10_000) + " 1 1709647400\n"
            hostile += "a 1e308 1709647400\na NaN 1709647400\na 1 1709647400000\na 1 -86400\n"
            var bytes = Array(hostile.utf8)
            bytes += [0x61, 0xFF, 0xC3, 0x20, 0x31, 0x20, 0x31, 0x0A]  // non-UTF-8 path
            try await client.execute(
                uri: "/graphite", method: .post, headers: Self.graphite("gr-a"), body: ByteBuffer(bytes: bytes)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[GraphiteRoutes.acceptedLines] == "1")
                #expect(response.headers[GraphiteRoutes.rejectedLines] == "6")
                #expect(response.headers[GraphiteRoutes.deniedDatapoints] == "1")
            }
            try await client.execute(
                uri: "/graphite", method: .post, headers: Self.graphite("gr-b"),
                body: ByteBuffer(string: "a.b 1 1709647400\n")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("naming convention"))
            }
        }
        #expect(publisher.records.count == 2)
        let record = try #require(publisher.records.first)
        let measurement = try Measurement(wireBytes: record.value)
        #expect(record.topic == "CUSTOM_METRICS.1")
        #expect(measurement.owner == "team-a" && measurement.processType == "prod.us-east.checkout")
        #expect(
            measurement.metric == "prod.us-east.checkout.app.h1.http.count"
                && measurement.fields == [MeasurementField(name: "value", value: 3)])
        #expect(measurement.time == EventTime(secondsSinceEpoch: 1_709_647_400) && record.timestamp == Self.now)
        #expect(metrics.counterTotal(label: "drainpipe_graphite_unknown_tokens_total") == 2)
        #expect(
            try metrics.expectCounter("drainpipe_graphite_lines_rejected_total", [("reason", "path_too_long")])
                .totalValue == 1)
        #expect(
            try metrics.expectCounter("drainpipe_graphite_lines_rejected_total", [("reason", "timestamp_window")])
                .totalValue == 1)
    }

    @Test("a Graphite datapoint's process type is its path's first three segments, or the whole shorter path")
    func graphiteProcessType() {
        #expect(
            GraphiteIngestor.processType(ofPath: "prod.us-east.checkout.app.h.http.count") == "prod.us-east.checkout")
        #expect(GraphiteIngestor.processType(ofPath: "a.b.c") == "a.b.c")
        #expect(GraphiteIngestor.processType(ofPath: "a") == "a")
    }

    @Test("over its cap a tenant gets 429 with Retry-After, nothing is produced, and other tenants are unaffected")
    func quota() async throws {
        let publisher = InMemoryPublisher()
        try await Self.application(publisher: publisher).test(.router) { client in
            let three = (0..<3).map { "x.y.z.m\($0) 1 1709647400\n" }.joined()
            try await client.execute(
                uri: "/graphite", method: .post, headers: Self.graphite("gr-a"), body: ByteBuffer(string: three)
            ) {
                #expect($0.status == .noContent)
            }
            try await client.execute(
                uri: "/graphite", method: .post, headers: Self.graphite("gr-a"), body: ByteBuffer(string: three)
            ) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "60")
            }
            try await client.execute(
                uri: "/graphite", method: .post, headers: Self.graphite("gr-b"),
                body: ByteBuffer(string: "prod.eu.svc.sys.h.cpu.load 1 1709647400")
            ) {
                #expect($0.status == .noContent)
            }
            try await client.execute(
                uri: "/logs", method: .post, headers: Self.basic, body: ByteBuffer(bytes: Self.loadBody())
            ) {
                #expect($0.status == .noContent)
            }
        }
        #expect(publisher.records.count == 5)
    }
}
