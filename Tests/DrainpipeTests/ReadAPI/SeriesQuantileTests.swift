import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

@Suite("Series API quantiles")
struct SeriesQuantileTests {
    @Test("router points carry p50, p95 and p99 within 1 %, also after a rollup merges their sketches")
    func quantiles() async throws {
        let minute = HTTPRoutesTests.now.windowStart(length: .seconds(120)) - .seconds(120)  // two minutes, one rollup
        var generator = SplitMix64(seed: 12)
        var all: [Double] = []
        let summaries = (0..<2).map { index in
            let values = (0..<500).map { _ in Double(1 + generator.next() % 2_000) }
            all += values
            var statistics = FieldStatistics.empty
            var sketch = QuantileSketch()
            for value in values {
                statistics.add(value)
                sketch.add(value)
            }
            return Summary(
                key: SeriesKey(
                    type: .routerRequests, owner: HTTPRoutesTests.owner, processType: "web", metric: "router",
                    windowStart: minute + .seconds(60 * Int64(index)), periodSeconds: 60),
                version: 1, fields: ["service_ms": statistics, "bytes": FieldStatistics(value: 10)],
                sketches: ["service_ms": sketch])
        }
        let store = HTTPRoutesTests.FixedStore(summaries: summaries)
        let sorted = all.sorted()
        let uri =
            "/api/v1/series/router-requests?owner=\(HTTPRoutesTests.owner)&from=\(minute.secondsSinceEpoch)"
            + "&to=\(minute.secondsSinceEpoch + 120)&resolution=120"
        try await HTTPRoutesTests.application(publisher: InMemoryPublisher(), store: store).test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer token-shop"]) {
                response in
                #expect(response.status == .ok)
                let body = try JSONDecoder().decode(SeriesResponse.self, from: Data(response.body.readableBytesView))
                let point = try #require(body.points.first)
                #expect(body.points.count == 1)
                let service = try #require(point.fields["service_ms"])
                for (q, reported) in [(0.5, service.p50), (0.95, service.p95), (0.99, service.p99)] {
                    let exact = sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
                    let value = try #require(reported)
                    #expect(abs(value - exact) <= 0.01 * exact * (1 + 1e-9), "q=\(q)")
                }
                #expect(point.fields["bytes"]?.p50 == nil, "fields without a sketch have no quantiles")
            }
        }
    }
}
