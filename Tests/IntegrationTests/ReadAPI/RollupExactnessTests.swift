import DrainpipeCore
import DrainpipePostgres
import DrainpipeTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import Drainpipe

/// 10-minute and 1-hour points read back from Postgres equal offline merges of their minutes, and their quantiles
/// lie within the sketch's stated error (1 %) of the exact quantile of every sample.
@Suite("Rollup exactness against Postgres", .timeLimit(.minutes(2)))
struct RollupExactnessTests {
    /// 2032-03-06T02:00:00Z: days in the future, which no sink's retention drops while the suite runs.
    static let base = EventTime(secondsSinceEpoch: 1_962_151_200)

    /// Three hours of router minutes with integer-valued samples (so every sum is exact in any order), and the
    /// samples themselves per minute.
    static func minutes(owner: String) -> [(summary: Summary, samples: [Double])] {
        var generator = SplitMix64(seed: 7)
        return (0..<180).map { minute in
            let samples = (0..<(5 + Int(generator.next() % 20))).map { _ in Double(1 + generator.next() % 2_000) }
            var statistics = FieldStatistics.empty
            var sketch = QuantileSketch()
            for sample in samples {
                statistics.add(sample)
                sketch.add(sample)
            }
            let summary = Summary(
                key: SeriesKey(
                    type: .routerRequests, owner: owner, processType: "web", metric: "router",
                    windowStart: base + .seconds(60 * Int64(minute)), periodSeconds: 60),
                version: 1, fields: ["service_ms": statistics], counts: ["status_2xx": UInt64(samples.count)],
                sketches: ["service_ms": sketch])
            return (summary, samples)
        }
    }

    static func points(
        _ client: some TestClientProtocol, owner: String, to: EventTime, resolution: Int?
    ) async throws -> SeriesResponse {
        var uri =
            "/api/v1/series/router-requests?owner=\(owner)&from=\(base.secondsSinceEpoch)&to=\(to.secondsSinceEpoch)"
        if let resolution { uri += "&resolution=\(resolution)" }
        return try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer token-rollup"]) {
            response in
            try #require(response.status == .ok, "\(String(buffer: response.body))")
            return try JSONDecoder().decode(SeriesResponse.self, from: Data(response.body.readableBytesView))
        }
    }

    @Test("explicit and automatic 10-minute and 1-hour rollups equal offline merges; quantiles within 1 %")
    func rollups() async throws {
        let owner = PostgresTestDatabase.uniqueOwner("rollup")
        let minutes = Self.minutes(owner: owner)
        try WritePath.copyBinary.write(
            minutes.map(\.summary), with: WritePath.copyBinary.makeWriter(), on: PostgresTestDatabase.connect())
        let database = ShardedDatabase(shards: [try PostgresTestDatabase.url()], logger: Logger(label: "rollup"))
        let tenants = try TenantDirectory(owners: [.init(id: owner, drainCredentials: [], apiTokens: ["token-rollup"])])
        let router = Router()
        SeriesRoutes(tenants: LiveTenantDirectory(tenants), store: database, clock: ManualWallClock(Self.base))
            .register(on: router)
        try await Application(router: router).test(.router) { client in
            for (resolution, to, requested) in [
                (600, Self.base + .seconds(3 * 3_600), 600), (3_600, Self.base + .seconds(3 * 3_600), 3_600),
                // Without a resolution the range picks it: over 2 h → 600 s; over 24 h → 3 600 s.
                (600, Self.base + .seconds(3 * 3_600), nil), (3_600, Self.base + .seconds(30 * 3_600), nil),
            ] as [(Int, EventTime, Int?)] {
                let response = try await Self.points(client, owner: owner, to: to, resolution: requested)
                #expect(response.resolution == Int32(resolution))
                let perPoint = resolution / 60
                #expect(response.points.count == minutes.count / perPoint)
                for (index, point) in response.points.enumerated() {
                    let group = minutes[(index * perPoint)..<((index + 1) * perPoint)]
                    let merged = group.dropFirst().reduce(group.first!.summary) { $0.merging($1.summary) }
                    let statistics = try #require(merged.fields["service_ms"])
                    let read = try #require(point.fields["service_ms"])
                    #expect(point.periodSeconds == Int32(resolution))
                    #expect(point.windowStartEpoch == group.first!.summary.key.windowStart.secondsSinceEpoch)
                    #expect(read.count == statistics.count && read.sum == statistics.sum)
                    #expect(read.min == statistics.minimum && read.max == statistics.maximum)
                    #expect(read.mean == statistics.mean && point.counts == merged.counts)
                    let sketch = try #require(merged.sketches["service_ms"])
                    #expect([read.p50, read.p95, read.p99] == [0.5, 0.95, 0.99].map { sketch.quantile($0) })
                    let sorted = group.flatMap(\.samples).sorted()
                    for (q, reported) in [(0.5, read.p50), (0.95, read.p95), (0.99, read.p99)] {
                        let exact = sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
                        let value = try #require(reported)
                        #expect(abs(value - exact) <= QuantileSketch.relativeAccuracy * exact * (1 + 1e-9))
                    }
                }
            }
        }
    }
}
