import DrainpipeKafka
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeWire

@Suite("GraphiteRecordBuilder: Graphite datapoints straight into raw records")
struct GraphiteRecordBuilderTests {
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)
    static let kafka = KafkaConnection(bootstrapServers: "127.0.0.1:1")

    /// Seeded random lines: paths of a few process types and of fewer than three segments, short and long, with
    /// bad and blank lines among them; `distinctPaths` bounds how many paths there are.
    static func lines(_ random: inout SplitMix64, count: Int, distinctPaths: UInt64) -> [UInt8] {
        let prefixes = [
            "prod.us-east.checkout", "prod.eu-west.search", "staging.us-east.checkout", "a", "a.b",
            "prod.us-east.a-much-longer-service-name-than-fifteen-bytes",
        ]
        var text = ""
        for index in 0..<count {
            let path = random.next() % distinctPaths
            let prefix = prefixes[Int(path % UInt64(prefixes.count))]
            let value = ["1", "-2.5", "1e3", "0.125", "17"][Int(random.next() % 5)]
            let seconds = 1_709_647_400 + Int(random.next() % 60)
            switch random.next() % 20 {
            case 0: text += "\n"
            case 1: text += "\(prefix).bad..path 1 \(seconds)\n"
            case 2: text += "\(prefix).m\(path) NaN \(seconds)\n"
            default: text += "\(prefix).host-\(path % 7).m\(path) \(value) \(index % 9 == 0 ? "-1" : "\(seconds)")\n"
            }
        }
        return Array(text.utf8)
    }

    /// What the ingress made of the same lines before the builder: a `Measurement` per datapoint through the owner's
    /// lists into a `RawRecordBatcher`.
    static func expected(
        _ bytes: [UInt8], owner: TenantDirectory.Owner, receivedAt: EventTime, batchID: String?,
        destinations: TopicCatalog.RawDestinations, maximumBatchBytes: Int
    ) -> (records: [KafkaRecord], admitted: Int, denied: Int, series: [Int]) {
        let parsed = GraphiteLineParser().parseLines(bytes, receivedAt: receivedAt)
        var filter = IngressAdmission.Filter(
            owner: owner,
            into: RawRecordBatcher(
                destinations: destinations, timestamp: receivedAt, maximumBatchBytes: maximumBatchBytes))
        var series: [Int] = []
        for point in parsed.points {
            let measurement = Measurement(
                type: .customMetrics, owner: owner.id, processType: GraphiteIngestor.processType(ofPath: point.path),
                metric: point.path, time: point.time, receivedAt: receivedAt,
                fields: [MeasurementField(name: "value", value: point.value)],
                origin: batchID.map {
                    DrainOrigin(drainID: "\(owner.id)/graphite", frameID: $0, lineIndex: point.lineIndex)
                })
            filter.append(measurement)
            if owner.admits(metric: point.path) { series.append(IngressQuotaLedger.seriesHash(of: measurement)) }
        }
        return (filter.destination.records(), filter.admittedCount, filter.deniedCount, series)
    }

    /// Runs `rounds` batches through one builder (its cache carried over) and compares each with `expected`.
    static func compare(
        catalog: TopicCatalog, owner: TenantDirectory.Owner, batchID: String?, maximumBatchBytes: Int,
        distinctPaths: UInt64, rounds: Int = 6, seed: UInt64
    ) throws {
        let destinations = TopicCatalog.RawDestinations(catalog: catalog, kafka: kafka)
        var builder = GraphiteRecordBuilder(destinations: destinations, maximumBatchBytes: maximumBatchBytes)
        var random = SplitMix64(seed: seed)
        for round in 0..<rounds {
            let receivedAt = now + .seconds(round)
            let bytes = lines(&random, count: 50 + round * 300, distinctPaths: distinctPaths)
            builder.begin(owner: owner, receivedAt: receivedAt, batchID: batchID)
            let rejections = GraphiteLineParser().parseLines(
                bytes, in: bytes.indices, receivedAt: receivedAt, into: &builder)
            let want = expected(
                bytes, owner: owner, receivedAt: receivedAt, batchID: batchID, destinations: destinations,
                maximumBatchBytes: maximumBatchBytes)
            #expect(rejections == GraphiteLineParser().parseLines(bytes, receivedAt: receivedAt).rejections)
            #expect(builder.records() == want.records, "round \(round)")
            #expect(builder.admittedCount == want.admitted && builder.deniedCount == want.denied, "round \(round)")
            #expect(builder.series == (owner.limits.distinctSeriesPerMinute == nil ? [] : want.series))
        }
    }

    static let owner = TenantDirectory.Owner(
        id: "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71", drainCredentials: [], apiTokens: [])

    @Test(
        """
        the records are RawRecordBatcher's for the same datapoints as measurements (batches, splits, order, bytes), \
        batch after batch through one builder, with and without an origin
        """,
        arguments: [nil, "key:retry-1"] as [String?], [TopicCatalog.maximumRawBatchBytes, 1_500])
    func sameRecordsAsMeasurements(batchID: String?, maximumBatchBytes: Int) throws {
        try Self.compare(
            catalog: TopicCatalogTests.repositoryCatalog(), owner: Self.owner, batchID: batchID,
            maximumBatchBytes: maximumBatchBytes, distinctPaths: 40, seed: 0x6A_0001)
    }

    @Test("more distinct paths than the cache holds: paths evict each other, the records stay the same")
    func evictedPaths() throws {
        try Self.compare(
            catalog: TopicCatalogTests.repositoryCatalog(), owner: Self.owner, batchID: nil,
            maximumBatchBytes: 20_000, distinctPaths: UInt64(GraphiteRecordBuilder.maximumCachedPaths * 3),
            rounds: 8, seed: 0x6A_0002)
    }

    @Test("the owner's lists deny, and its series cap counts, exactly what the measurement path did; a reload applies")
    func listsAndSeries() throws {
        var listed = Self.owner
        listed.deniedMetrics = [MetricPattern("*.m3")!, MetricPattern("a.b.*")!]
        listed.limits = TenantDirectory.Limits(updatesPerMinute: 1_000_000, distinctSeriesPerMinute: 1_000_000)
        try Self.compare(
            catalog: TopicCatalogTests.repositoryCatalog(), owner: listed, batchID: "body:abc",
            maximumBatchBytes: 4_000,
            distinctPaths: 30, seed: 0x6A_0003)
        // One builder, the lists changed between batches (a SIGHUP reload): the new lists apply at once.
        let destinations = TopicCatalog.RawDestinations(
            catalog: try TopicCatalogTests.repositoryCatalog(), kafka: Self.kafka)
        var builder = GraphiteRecordBuilder(destinations: destinations)
        let bytes = Array("prod.us-east.checkout.h.m3 1 -1\nprod.us-east.checkout.h.m4 1 -1\n".utf8)
        for (lists, denied) in [
            ([MetricPattern("*.m3")!], 1), ([], 0), ([MetricPattern("*.m4")!, MetricPattern("*.m3")!], 2),
        ] {
            var owner = Self.owner
            owner.deniedMetrics = lists
            builder.begin(owner: owner, receivedAt: Self.now, batchID: nil)
            _ = GraphiteLineParser().parseLines(bytes, in: bytes.indices, receivedAt: Self.now, into: &builder)
            #expect(builder.deniedCount == denied && builder.admittedCount == 2 - denied)
        }
    }

    @Test("on a raw version 1 topic every datapoint is its own drainpipe.v1.Measurement record")
    func rawVersion1() throws {
        try Self.compare(
            catalog: TopicCatalogTests.rawVersion1Catalog(), owner: Self.owner, batchID: "key:k",
            maximumBatchBytes: TopicCatalog.maximumRawBatchBytes, distinctPaths: 20, rounds: 3, seed: 0x6A_0004)
    }
}
