import DrainpipeCore
import DrainpipeTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Drainpipe

/// `/render` combines minutes by merging their summaries: `summarize` and `maxDataPoints` points equal offline merges
/// of the minutes, and quantiles lie within the sketch's 1 % of the exact quantile of every sample.
@Suite("Render rollup exactness")
struct RenderExactnessTests {
    static let owner = "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71"
    /// 2024-12-05T12:00:00Z: three hours of minutes end here.
    static let end = EventTime(secondsSinceEpoch: 1_733_400_000)

    /// Router minutes with skewed service times, and each minute's samples.
    static let minutes: [(summary: Summary, samples: [Double])] = {
        var generator = SplitMix64(seed: 99)
        return (0..<180).map { index in
            let samples = (0..<(3 + Int(generator.next() % 40))).map { _ in
                let uniform = Double(generator.next() % 1_000_000) / 1_000_000
                return (1 + 4_000 * uniform * uniform * uniform).rounded()
            }
            var statistics = FieldStatistics.empty
            var sketch = QuantileSketch()
            for sample in samples {
                statistics.add(sample)
                sketch.add(sample)
            }
            let summary = Summary(
                key: SeriesKey(
                    type: .routerRequests, owner: owner, processType: "web", metric: "router",
                    windowStart: end - .seconds(60 * Int64(180 - index)), periodSeconds: 60),
                version: 1, fields: ["service_ms": statistics], counts: ["status_5xx": UInt64(index % 4)],
                sketches: ["service_ms": sketch])
            return (summary, samples)
        }
    }()

    /// The first minute `from=-3h` fetches: whisper's window starts one step after `from`'s.
    static let firstFetched = (end - .seconds(3 * 3_600 - 60)).secondsSinceEpoch

    /// The fetched minutes whose windows start in `[from, to)`, merged.
    static func merged(from: Int64, to: Int64) -> (summary: Summary, samples: [Double])? {
        let inside = minutes.filter {
            (max(from, firstFetched)..<to).contains($0.summary.key.windowStart.secondsSinceEpoch)
        }
        guard let first = inside.first else { return nil }
        let summary = inside.dropFirst().reduce(first.summary) { $0.merging($1.summary) }
        return (summary, inside.flatMap(\.samples))
    }

    static func render(_ query: String) async throws -> [(target: String, points: [(Double?, Int64)])] {
        let tenants = try TenantDirectory(owners: [
            .init(id: owner, name: "shop", drainCredentials: [], apiTokens: ["token"])
        ])
        let router = Router()
        GraphiteQueryRoutes(
            tenants: LiveTenantDirectory(tenants), store: InMemorySummaryStore(minutes.map(\.summary)),
            clock: ManualWallClock(end + .seconds(30))
        )
        .register(on: router)
        return try await Application(router: router).test(.router) { client in
            try await client.execute(
                uri: "/render?from=-3h&\(query)", method: .get, headers: [.authorization: "Bearer token"]
            ) { response in
                try #require(response.status == .ok, "\(String(buffer: response.body))")
                let list = try #require(
                    try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                return list.map { series in
                    let points = (series["datapoints"] as? [[Any]] ?? []).map { point in
                        ((point.first as? NSNumber)?.doubleValue, (point.last as? NSNumber)?.int64Value ?? -1)
                    }
                    return (series["target"] as? String ?? "", points)
                }
            }
        }
    }

    /// Equal but for the last bits Foundation's JSON parser may get wrong.
    static func same(_ value: Double?, _ expected: Double?) -> Bool {
        guard let value, let expected else { return value == nil && expected == nil }
        return abs(value - expected) <= 1e-12 * max(abs(value), abs(expected))
    }

    static func exactQuantile(_ q: Double, of samples: [Double]) -> Double {
        let sorted = samples.sorted()
        return sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
    }

    @Test("summarize merges 10-minute and 1-hour buckets exactly: p99, mean, max and counts")
    func summarize() async throws {
        for (interval, function, path, read) in [
            (600, "avg", "service_ms.p99", { (merged: Summary) in merged.sketches["service_ms"]?.quantile(0.99) }),
            (3_600, "avg", "service_ms.mean", { (merged: Summary) in merged.fields["service_ms"]?.mean }),
            (600, "max", "service_ms.max", { (merged: Summary) in merged.fields["service_ms"]?.maximum }),
            (
                3_600, "sum", "service_ms.count",
                { (merged: Summary) in (merged.fields["service_ms"]?.count).map { Double($0) } }
            ),
            (3_600, "sum", "status.5xx", { (merged: Summary) in merged.counts["status_5xx"].map { Double($0) } }),
        ] as [(Int64, String, String, (Summary) -> Double?)] {
            let target = "summarize(shop.web.router.\(path),'\(interval / 60)min','\(function)')"
            let series = try #require(try await Self.render("target=\(target)").first, "\(target)")
            let present = series.points.filter { $0.0 != nil }
            #expect(present.count >= Int(3 * 3_600 / interval) - 1, "\(target)")
            for (value, time) in present {
                let bucket = try #require(Self.merged(from: time, to: time + interval))
                #expect(Self.same(value, read(bucket.summary)), "\(target) at \(time): \(String(describing: value))")
                if path.hasSuffix("p99"), let value {
                    let exact = Self.exactQuantile(0.99, of: bucket.samples)
                    #expect(abs(value - exact) <= QuantileSketch.relativeAccuracy * exact * (1 + 1e-9))
                }
            }
        }
    }

    @Test("maxDataPoints merges each group of minutes exactly instead of averaging p99s")
    func maxDataPoints() async throws {
        let series = try #require(
            try await Self.render("target=shop.web.router.service_ms.p99&maxDataPoints=18").first)
        let present = series.points.compactMap { point in point.0.map { ($0, point.1) } }
        #expect(present.count >= 17)
        let step = present[1].1 - present[0].1
        #expect(step == 600)
        for (value, time) in present {
            // graphite's renderer labels a group by the step after its nudged start: the group holds the minutes
            // from one step before the label (or at it).
            let candidates = [time - 60, time].compactMap { Self.merged(from: $0, to: $0 + step) }
            #expect(
                candidates.contains { Self.same($0.summary.sketches["service_ms"]?.quantile(0.99), value) },
                "p99 at \(time) is the p99 of merged minutes")
        }
    }
}
