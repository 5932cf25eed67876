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

/// The HTTP surface of ingress, in-process (no socket, no broker): status codes and messages clients rely on.
@Suite("HTTP routes")
struct HTTPRoutesTests {
    static let owner = "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71"
    static let otherOwner = "0b7f6f4e-3a1d-4c3b-9f0e-5d2a7c9e8b14"
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)

    /// Serves fixed summaries, remembering which owners were asked for.
    final class FixedStore: SummaryStore {
        let summaries: [Summary]
        let asked = SynchronizedBox<[String]>([])

        init(summaries: [Summary]) { self.summaries = summaries }

        func summaries(
            type: MeasurementType, owner: String, processType: String?, metric: String?, from: EventTime, to: EventTime
        ) async throws -> [Summary] {
            asked.update { $0.append(owner) }
            return summaries.filter { $0.key.owner == owner && $0.key.windowStart >= from && $0.key.windowStart < to }
                .sorted { $0.key.windowStart < $1.key.windowStart }
        }
    }

    static func application(
        publisher: InMemoryPublisher, store: FixedStore = FixedStore(summaries: []), maximumBodyBytes: Int = 4096
    ) throws -> some ApplicationProtocol {
        let tenants = try TenantDirectory(owners: [
            .init(id: owner, drainCredentials: ["shop:secret"], apiTokens: ["token-shop"]),
            .init(id: otherOwner, drainCredentials: ["other:secret"], apiTokens: ["token-other"]),
        ])
        let clock = ManualWallClock(now)
        let router = Router()
        let metrics = NOOPMetricsHandler.instance
        let context = IngressContext(
            tenants: LiveTenantDirectory(tenants), topics: try TopicCatalogTests.repositoryCatalog(),
            kafka: KafkaConnection(bootstrapServers: "127.0.0.1:1"),
            admission: IngressAdmission(clock: clock, metrics: metrics),
            delivery: IngressDelivery(publisher: publisher, timeout: .seconds(30), logger: Logger(label: "test")),
            clock: clock)
        let ingestor = DrainIngestor(context: context, metrics: metrics, logger: Logger(label: "test"))
        DrainRoutes(ingestor: ingestor, maximumBodyBytes: maximumBodyBytes).register(on: router)
        SeriesRoutes(tenants: context.tenants, store: store, clock: clock).register(on: router)
        return Application(router: router)
    }

    static func loadBody() -> ByteBuffer {
        var writer = LogplexFrameWriter()
        writer.appendLoadSample(
            time: now - .seconds(5), processID: "web.1", oneMinute: 1, fiveMinutes: 1, fifteenMinutes: 1)
        return ByteBuffer(bytes: writer.body)
    }

    static let basic: HTTPFields = [.authorization: "Basic " + Data("shop:secret".utf8).base64EncodedString()]

    @Test(
        """
        a drain post answers 204 once produced, 401 without credentials, \
        413 over the limit, 503 with Retry-After when Kafka fails
        """
    )
    func drainStatuses() async throws {
        let publisher = InMemoryPublisher()
        try await Self.application(publisher: publisher).test(.router) { client in
            try await client.execute(uri: "/logs", method: .post, headers: Self.basic, body: Self.loadBody()) {
                response in
                #expect(response.status == .noContent)
            }
            try await client.execute(uri: "/logs", method: .post, body: Self.loadBody()) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(
                uri: "/logs", method: .post, headers: Self.basic, body: ByteBuffer(repeating: 0x41, count: 5000)
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(String(buffer: response.body).contains("4096 bytes"))
            }
            try await client.execute(
                uri: "/logs", method: .post, headers: Self.basic, body: ByteBuffer(string: "garbage\n")
            ) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("bad length prefix"))
            }
            publisher.failSends(with: .closed)
            try await client.execute(uri: "/logs", method: .post, headers: Self.basic, body: Self.loadBody()) {
                response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "5")
            }
        }
        #expect(publisher.records.count == 1)
    }

    @Test("the series API needs a token, serves only the owners the token is scoped to, and downsamples exactly")
    func seriesAuthorization() async throws {
        let minute = Self.now.windowStart(length: .seconds(60))
        let summaries = (0..<3).map { index in
            Summary(
                key: SeriesKey(
                    type: .dynoLoad, owner: Self.owner, processType: "web", metric: "load_avg",
                    windowStart: minute - .seconds(60 * Int64(index)), periodSeconds: 60),
                version: 1, fields: ["load_avg_1m": FieldStatistics(value: Double(index + 1))])
        }
        let store = FixedStore(summaries: summaries)
        try await Self.application(publisher: InMemoryPublisher(), store: store).test(.router) { client in
            let uri = "/api/v1/series/dyno-load?owner=\(Self.owner)"
            try await client.execute(uri: uri, method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer nope"]) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer token-other"]) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/api/v1/series/nonsense?owner=\(Self.owner)", method: .get,
                headers: [.authorization: "Bearer token-shop"]
            ) {
                #expect($0.status == .notFound)
            }
            let range = "&from=\(minute.secondsSinceEpoch - 600)&to=\(minute.secondsSinceEpoch + 60)"
            try await client.execute(uri: uri + range, method: .get, headers: [.authorization: "Bearer token-shop"]) {
                response in
                #expect(response.status == .ok)
                let body = try JSONDecoder().decode(SeriesResponse.self, from: Data(response.body.readableBytesView))
                #expect(body.points.map(\.fields["load_avg_1m"]?.sum) == [3, 2, 1])
            }
            let rollup = "\(uri)&resolution=600\(range)"
            try await client.execute(uri: rollup, method: .get, headers: [.authorization: "Bearer token-shop"]) {
                response in
                let body = try JSONDecoder().decode(SeriesResponse.self, from: Data(response.body.readableBytesView))
                let merged = body.points.reduce(FieldStatistics.empty) {
                    $0.merging(
                        FieldStatistics(
                            count: $1.fields["load_avg_1m"]!.count, sum: $1.fields["load_avg_1m"]!.sum,
                            sumOfSquares: $1.fields["load_avg_1m"]!.sumOfSquares,
                            minimum: $1.fields["load_avg_1m"]!.min!, maximum: $1.fields["load_avg_1m"]!.max!))
                }
                #expect(merged == FieldStatistics(count: 3, sum: 6, sumOfSquares: 14, minimum: 1, maximum: 3))
                #expect(body.points.allSatisfy { $0.periodSeconds == 600 })
            }
        }
        #expect(store.asked.value == [Self.owner, Self.owner])
    }
}
