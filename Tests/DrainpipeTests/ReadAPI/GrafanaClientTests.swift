import DrainpipeCore
import DrainpipeTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Drainpipe

/// Exactly the requests Grafana's Graphite data source sends, and what it needs back.
@Suite("Grafana-shaped client")
struct GrafanaClientTests {
    static let now = EventTime(secondsSinceEpoch: 1_733_400_030)
    static let owner = "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71"

    /// Ten minutes of router data, service time 100 + minute index.
    static func summaries() -> [Summary] {
        let lastMinute = now.secondsSinceEpoch / 60 * 60
        return (0..<10).map { index in
            var summary = Summary(
                key: SeriesKey(
                    type: .routerRequests, owner: owner, processType: "web", metric: "router",
                    windowStart: EventTime(secondsSinceEpoch: lastMinute - 60 * Int64(9 - index)), periodSeconds: 60),
                version: 1, counts: ["status_2xx": UInt64(index)])
            summary.fields["service_ms"] = FieldStatistics(value: Double(100 + index))
            var sketch = QuantileSketch()
            sketch.add(Double(100 + index))
            summary.sketches["service_ms"] = sketch
            return summary
        }
    }

    static func application() throws -> some ApplicationProtocol {
        let tenants = try TenantDirectory(owners: [
            .init(id: owner, name: "shop", drainCredentials: [], apiTokens: ["grafana-token"])
        ])
        let router = Router()
        GraphiteQueryRoutes(
            tenants: LiveTenantDirectory(tenants), store: InMemorySummaryStore(summaries()),
            clock: ManualWallClock(now)
        )
        .register(on: router)
        return Application(router: router)
    }

    /// Grafana's basic auth: the data source's user and password.
    static let headers: HTTPFields = [
        .authorization: "Basic " + Data("admin:grafana-token".utf8).base64EncodedString(),
        .contentType: "application/x-www-form-urlencoded",
    ]

    static func form(_ pairs: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(
            string: pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }
                .joined(separator: "&"))
    }

    static func series(_ body: ByteBuffer) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]])
    }

    @Test("POST /render with Grafana's aliasSub wrapper answers the wrapped name and second timestamps")
    func aliasSubWrappedRender() async throws {
        try await Self.application().test(.router) { client in
            let body = Self.form([
                ("target", #"aliasSub(shop.web.router.service_ms.p99, "(^.*$)", "\1 A")"#),
                ("from", "-6h"), ("until", "now"), ("format", "json"), ("maxDataPoints", "1293"),
            ])
            try await client.execute(uri: "/render", method: .post, headers: Self.headers, body: body) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let list = try Self.series(response.body)
                let series = try #require(list.first)
                #expect(list.count == 1)
                #expect(series["target"] as? String == "shop.web.router.service_ms.p99 A")
                let points = try #require(series["datapoints"] as? [[Any]])
                let present = points.compactMap { point -> (Double, Int)? in
                    guard let value = point.first as? Double, let time = point.last as? Int else { return nil }
                    return (value, time)
                }
                #expect(present.count == 10)
                #expect(present.allSatisfy { $0.1 < 10_000_000_000 && $0.1 % 60 == 0 }, "seconds, on minutes")
                for (value, time) in present {
                    let index = Double(9 - (Self.now.secondsSinceEpoch / 60 * 60 - Int64(time)) / 60)
                    #expect(abs(value - (100 + index)) <= 0.01 * (100 + index), "p99 of one value within 1 %")
                }
            }
        }
    }

    @Test("Save & test: constantLine(100) over the last hour")
    func saveAndTest() async throws {
        try await Self.application().test(.router) { client in
            let body = Self.form([
                ("target", "constantLine(100)"), ("from", "-1h"), ("until", "now"), ("format", "json"),
                ("maxDataPoints", "100"),
            ])
            try await client.execute(uri: "/render", method: .post, headers: Self.headers, body: body) { response in
                #expect(response.status == .ok)
                let series = try #require(try Self.series(response.body).first)
                let values = (series["datapoints"] as? [[Any]] ?? []).compactMap { $0.first as? Double }
                #expect(!values.isEmpty && values.allSatisfy { $0 == 100 })
            }
        }
    }

    @Test("POST /metrics/find with from/until in the URL lists the tree; /functions and /version answer")
    func browsing() async throws {
        try await Self.application().test(.router) { client in
            let range = "from=\(Self.now.secondsSinceEpoch - 21_600)&until=\(Self.now.secondsSinceEpoch)"
            for (query, expected) in [
                ("*", [("shop", 1)]), ("shop.*", [("web", 1)]), ("shop.web.router.*", nil),
                ("shop.web.router.service_ms.*", nil),
            ] {
                try await client.execute(
                    uri: "/metrics/find?\(range)", method: .post, headers: Self.headers,
                    body: Self.form([("query", query)])
                ) { response in
                    #expect(response.status == .ok)
                    let nodes = try Self.series(response.body)
                    let found = nodes.map { ($0["text"] as? String ?? "", $0["expandable"] as? Int ?? -1) }
                    if let expected {
                        #expect(found.map(\.0) == expected.map(\.0) && found.map(\.1) == expected.map(\.1), "\(query)")
                    } else {
                        #expect(!found.isEmpty, "\(query)")
                    }
                }
            }
            try await client.execute(
                uri: "/metrics/find?\(range)", method: .post, headers: Self.headers,
                body: Self.form([("query", "shop.web.router.service_ms.*")])
            ) { response in
                let texts = try Self.series(response.body).compactMap { $0["text"] as? String }
                #expect(Set(texts) == ["count", "sum", "min", "max", "mean", "stddev", "p50", "p95", "p99"])
            }
            try await client.execute(uri: "/functions", method: .get, headers: Self.headers) { response in
                #expect(response.status == .ok)
                // graphite-web writes an infinite default as 1e9999, which JavaScript reads and Foundation refuses.
                let text = String(buffer: response.body).replacingOccurrences(of: "1e9999", with: "1e300")
                let catalog = try JSONSerialization.jsonObject(with: Data(text.utf8))
                let functions = try #require(catalog as? [String: Any])
                for name in ["aliasSub", "constantLine", "sumSeries", "summarize", "movingAverage"] {
                    #expect(functions[name] != nil, "\(name)")
                }
            }
            try await client.execute(uri: "/version", method: .get, headers: Self.headers) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).hasPrefix("1.1."))
            }
        }
    }
}
