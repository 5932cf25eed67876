import Testing

@testable import DrainpipeCore

@Suite("PartitionAggregator de-duplication, restarts and memory")
struct PartitionAggregatorDeduplicationTests {
    static let settings = WindowSettings(windowLength: .seconds(1), lateBound: .seconds(5), futureBound: .seconds(5))
    static let start = EventTime(secondsSinceEpoch: 1_709_647_320)

    static func request(
        serviceMs: Double, at time: EventTime, frame: String = "4E0B9A3C7D1F28A6B5C4E3D2F1A09B87", line: UInt32 = 0,
        metric: String = "router", owner: String = "app-1"
    ) -> Measurement {
        Measurement(
            type: .routerRequests, owner: owner, processType: "web", metric: metric, time: time, receivedAt: time,
            fields: [
                MeasurementField(name: "connect_ms", value: 1), MeasurementField(name: "service_ms", value: serviceMs),
            ],
            events: ["status_2xx"], origin: DrainOrigin(drainID: "d.drain", frameID: frame, lineIndex: line))
    }

    @Test("a retried line is counted once and leaves its summary unchanged")
    func retryCountedOnce() throws {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.start
        #expect(aggregator.apply(Self.request(serviceMs: 40, at: t, line: 0), offset: 0, messageTime: t) == .accepted)
        #expect(aggregator.apply(Self.request(serviceMs: 50, at: t, line: 1), offset: 1, messageTime: t) == .accepted)
        let first = aggregator.takeChangedSummaries()
        // The batch again, seconds later: same frame id, same indices.
        #expect(
            aggregator.apply(Self.request(serviceMs: 40, at: t, line: 0), offset: 2, messageTime: t + .seconds(3))
                == .duplicate)
        #expect(
            aggregator.apply(Self.request(serviceMs: 50, at: t, line: 1), offset: 3, messageTime: t + .seconds(3))
                == .duplicate)
        #expect(aggregator.takeChangedSummaries().isEmpty)
        let summary = try #require(first.first)
        #expect(summary.fields["service_ms"]?.count == 2)
        #expect(summary.counts["status_2xx"] == 2)
        #expect(summary.sketches["service_ms"]?.count == 2)
        #expect(summary.version == 2)
    }

    @Test("lines without a frame id, other frames, other indices and other metrics of a line all count")
    func distinctOriginsCount() throws {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.start
        let measurements = [
            Self.request(serviceMs: 1, at: t, frame: ""), Self.request(serviceMs: 1, at: t, frame: ""),
            Self.request(serviceMs: 1, at: t, frame: "A"), Self.request(serviceMs: 1, at: t, frame: "B"),
            Self.request(serviceMs: 1, at: t, frame: "A", line: 1),
            Self.request(serviceMs: 1, at: t, frame: "A", metric: "other"),
        ]
        for (offset, measurement) in measurements.enumerated() {
            #expect(aggregator.apply(measurement, offset: Int64(offset), messageTime: t) == .accepted)
        }
        let total = aggregator.takeChangedSummaries().reduce(0) { $0 + ($1.fields["service_ms"]?.count ?? 0) }
        #expect(total == 6)
    }

    @Test("a retry that arrives after its window became final is rejected as final, not counted")
    func retryAfterFinal() {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.start
        aggregator.apply(Self.request(serviceMs: 40, at: t), offset: 0, messageTime: t)
        _ = aggregator.takeChangedSummaries()
        aggregator.apply(
            Self.request(serviceMs: 1, at: t + .seconds(7), frame: "other"), offset: 1, messageTime: t + .seconds(7))
        aggregator.finalizeWindows()
        #expect(
            aggregator.apply(Self.request(serviceMs: 40, at: t), offset: 2, messageTime: t + .seconds(4))
                == .windowAlreadyFinal)
    }

    @Test("final windows free their series, sketches and fingerprints")
    func memoryIsFreed() {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.start
        for index in 0..<300 {
            let time = t + .milliseconds(Int64(index) * 10)
            aggregator.apply(
                Self.request(serviceMs: Double(index), at: time, line: UInt32(index), owner: "app-\(index % 7)"),
                offset: Int64(index), messageTime: time)
        }
        let held = aggregator.footprint
        #expect(held.openWindows == 3)
        #expect(held.internedSeries == 7)
        #expect(held.originFingerprints == 300)
        #expect(held.sketchBytes > 0 && held.approximateBytes > 0)
        _ = aggregator.takeChangedSummaries()
        // A message far later moves the watermark past every window.
        aggregator.skip(offset: 300, messageTime: t + .seconds(60))
        aggregator.finalizeWindows()
        let freed = aggregator.footprint
        #expect(freed.openWindows == 0 && freed.openSeries == 0 && freed.internedSeries == 0)
        #expect(freed.originFingerprints == 0 && freed.sketchBytes == 0)
    }

    /// One raw message of a seeded workload.
    struct Message {
        var measurement: Measurement
        var messageTime: EventTime
    }

    /// Rising message times; measurement times lag by up to 7 s or lead by up to 6 s (some too late, some too far
    /// ahead); a tenth of the messages repeat an earlier line (a Logplex retry) seconds later.
    static func workload(seed: UInt64, count: Int) -> [Message] {
        var generator = SplitMix64(seed: seed)
        var messages: [Message] = []
        for index in 0..<count {
            let messageTime = start + .milliseconds(Int64(index) * 25)
            if index > 10, generator.next() % 10 == 0 {
                var retry = messages[index - 1 - Int(generator.next() % UInt64(min(index - 1, 300)))]
                retry.messageTime = messageTime
                messages.append(retry)
                continue
            }
            let time = messageTime - .milliseconds(Int64(generator.next() % 13_000)) + .seconds(6)
            var measurement = request(
                serviceMs: Double(generator.next() % 3_000), at: time,
                frame: generator.next() % 8 == 0 ? "" : "F\(index / 10)",
                line: UInt32(index % 10), owner: "app-\(generator.next() % 3)")
            measurement.events = ["status_\(2 + generator.next() % 4)xx"]
            messages.append(Message(measurement: measurement, messageTime: messageTime))
        }
        return messages
    }

    /// Runs the aggregator over `messages` like the service does: flush (publish changed, finalize, commit) every
    /// `flushEvery` messages; at each offset in `crashes`, forget everything but the last commit, replay from it and
    /// publish nothing until the replay is back where the crash happened. Returns the latest summary of every key.
    static func run(_ messages: [Message], flushEvery: Int, crashes: Set<Int>) -> [SeriesKey: Summary] {
        var published: [SeriesKey: Summary] = [:]
        var committed = (offset: Int64(0), marker: CommitMarker?.none)
        var aggregator = PartitionAggregator(settings: settings, startingAt: 0)
        var replayUntil: Int64 = 0
        var offset = 0
        var crashed: Set<Int> = []
        func flush() {
            guard aggregator.nextOffset >= replayUntil else { return }
            for summary in aggregator.takeChangedSummaries() { published[summary.key] = summary }
            aggregator.finalizeWindows()
            let point = aggregator.commitPoint
            committed = (point.offset, point.marker)
        }
        while offset < messages.count {
            if crashes.contains(offset), !crashed.contains(offset) {
                crashed.insert(offset)
                replayUntil = Int64(offset)
                aggregator = PartitionAggregator(
                    settings: settings, startingAt: committed.offset, resuming: committed.marker)
                offset = Int(committed.offset)
                continue
            }
            aggregator.apply(
                messages[offset].measurement, offset: Int64(offset), messageTime: messages[offset].messageTime)
            offset += 1
            if offset % flushEvery == 0 { flush() }
        }
        flush()
        return published
    }

    @Test(
        "with retries, late and early lines, restarts from the commit point publish exactly what one run does",
        arguments: 0..<12)
    func restartsAreExact(seed: UInt64) {
        let messages = Self.workload(seed: seed, count: 2_000)
        let once = Self.run(messages, flushEvery: 37, crashes: [])
        var generator = SplitMix64(seed: seed + 99)
        let crashes = Set((0..<8).map { _ in Int(generator.next() % 2_000) })
        let restarted = Self.run(messages, flushEvery: 37, crashes: crashes)
        #expect(restarted == once)
        // Every line counts at most once: no summary holds more values than distinct origins offered.
        let counted = once.values.reduce(0) { $0 + Int($1.fields["service_ms"]?.count ?? 0) }
        #expect(counted > 0 && counted < messages.count)
    }
}
