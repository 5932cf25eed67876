import DrainpipeCore
import DrainpipePostgres
import Foundation
import Logging
import Testing

@testable import Drainpipe

/// Listing an owner's series and reading many at once, against Postgres.
@Suite("Series catalog store against Postgres", .timeLimit(.minutes(1)))
struct SeriesCatalogStoreTests {
    /// 2032-03-08T00:00:00Z: future days of their own, which no sink's retention drops while the suite runs.
    static let base = EventTime(secondsSinceEpoch: 1_962_316_800)

    static func summary(
        _ type: MeasurementType, owner: String, processType: String, metric: String, minute: Int64,
        counts: [String: UInt64] = [:]
    ) -> Summary {
        var summary = Summary(
            key: SeriesKey(
                type: type, owner: owner, processType: processType, metric: metric,
                windowStart: base + .seconds(60 * minute), periodSeconds: 60),
            version: 1, counts: counts)
        let field = type.summaryFieldNames.first ?? "value"
        summary.fields[field] = FieldStatistics(value: Double(minute))
        return summary
    }

    @Test("the listing has every series of the owner in the range with its event names, and nothing else")
    func listing() async throws {
        let owner = PostgresTestDatabase.uniqueOwner("catalog")
        let other = PostgresTestDatabase.uniqueOwner("catalog-other")
        // The minutes straddle midnight, so two day schemas are read.
        let summaries = [
            Self.summary(
                .routerRequests, owner: owner, processType: "web", metric: "router", minute: -2,
                counts: ["status_2xx": 4, "H12": 1]),
            Self.summary(
                .routerRequests, owner: owner, processType: "web", metric: "router", minute: 3,
                counts: ["status_5xx": 1]),
            Self.summary(.dynoMemory, owner: owner, processType: "worker", metric: "memory", minute: 1),
            Self.summary(.customMetrics, owner: owner, processType: "a.b.c", metric: "a.b.c.\"quoted\\", minute: 2),
            Self.summary(.customMetrics, owner: owner, processType: "web", metric: "jobs.done", minute: 90),
            Self.summary(.dynoLoad, owner: other, processType: "web", metric: "load_avg", minute: 1),
        ]
        try WritePath.copyBinary.write(
            summaries, with: WritePath.copyBinary.makeWriter(), on: PostgresTestDatabase.connect())
        let database = ShardedDatabase(shards: [try PostgresTestDatabase.url()], logger: Logger(label: "catalog"))
        let listed = try await database.storedSeries(
            owner: owner, from: Self.base - .seconds(600), to: Self.base + .seconds(3_600))
        #expect(
            listed == [
                StoredSeries(type: .routerRequests, processType: "web", metric: "router"): [
                    "status_2xx", "H12", "status_5xx",
                ],
                StoredSeries(type: .dynoMemory, processType: "worker", metric: "memory"): [],
                StoredSeries(type: .customMetrics, processType: "a.b.c", metric: "a.b.c.\"quoted\\"): [],
            ])

        let read = try await database.summaries(
            owner: owner,
            series: [
                StoredSeries(type: .routerRequests, processType: "web", metric: "router"),
                StoredSeries(type: .customMetrics, processType: "a.b.c", metric: "a.b.c.\"quoted\\"),
                StoredSeries(type: .dynoLoad, processType: "web", metric: "load_avg"),
            ],
            from: Self.base - .seconds(600), to: Self.base + .seconds(600))
        #expect(read.map(\.key) == [summaries[0].key, summaries[3].key, summaries[1].key])
        #expect(read.map(\.counts) == [summaries[0].counts, [:], summaries[1].counts])
    }

    @Test("a read of some parts gets those parts only: no sketch without a quantile, no counts without an event count")
    func partialReads() async throws {
        let owner = PostgresTestDatabase.uniqueOwner("parts")
        var summary = Self.summary(
            .routerRequests, owner: owner, processType: "web", metric: "router", minute: 5, counts: ["status_2xx": 3])
        summary.fields["bytes"] = FieldStatistics(value: 512)
        var sketch = QuantileSketch()
        sketch.add(12)
        summary.sketches["service_ms"] = sketch
        summary.fields["service_ms"] = FieldStatistics(value: 12)
        try WritePath.copyBinary.write(
            [summary], with: WritePath.copyBinary.makeWriter(), on: PostgresTestDatabase.connect())
        let database = ShardedDatabase(shards: [try PostgresTestDatabase.url()], logger: Logger(label: "parts"))
        let router = [StoredSeries(type: .routerRequests, processType: "web", metric: "router")]
        func read(_ readings: [SummaryReading]) async throws -> Summary? {
            try await database.summaries(
                owner: owner, series: router, parts: SummaryParts(readings: readings), from: Self.base,
                to: Self.base + .seconds(600)
            ).first
        }

        let mean = try #require(try await read([.field("service_ms", .mean)]))
        #expect(mean.key == summary.key && mean.version == summary.version)
        #expect(mean.fields == ["service_ms": summary.fields["service_ms"]!])
        #expect(mean.sketches.isEmpty && mean.counts.isEmpty)

        let quantile = try #require(try await read([.field("service_ms", .quantile(0.99)), .field("bytes", .sum)]))
        #expect(quantile.fields == ["service_ms": summary.fields["service_ms"]!, "bytes": summary.fields["bytes"]!])
        #expect(quantile.sketches == summary.sketches && quantile.counts.isEmpty)

        let events = try #require(try await read([.eventCount("status_2xx")]))
        #expect(events.fields.isEmpty && events.sketches.isEmpty && events.counts == summary.counts)

        let whole = try await database.summaries(
            owner: owner, series: router, from: Self.base, to: Self.base + .seconds(600))
        #expect(whole == [summary])
    }
}
