import DrainpipeTestSupport
import Foundation
import Logging
import Metrics
import MetricsTestKit
import NIOCore
import NIOPosix
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWire

/// The Graphite TCP listener on a real loopback socket (port 0), producing to an in-memory publisher.
@Suite("GraphiteTCPServer")
struct GraphiteTCPServerTests {
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)

    /// Runs a listener for the test's body, then stops it.
    static func withServer(
        sources: [String] = [], metrics: TestMetrics = TestMetrics(), tenants: LiveTenantDirectory? = nil,
        limits: GraphiteTCPServer.Limits = .lenient,
        _ body: @Sendable (_ port: Int, _ publisher: InMemoryPublisher) async throws -> Void
    ) async throws {
        let tenants =
            try tenants
            ?? LiveTenantDirectory(
                TenantDirectory(owners: [
                    .init(
                        id: "team-a", drainCredentials: [], apiTokens: [], graphiteTokens: ["gr-a"],
                        graphiteSources: sources)
                ]))
        let clock = ManualWallClock(now)
        let publisher = InMemoryPublisher()
        let context = IngressContext(
            tenants: tenants, topics: try TopicCatalogTests.rawVersion1Catalog(),
            kafka: KafkaConnection(bootstrapServers: "127.0.0.1:1"),
            admission: IngressAdmission(clock: clock, metrics: metrics),
            delivery: IngressDelivery(publisher: publisher, timeout: .seconds(30), logger: Logger(label: "test")),
            clock: clock)
        let ingestor = GraphiteIngestor(
            context: context, pastWindow: .seconds(300), futureWindow: .seconds(300), metrics: metrics,
            logger: Logger(label: "test"))
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let server = GraphiteTCPServer(
            host: "127.0.0.1", port: 0, ingestor: ingestor, maximumLineBytes: 1024, limits: limits,
            logger: Logger(label: "test"), onBound: { portContinuation.yield($0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            try await body(port, publisher)
            group.cancelAll()
        }
    }

    /// Connects, sends `chunks` one write each, half-closes, and returns everything the server wrote back.
    static func exchange(port: Int, _ chunks: [[UInt8]]) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for chunk in chunks {
                try await outbound.write(ByteBuffer(bytes: chunk))
            }
            outbound.finish()
            var reply = ""
            for try await buffer in inbound { reply += String(buffer: buffer) }
            return reply
        }
    }

    static func waitForRecords(_ publisher: InMemoryPublisher, count: Int) async throws {
        while publisher.records.count < count { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test(
        "a burst over the per-source cap: every connection over it gets ERR and is closed, and the listener serves on",
        .timeLimit(.minutes(1)))
    func burstOverTheCap() async throws {
        let limits = GraphiteTCPServer.Limits(
            authTimeout: .seconds(60), idleTimeout: .seconds(600), maximumConnections: 100,
            maximumConnectionsPerSource: 2)
        try await Self.withServer(limits: limits) { port, publisher in
            // Two silent connections hold the address's slots; twenty more arrive at once (NIO used to trap when a
            // refused connection's async channel was dropped unconsumed, which took the whole ingress down).
            var held: [any Channel] = []
            for _ in 0..<2 {
                held.append(
                    try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(
                        host: "127.0.0.1", port: port
                    ).get())
            }
            try await Task.sleep(for: .milliseconds(100))
            let replies = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { try await Self.exchange(port: port, []) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0 == "ERR too many connections\n" }, "\(replies)")
            for channel in held { try await channel.close() }
            try await Task.sleep(for: .milliseconds(100))
            let reply = try await Self.exchange(port: port, [Array("AUTH gr-a\nafter.the.burst 1 1709647400\n".utf8)])
            #expect(reply.isEmpty)
            try await Self.waitForRecords(publisher, count: 1)
        }
    }

    @Test(
        "AUTH preamble, lines split anywhere across writes, bad lines dropped and counted, the connection kept",
        .timeLimit(.minutes(1)))
    func preambleAndSplits() async throws {
        let metrics = TestMetrics()
        try await Self.withServer(metrics: metrics) { port, publisher in
            let text =
                "AUTH gr-a\r\nprod.eu.svc.app.h.x.count 1 1709647400\nbad line\na.b NaN 1709647400\n"
                + "prod.eu.svc.app.h.y 2 1709647401\nlast.one 3 1709647402"
            var generator = SplitMix64(seed: 2003)
            var chunks: [[UInt8]] = []
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let size = min(bytes.count, Int.random(in: 1...9, using: &generator))
                chunks.append(Array(bytes.prefix(size)))
                bytes = bytes.dropFirst(size)
            }
            let reply = try await Self.exchange(port: port, chunks)
            #expect(reply.isEmpty)
            try await Self.waitForRecords(publisher, count: 3)
            let metricsSent = try publisher.records.map { try Measurement(wireBytes: $0.value).metric }
            #expect(metricsSent == ["prod.eu.svc.app.h.x.count", "prod.eu.svc.app.h.y", "last.one"])
        }
        #expect(metrics.counterTotal(label: "drainpipe_graphite_lines_rejected_total") == 2)
    }

    @Test(
        "without a preamble an unmapped peer gets ERR and is closed; a mapped address needs none",
        .timeLimit(.minutes(1)))
    func tenantFromAddress() async throws {
        try await Self.withServer { port, publisher in
            let refused = try await Self.exchange(port: port, [Array("a.b 1 1709647400\n".utf8)])
            #expect(refused.hasPrefix("ERR "))
            let wrongToken = try await Self.exchange(port: port, [Array("AUTH nope\na.b 1 1709647400\n".utf8)])
            #expect(wrongToken == "ERR unknown Graphite token\n")
            #expect(publisher.records.isEmpty)
        }
        try await Self.withServer(sources: ["127.0.0.1"]) { port, publisher in
            #expect(try await Self.exchange(port: port, [Array("a.b 1 1709647400\n".utf8)]).isEmpty)
            try await Self.waitForRecords(publisher, count: 1)
        }
    }

    @Test(
        "a line over the limit closes the connection after the lines before it were produced, and is counted",
        .timeLimit(.minutes(1)))
    func lineTooLong() async throws {
        let metrics = TestMetrics()
        try await Self.withServer(metrics: metrics) { port, publisher in
            let long = Array(repeating: UInt8(ascii: "a"), count: 3000)
            // The server may close while the client still writes; the write error does not matter here.
            _ = try? await Self.exchange(
                port: port,
                [Array("AUTH gr-a\na.b 1 1709647400\n".utf8), long, Array(" 1 1709647400\nc.d 1 1709647400\n".utf8)])
            try await Self.waitForRecords(publisher, count: 1)
            #expect(try publisher.records.map { try Measurement(wireBytes: $0.value).metric } == ["a.b"])
        }
        #expect(
            try metrics.expectCounter("drainpipe_graphite_lines_rejected_total", [("reason", "line_too_long")])
                .totalValue == 1)
    }

    @Test("the search for an over-long line finds what a byte-by-byte scan finds, for seeded random line lengths")
    func firstLongLineMatchesAByteScan() {
        var random = SplitMix64(seed: 0x10_96)
        for round in 0..<2_000 {
            let limit = 1 + Int(random.next() % 40)
            var bytes: [UInt8] = []
            while bytes.count < 400 {
                let length = Int(random.next() % UInt64(round % 3 == 0 ? limit + 2 : limit * 3))
                bytes += Array(repeating: UInt8(ascii: "a"), count: length) + [ASCIIBytes.lineFeed]
            }
            let end = Int(random.next() % UInt64(bytes.count + 1))
            // The definition: a byte other than LF at least `limit` bytes after its line's start.
            var expected: Int?
            var lineStart = 0
            for index in 0..<end where expected == nil {
                if bytes[index] == ASCIIBytes.lineFeed {
                    lineStart = index + 1
                } else if index - lineStart >= limit {
                    expected = lineStart
                }
            }
            #expect(
                GraphiteTCPServer.firstLongLine(in: bytes, upTo: end, maximumLineBytes: limit) == expected,
                "round \(round)")
        }
    }

    @Test(
        "a token revoked by a reload closes the open connection before its next batch, which is not produced",
        .timeLimit(.minutes(1)))
    func revokedTokenClosesConnection() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        try "owners:\n  - id: team-a\n    graphite_tokens: [gr-a]\n".write(to: file, atomically: true, encoding: .utf8)
        let tenants = LiveTenantDirectory(try TenantDirectory(contentsOf: file.path), path: file.path)
        try await Self.withServer(tenants: tenants) { port, publisher in
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "AUTH gr-a\nprod.a.b 1 \(Self.now.secondsSinceEpoch)\n"))
                try await Self.waitForRecords(publisher, count: 1)
                try "owners:\n  - id: team-a\n    graphite_tokens: [gr-rotated]\n".write(
                    to: file, atomically: true, encoding: .utf8)
                try tenants.reload()
                try await outbound.write(ByteBuffer(string: "prod.a.c 2 \(Self.now.secondsSinceEpoch)\n"))
                for try await _ in inbound {}  // ends when the server closes the connection
            }
            #expect(publisher.records.count == 1)
        }
    }
}
