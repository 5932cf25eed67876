import Testing

@testable import DrainpipeCore

@Suite("PartitionAggregator")
struct PartitionAggregatorTests {
    static let settings = WindowSettings(
        windowLength: .seconds(60), lateBound: .seconds(300), futureBound: .seconds(300))
    static let minute = EventTime(secondsSinceEpoch: 1_709_647_320)  // 2024-03-05T14:02:00Z, window-aligned

    static func load(
        _ value: Double, at time: EventTime, owner: String = "app-1", processType: String = "web"
    ) -> Measurement {
        Measurement(
            type: .dynoLoad, owner: owner, processType: processType, metric: "load_avg", time: time,
            receivedAt: time, fields: [MeasurementField(name: "load_avg_1m", value: value)])
    }

    @Test("accumulates count, sum, sum of squares, min and max per series and minute")
    func accumulates() throws {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.minute
        aggregator.apply(Self.load(1, at: t + .seconds(1)), offset: 0, messageTime: t + .seconds(2))
        aggregator.apply(Self.load(3, at: t + .seconds(30)), offset: 1, messageTime: t + .seconds(31))
        aggregator.apply(Self.load(5, at: t + .seconds(61)), offset: 2, messageTime: t + .seconds(62))
        aggregator.apply(
            Self.load(7, at: t + .seconds(10), processType: "worker"), offset: 3, messageTime: t + .seconds(63))
        let summaries = aggregator.takeChangedSummaries()
        #expect(summaries.count == 3)
        let web = try #require(summaries.first { $0.key.processType == "web" && $0.key.windowStart == t })
        #expect(
            web.fields["load_avg_1m"] == FieldStatistics(count: 2, sum: 4, sumOfSquares: 10, minimum: 1, maximum: 3))
        #expect(web.version == 2)
        #expect(web.key.periodSeconds == 60)
        #expect(aggregator.takeChangedSummaries().isEmpty)
    }

    @Test("every event of an accepted measurement counts once in its summary")
    func countsEvents() throws {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.minute
        var request = Self.load(1, at: t + .seconds(1))
        request.type = .routerRequests
        request.events = ["status_5xx", "H12"]
        aggregator.apply(request, offset: 0, messageTime: t + .seconds(1))
        request.events = ["status_2xx"]
        aggregator.apply(request, offset: 1, messageTime: t + .seconds(2))
        request.events = ["status_5xx", "H12"]
        request.time = t - .seconds(600)
        #expect(aggregator.apply(request, offset: 2, messageTime: t + .seconds(3)) == .tooLate)
        let summary = try #require(aggregator.takeChangedSummaries().first)
        #expect(summary.counts == ["status_5xx": 1, "H12": 1, "status_2xx": 1])
    }

    @Test("acceptance depends on the message timestamp, not on arrival order")
    func acceptanceBounds() {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.minute
        #expect(aggregator.apply(Self.load(1, at: t), offset: 0, messageTime: t + .seconds(300)) == .accepted)
        #expect(aggregator.apply(Self.load(1, at: t), offset: 1, messageTime: t + .seconds(301)) == .tooLate)
        #expect(aggregator.apply(Self.load(1, at: t + .seconds(301)), offset: 2, messageTime: t) == .tooFarInFuture)
        #expect(aggregator.apply(Self.load(1, at: t), offset: 2, messageTime: t) == .alreadyApplied)
    }

    @Test("out-of-order lines within the late bound land in their own minute")
    func outOfOrder() {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.minute
        aggregator.apply(Self.load(2, at: t + .seconds(200)), offset: 0, messageTime: t + .seconds(200))
        aggregator.apply(Self.load(4, at: t + .seconds(5)), offset: 1, messageTime: t + .seconds(201))
        let windows = Set(aggregator.takeChangedSummaries().map(\.key.windowStart))
        #expect(windows == [t, t + .seconds(180)])
    }

    @Test("a window is forgotten once the watermark passes its end plus the late bound, and stays final")
    func finalization() {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 0)
        let t = Self.minute
        aggregator.apply(Self.load(1, at: t), offset: 0, messageTime: t)
        _ = aggregator.takeChangedSummaries()
        #expect(aggregator.finalizeWindows().isEmpty)
        aggregator.apply(Self.load(1, at: t + .seconds(360)), offset: 1, messageTime: t + .seconds(360))
        _ = aggregator.takeChangedSummaries()
        #expect(aggregator.finalizeWindows() == [t])
        #expect(aggregator.finalBefore == t + .seconds(60))
        #expect(aggregator.footprint.openWindows == 1)
        // A message stamped earlier (another producer's clock) cannot reopen the final window.
        #expect(
            aggregator.apply(Self.load(1, at: t + .seconds(10)), offset: 2, messageTime: t + .seconds(20))
                == .windowAlreadyFinal)
    }

    @Test("the commit point is the first offset of the oldest open window")
    func commitPoint() {
        var aggregator = PartitionAggregator(settings: Self.settings, startingAt: 10)
        let t = Self.minute
        #expect(aggregator.commitPoint.offset == 10)
        aggregator.apply(Self.load(1, at: t + .seconds(1)), offset: 10, messageTime: t + .seconds(1))
        aggregator.apply(Self.load(1, at: t + .seconds(70)), offset: 11, messageTime: t + .seconds(70))
        aggregator.apply(Self.load(1, at: t + .seconds(2)), offset: 12, messageTime: t + .seconds(71))
        #expect(aggregator.commitPoint.offset == 10)
        aggregator.apply(Self.load(1, at: t + .seconds(420)), offset: 13, messageTime: t + .seconds(420))
        _ = aggregator.takeChangedSummaries()
        aggregator.finalizeWindows()
        #expect(aggregator.commitPoint.offset == 13)
    }

    @Test(
        """
        a restart from the commit point rebuilds identical summaries, \
        whatever the flush cadence, and leaves final windows alone
        """,
        arguments: [UInt64(42), 7, 1234])
    func replayFromCommitPoint(seed: UInt64) {
        let t = Self.minute
        var recorded = RecordedPartition()
        var generator = SplitMix64(seed: seed)
        for index in 0..<600 {
            // Several producers' clocks: message timestamps rise overall but jitter by up to ±20 s.
            let messageTime = t + .seconds(Int64(index * 3)) + .milliseconds(Int64(generator.next() % 40_000) - 20_000)
            let lag = Int64(generator.next() % 400)  // some beyond the late bound
            let time = messageTime - .seconds(lag)
            let processType = generator.next() % 2 == 0 ? "web" : "worker"
            recorded.messages.append(
                (Self.load(Double(generator.next() % 100) / 8, at: time, processType: processType), messageTime))
        }
        var uninterrupted: [SeriesKey: Summary] = [:]
        var single = PartitionAggregator(settings: Self.settings, startingAt: 0)
        recorded.replay(into: &single, 0..<600, flushEvery: 7, keepingLatestIn: &uninterrupted)

        var restarted: [SeriesKey: Summary] = [:]
        var first = PartitionAggregator(settings: Self.settings, startingAt: 0)
        recorded.replay(into: &first, 0..<301, flushEvery: 25, keepingLatestIn: &restarted)
        first.finalizeWindows()
        let (offset, marker) = first.commitPoint
        #expect(CommitMarker(metadata: marker.metadata) == marker)
        var second = PartitionAggregator(settings: Self.settings, startingAt: offset, resuming: marker)
        var republished: [SeriesKey: Summary] = [:]
        recorded.replay(into: &second, Int(offset)..<600, flushEvery: 11, keepingLatestIn: &republished)
        for (key, summary) in republished {
            #expect(key.windowStart >= marker.finalBefore, "a final window was republished")
            restarted[key] = summary
        }
        #expect(restarted == uninterrupted)
    }
}

@Suite("EventTime")
struct EventTimeTests {
    @Test("arithmetic saturates instead of trapping on hostile times")
    func saturates() {
        let latest = EventTime(microsecondsSinceEpoch: .max)
        let earliest = EventTime(microsecondsSinceEpoch: .min)
        #expect(latest + .seconds(300) == latest)
        #expect(earliest - .seconds(300) == earliest)
        #expect(EventTime(millisecondsSinceEpoch: .max) == latest)
        #expect(EventTime(secondsSinceEpoch: .min) == earliest)
        #expect(earliest.windowStart(length: .seconds(60)) == earliest)
        #expect(earliest.secondsSinceEpoch == Int64.min / 1_000_000 - 1)
        #expect(!latest.isPlausible && !earliest.isPlausible)
        #expect(EventTime(secondsSinceEpoch: 1_709_647_200).isPlausible)
    }

    @Test("seconds and window starts round towards the past, also before 1970")
    func flooring() {
        #expect(EventTime(microsecondsSinceEpoch: -1).secondsSinceEpoch == -1)
        #expect(
            EventTime(microsecondsSinceEpoch: -1).windowStart(length: .seconds(60)) == EventTime(secondsSinceEpoch: -60)
        )
        #expect(
            EventTime(microsecondsSinceEpoch: 59_999_999).windowStart(length: .seconds(60))
                == EventTime(secondsSinceEpoch: 0))
    }
}
