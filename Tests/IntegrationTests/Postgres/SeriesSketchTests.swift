import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipePostgres

/// Quantiles through real Postgres: sketches written by `SummaryTableWriter` come back through `SummaryReader` and
/// the series API, minute by minute and merged into a rollup.
@Suite("Series quantiles from Postgres", .timeLimit(.minutes(1)))
struct SeriesSketchTests {
    /// 2031-06-10T10:00:00Z, the start of a ten-minute window on a day no other test uses.
    static let base = EventTime(secondsSinceEpoch: 1_938_852_000)
    static let fields = ["connect_ms", "service_ms"]

    /// Ten one-minute router summaries with sketched `connect_ms` and `service_ms`, and every value per field.
    static func routerMinutes(owner: String) -> (summaries: [Summary], values: [String: [Double]]) {
        var generator = SplitMix64(seed: 31)
        var values: [String: [Double]] = [:]
        let summaries = (0..<10).map { minute in
            var statistics: [String: FieldStatistics] = [:]
            var sketches: [String: QuantileSketch] = [:]
            for field in fields {
                let scale: UInt64 = field == "connect_ms" ? 20 : 3_000
                for _ in 0..<200 {
                    let value = Double(generator.next() % scale)  // zeros included: the sketch counts them apart
                    statistics[field, default: .empty].add(value)
                    sketches[field, default: QuantileSketch()].add(value)
                    values[field, default: []].append(value)
                }
            }
            statistics["bytes"] = FieldStatistics(value: 512)
            return Summary(
                key: SeriesKey(
                    type: .routerRequests, owner: owner, processType: "web", metric: "router",
                    windowStart: base + .seconds(60 * Int64(minute)), periodSeconds: 60),
                version: 1, fields: statistics, sketches: sketches)
        }
        return (summaries, values)
    }

    /// A one-shard database on the test server, read through the series API.
    static func application(database: ShardedDatabase, owner: String) throws -> some ApplicationProtocol {
        let tenants = try TenantDirectory(owners: [.init(id: owner, drainCredentials: [], apiTokens: ["token-sketch"])])
        let router = Router()
        SeriesRoutes(
            tenants: LiveTenantDirectory(tenants), store: database, clock: ManualWallClock(base + .seconds(3_600))
        )
        .register(on: router)
        return Application(router: router)
    }

    static func points(
        _ client: some TestClientProtocol, owner: String, resolution: Int? = nil
    ) async throws -> [SeriesResponse.Point] {
        var uri =
            "/api/v1/series/router-requests?owner=\(owner)&from=\(base.secondsSinceEpoch)"
            + "&to=\(base.secondsSinceEpoch + 600)"
        if let resolution { uri += "&resolution=\(resolution)" }
        return try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer token-sketch"]) {
            response in
            try #require(response.status == .ok, "\(String(buffer: response.body))")
            return try JSONDecoder().decode(SeriesResponse.self, from: Data(response.body.readableBytesView)).points
        }
    }

    @Test(
        "every write path stores sketches the API reads back exactly, and a 10-minute rollup merges them",
        arguments: WritePath.allCases)
    func quantilesThroughPostgres(path: WritePath) async throws {
        let owner = PostgresTestDatabase.uniqueOwner("sketch")
        let (summaries, values) = Self.routerMinutes(owner: owner)
        try path.write(summaries, with: path.makeWriter(), on: PostgresTestDatabase.connect())
        let database = ShardedDatabase(shards: [try PostgresTestDatabase.url()], logger: Logger(label: "sketch"))
        try await Self.application(database: database, owner: owner).test(.router) { client in
            let minutes = try await Self.points(client, owner: owner)
            try #require(minutes.count == summaries.count)
            for (point, summary) in zip(minutes, summaries) {
                for field in Self.fields {
                    let sketch = try #require(summary.sketches[field])
                    let read = try #require(point.fields[field])
                    #expect(
                        [read.p50, read.p95, read.p99] == [
                            sketch.quantile(0.5), sketch.quantile(0.95), sketch.quantile(0.99),
                        ], "\(field)")
                    #expect(read.p50 != nil)
                }
                #expect(point.fields["bytes"]?.p50 == nil, "an unsketched field has no quantiles")
            }

            let rollup = try await Self.points(client, owner: owner, resolution: 600)
            let point = try #require(rollup.first)
            #expect(rollup.count == 1 && point.periodSeconds == 600)
            for field in Self.fields {
                let sorted = try #require(values[field]).sorted()
                let read = try #require(point.fields[field])
                #expect(read.count == UInt64(sorted.count))
                for (q, reported) in [(0.5, read.p50), (0.95, read.p95), (0.99, read.p99)] {
                    let exact = sorted[Int((q * Double(sorted.count - 1)).rounded(.down))]
                    let value = try #require(reported, "\(field) q=\(q)")
                    #expect(abs(value - exact) <= 0.01 * exact * (1 + 1e-9), "\(field) q=\(q): \(value) vs \(exact)")
                }
            }
        }
    }

    @Test("a stored sketch that cannot be decoded is an invalidValue error naming the table, not a crash")
    func malformedSketch() throws {
        let connection = try PostgresTestDatabase.connect()
        let owner = PostgresTestDatabase.uniqueOwner("bad-sketch")
        let summary = try #require(Self.routerMinutes(owner: owner).summaries.first)
        try SummaryTableWriter().write([summary], on: connection)
        let table = DaySchema(containing: Self.base).qualifiedTableName(for: .routerRequests)
        let read = {
            try SummaryReader().summaries(
                type: .routerRequests, owner: owner, from: Self.base, to: Self.base + .seconds(60), on: connection)
        }
        #expect(try read().first?.sketches == summary.sketches)

        for corrupt in ["\\x02", "\\x0101", "\\x01010a736572766963655f6d73"] {  // another format, truncated, cut short
            _ = try connection.query(
                "UPDATE \(table) SET sketch = $1::bytea WHERE owner = $2", parameters: [corrupt, owner])
            #expect {
                try read()
            } throws: { error in
                guard case .invalidValue(let named, let reason) = error as? PostgresError else { return false }
                return named == MeasurementType.routerRequests.tableName && reason.contains("sketch")
            }
        }
    }
}
