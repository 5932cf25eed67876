import DrainpipeCore
import DrainpipeKafka
import DrainpipeTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Prometheus
import Testing

@testable import Drainpipe

/// The OpenAPI document describes exactly the routes the web process registers, and is served as JSON.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    /// The router the web process builds, with in-memory parts behind it.
    static func webRouter() throws -> Router<BasicRequestContext> {
        let clock = ManualWallClock(HTTPRoutesTests.now)
        let metrics = NOOPMetricsHandler.instance
        let context = IngressContext(
            tenants: LiveTenantDirectory(try TenantDirectory(owners: [])),
            topics: try TopicCatalogTests.repositoryCatalog(),
            kafka: KafkaConnection(bootstrapServers: "127.0.0.1:1"),
            admission: IngressAdmission(clock: clock, metrics: metrics),
            delivery: IngressDelivery(
                publisher: InMemoryPublisher(), timeout: .seconds(30), logger: Logger(label: "test")),
            clock: clock)
        let router = Router()
        HealthRoutes(registry: PrometheusCollectorRegistry()).register(on: router)
        ReadinessMonitor(checks: []).register(on: router)
        IngressProcess.registerRoutes(
            on: router, drains: DrainIngestor(context: context, metrics: metrics, logger: Logger(label: "test")),
            graphite: GraphiteIngestor(
                context: context, pastWindow: .seconds(300), futureWindow: .seconds(300), metrics: metrics,
                logger: Logger(label: "test")),
            tenants: context.tenants, store: InMemorySummaryStore([]), clock: clock, dashboard: DashboardAssets(),
            maximumBodyBytes: 4096)
        return router
    }

    static func document() throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.json.utf8)) as? [String: Any])
    }

    @Test("every registered route is in the document and every operation of the document is registered")
    func routesMatchTheDocument() throws {
        let registered = Set(try Self.webRouter().routes.map { "\($0.method.rawValue) \($0.path)" })
        let paths = try #require(try Self.document()["paths"] as? [String: [String: Any]])
        let methods: Set<String> = ["get", "post", "put", "patch", "delete", "head", "options"]
        let documented = Set(
            paths.flatMap { path, operations in
                operations.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" }
            })
        #expect(registered.subtracting(documented).isEmpty, "registered but undocumented")
        #expect(documented.subtracting(registered).isEmpty, "documented but not registered")
        #expect(try Self.document()["openapi"] as? String == "3.1.0")
    }

    @Test("every reference in the document resolves")
    func referencesResolve() throws {
        let document = try Self.document()
        var references: [String] = []
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                if let reference = object["$ref"] as? String { references.append(reference) }
                object.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document)
        #expect(!references.isEmpty)
        for reference in references {
            var node: Any? = document
            for key in reference.dropFirst(2).split(separator: "/") {
                node = (node as? [String: Any])?[String(key)]
            }
            #expect(node != nil, "\(reference) does not resolve")
        }
    }

    @Test("GET /api/v1/openapi.json serves the document as JSON")
    func served() async throws {
        try await Application(router: try Self.webRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                #expect(String(buffer: response.body) == OpenAPIDocument.json)
            }
        }
    }
}
