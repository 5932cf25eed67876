import DrainpipeTestSupport
import Foundation
import Logging
import Metrics
import MetricsTestKit
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWire
@testable import DrainpipeWorkloads

@Suite("DrainIngestor")
struct DrainIngestorTests {
    static let owner = "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71"
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)

    static func makeIngestor(
        publisher: any RecordPublisher, drainTokens: [String] = [],
        metrics: any MetricsFactory = NOOPMetricsHandler.instance, topics: TopicCatalog? = nil
    ) throws -> DrainIngestor {
        let tenants = try TenantDirectory(owners: [
            .init(id: owner, drainCredentials: ["shop:secret"], drainTokens: drainTokens, apiTokens: ["t"])
        ])
        let clock = ManualWallClock(now)
        let context = IngressContext(
            tenants: LiveTenantDirectory(tenants), topics: try topics ?? TopicCatalogTests.rawVersion1Catalog(),
            kafka: KafkaConnection(bootstrapServers: "127.0.0.1:1"),
            admission: IngressAdmission(clock: clock, metrics: metrics),
            delivery: IngressDelivery(publisher: publisher, timeout: .seconds(30), logger: Logger(label: "test")),
            clock: clock)
        return DrainIngestor(context: context, metrics: metrics, logger: Logger(label: "test"))
    }

    /// The test owner, authenticated as its drain would be.
    static func shop(_ ingestor: DrainIngestor) throws -> TenantDirectory.Owner {
        try ingestor.authenticate(basicCredential: "shop:secret", drainToken: nil)
    }

    static func loadFrame(_ processID: String, value: Double) -> [UInt8] {
        var writer = LogplexFrameWriter()
        writer.appendLoadSample(
            time: now - .seconds(30), processID: processID, oneMinute: value, fiveMinutes: value, fifteenMinutes: value)
        return writer.body
    }

    @Test(
        """
        valid load lines are produced to DYNO_LOAD.1, partitioned \
        by owner and process type, stamped with the receive time
        """
    )
    func producesMeasurements() async throws {
        let publisher = InMemoryPublisher()
        let ingestor = try Self.makeIngestor(publisher: publisher)
        let receipt = try await ingestor.ingest(
            .init(body: Self.loadFrame("web.1", value: 0.5) + Self.loadFrame("worker.2", value: 1.5), frameID: "ABC"),
            owner: Self.shop(ingestor))
        #expect(receipt == .init(frames: 2, measurements: 2, ignoredLines: 0))
        let records = publisher.records
        #expect(records.map(\.topic) == ["DYNO_LOAD.1", "DYNO_LOAD.1"])
        let first = try Measurement(wireBytes: records[0].value)
        #expect(first.owner == Self.owner && first.processType == "web")
        #expect(first.origin == DrainOrigin(drainID: "\(Self.owner)/", frameID: "ABC", lineIndex: 0))
        #expect(records[0].timestamp == Self.now)
        #expect(
            records[0].partition
                == Murmur2Partitioner.partition(forKey: Array("\(Self.owner)\u{1F}web".utf8), partitionCount: 32))
    }

    @Test(
        """
        with raw version 2 declared, a 500-line request travels as one DYNO_LOAD.2 batch per partition, stamped with \
        the receive time, every line with its origin
        """
    )
    func producesBatches() async throws {
        let publisher = InMemoryPublisher()
        let ingestor = try Self.makeIngestor(publisher: publisher, topics: TopicCatalogTests.repositoryCatalog())
        let processIDs = ["web.1", "worker.2", "clock.1"]
        var body: [UInt8] = []
        for index in 0..<500 { body += Self.loadFrame(processIDs[index % 3], value: Double(index)) }
        let receipt = try await ingestor.ingest(.init(body: body, frameID: "ABC"), owner: Self.shop(ingestor))
        #expect(receipt == .init(frames: 500, measurements: 500, ignoredLines: 0))
        let records = publisher.records
        let partitions = Set(
            ["web", "worker", "clock"].map {
                Murmur2Partitioner.partition(forKey: Array("\(Self.owner)\u{1F}\($0)".utf8), partitionCount: 32)
            })
        #expect(records.count == partitions.count)
        #expect(records.allSatisfy { $0.topic == "DYNO_LOAD.2" && $0.timestamp == Self.now })
        var lines: [UInt32] = []
        for record in records {
            for measurement in try MeasurementBatchWire.decode(record.value) {
                #expect(
                    Murmur2Partitioner.partition(forKey: Array(measurement.partitionKey.utf8), partitionCount: 32)
                        == record.partition)
                #expect(measurement.origin?.frameID == "ABC" && measurement.receivedAt == Self.now)
                lines.append(measurement.origin?.lineIndex ?? .max)
            }
        }
        #expect(lines.sorted() == Array(0..<500))
    }

    @Test(
        """
        bad frames are skipped and counted, the next frames are \
        found and produced, and the receipt says what was rejected
        """
    )
    func badFrameKeepsValidOnes() async throws {
        let publisher = InMemoryPublisher()
        let metrics = TestMetrics()
        let ingestor = try Self.makeIngestor(publisher: publisher, metrics: metrics)
        let truncated = Array("500 <45>1 2024-03-05T14:02:10+00:00 host heroku web.1 - sample#load_avg_1m=0.1\n".utf8)
        let body =
            Self.loadFrame("web.1", value: 0.25) + Array("garbage\n".utf8) + Self.loadFrame("web.2", value: 0.75)
            + truncated
        let receipt = try await ingestor.ingest(.init(body: body, declaredMessageCount: 4), owner: Self.shop(ingestor))
        #expect(receipt.frames == 2 && receipt.measurements == 2 && receipt.rejectedFrames == 2 && !receipt.isClean)
        #expect(
            receipt.rejectionSummary.contains("1 truncated frame")
                && receipt.rejectionSummary.contains("1 bad length prefix"))
        #expect(publisher.records.count == 2)
        #expect(try metrics.expectCounter("drainpipe_ingress_frames_rejected_total").totalValue == 2)
        #expect(try metrics.expectCounter("drainpipe_ingress_msg_count_mismatches_total").totalValue == 1)
        let next = try await ingestor.ingest(.init(body: Self.loadFrame("web.3", value: 1)), owner: Self.shop(ingestor))
        #expect(next.measurements == 1)
    }

    @Test("rejected lines are counted by reason and ignored lines by kind, across requests")
    func lineCountersByReasonAndKind() async throws {
        let metrics = TestMetrics()
        let ingestor = try Self.makeIngestor(publisher: InMemoryPublisher(), metrics: metrics)
        let time = Self.now - .seconds(30)
        let dyno = "dyno=heroku.31415926.8c2e4f6a-1b3d-4e5f-a7b9-0c1d2e3f4a5b"
        var writer = LogplexFrameWriter()
        writer.appendLoadSample(time: time, processID: "web.1", oneMinute: 0.5, fiveMinutes: 0.5, fifteenMinutes: 0.5)
        for oneMinute in ["-1", "1e3"] {  // a sign and an exponent: two bad numbers
            writer.append(
                priority: 45, time: time, appName: "heroku", processID: "web.1",
                message:
                    "source=web.1 \(dyno) sample#load_avg_1m=\(oneMinute) sample#load_avg_5m=1 sample#load_avg_15m=1")
        }
        writer.append(
            time: time, appName: "heroku", processID: "web.1",
            message:
                "source=web.1 \(dyno) sample#load_avg_1m=1 "
                + "sample#load_avg_1m=2 sample#load_avg_5m=1 sample#load_avg_15m=1"
        )
        writer.append(time: time, appName: "app", processID: "web.1", message: "GET /health 200")
        writer.append(time: time, appName: "app", processID: "web.1", message: "Started GET /")
        writer.append(
            time: time, appName: "app", processID: "heroku-postgres", message: "source=DATABASE sample#db_size=1bytes")
        let receipt = try await ingestor.ingest(.init(body: writer.body), owner: Self.shop(ingestor))
        #expect(
            receipt.frames == 7 && receipt.measurements == 1 && receipt.rejectedLines == 3 && receipt.ignoredLines == 3)
        _ = try await ingestor.ingest(.init(body: writer.body), owner: Self.shop(ingestor))

        let rejected = metrics.counters.filter {
            $0.label == "drainpipe_ingress_lines_rejected_total" && $0.totalValue > 0
        }
        let rejectedByReason = Dictionary(
            uniqueKeysWithValues: rejected.map { ($0.dimensions.map { "\($0.0)=\($0.1)" }, $0.totalValue) })
        #expect(
            rejectedByReason == [["reason=bad_number"]: 4, ["reason=duplicate_field"]: 2], "\(receipt.rejectionSummary)"
        )
        #expect(
            try metrics.expectCounter("drainpipe_ingress_lines_ignored_total", [("kind", "app_output")]).totalValue == 4
        )
        #expect(
            try metrics.expectCounter("drainpipe_ingress_lines_ignored_total", [("kind", "add_on")]).totalValue == 2)
        #expect(
            try metrics.expectCounter("drainpipe_ingress_lines_ignored_total", [("kind", "router")]).totalValue == 0)
        #expect(
            try metrics.expectCounter("drainpipe_ingress_lines_rejected_total", [("reason", "line_too_long")])
                .totalValue == 0)
    }

    @Test(
        """
        unknown credentials and a right password with a foreign or missing drain token get one answer (401, same \
        message), counted; nothing is produced
        """)
    func authentication() async throws {
        let publisher = InMemoryPublisher()
        let metrics = TestMetrics()
        let ingestor = try Self.makeIngestor(publisher: publisher, drainTokens: ["d.right"], metrics: metrics)
        let body = Self.loadFrame("web.1", value: 1)
        var refusals: [IngressError] = []
        for (credential, token) in [
            ("shop:wrong", "d.right"), (nil, "d.right"), ("shop:secret", "d.wrong"), ("shop:secret", nil),
        ] as [(String?, String?)] {
            do throws(IngressError) {
                _ = try ingestor.authenticate(basicCredential: credential, drainToken: token)
            } catch {
                refusals.append(error)
            }
        }
        #expect(refusals.count == 4)
        #expect(refusals.allSatisfy { $0.statusCode == 401 })
        #expect(Set(refusals.map(\.description)).count == 1)
        #expect(publisher.records.isEmpty)
        #expect(try metrics.expectCounter("drainpipe_ingress_requests_rejected_total").totalValue == 4)
        let owner = try ingestor.authenticate(basicCredential: "shop:secret", drainToken: "d.right")
        _ = try await ingestor.ingest(.init(body: body, drainToken: "d.right"), owner: owner)
        #expect(publisher.records.count == 1)
    }

    @Test("when Kafka does not acknowledge, the request fails with a retryable 503")
    func brokerUnavailable() async throws {
        let publisher = InMemoryPublisher()
        publisher.failSends(with: .closed)
        await #expect {
            let ingestor = try Self.makeIngestor(publisher: publisher)
            _ = try await ingestor.ingest(.init(body: Self.loadFrame("web.1", value: 1)), owner: Self.shop(ingestor))
        } throws: { ($0 as? IngressError)?.statusCode == 503 && ($0 as? IngressError)?.isRetryable == true }
    }
}
