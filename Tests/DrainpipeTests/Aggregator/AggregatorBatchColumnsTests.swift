import DrainpipeKafka
import DrainpipeWire
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

/// The aggregator applies a `drainpipe.v2.MeasurementBatch` straight from its columns; these property tests check
/// that this decides and publishes exactly what applying the batch's decoded `Measurement`s one by one does.
@Suite("Aggregator batch columns")
struct AggregatorBatchColumnsTests {
    /// Partition 0 of two raw versions, sharing one state, and partition 1 of the newer one.
    static let older = TopicPartition(topic: "ROUTER_REQUESTS.1", partition: 0)
    static let newer = TopicPartition(topic: "ROUTER_REQUESTS.2", partition: 0)
    static let second = TopicPartition(topic: "ROUTER_REQUESTS.2", partition: 1)
    static let groups = [[older, newer], [second]]
    static let base = EventTime(secondsSinceEpoch: 1_709_647_200)
    /// Short windows and bounds, so a run sees windows become final, late and future measurements.
    static let settings = WindowSettings(windowLength: .seconds(10), lateBound: .seconds(30), futureBound: .seconds(20))

    /// How a path applies one raw message.
    enum Path {
        /// Decoded into `Measurement`s, applied one by one (the way before batch columns, and of version 1).
        case measurements
        /// Decoded into `MeasurementColumns`, applied from the columns.
        case columns
    }

    /// Everything one run decided and published, in order.
    struct Transcript: Hashable {
        var applied: [[AggregatorPartitions.Applied]] = []
        var summaries: [[Summary]] = []
        var commits: [[TopicPartition: CommittedOffset]] = []
    }

    // MARK: - Seeded batches

    /// Many owners, so series keep appearing and going (a new series whose first measurement is a duplicate is
    /// released at once, and its number may go to the next new series of the same batch).
    static let owners = ["6c1d5b7e-0f43-4a52-9b1e-000000000042"] + (0..<40).map { "app-\($0)" }
    static let processTypes = ["web", "worker", "api"]
    static let events = ["status_2xx", "status_5xx", "H12", "method_GET"]

    static func pick<Element>(_ options: [Element], _ random: inout SplitMix64) -> Element {
        options[Int(random.next() % UInt64(options.count))]
    }

    /// One batch of up to 40 measurements of one type, all received at `stamp`: fields in varying order with names
    /// the type has no column for, repeated events, origins from a few frames (so some repeat), empty frame ids,
    /// platform events, and times early, late, in the future and implausible.
    static func batch(stamp: EventTime, frame: Int, _ random: inout SplitMix64) -> [UInt8] {
        let type = pick([MeasurementType.routerRequests, .customMetrics, .platformEvents, .dynoLoad], &random)
        let fieldNames =
            switch type {
            case .routerRequests: ["connect_ms", "service_ms", "bytes", "extra_ms"]
            case .dynoLoad: ["load_avg_1m", "load_avg_5m", "load_avg_15m"]
            case .customMetrics: ["value", "other"]
            default: ["count"]
            }
        let metrics = type == .customMetrics ? ["queue.depth", "jobs", "router"] : ["m"]
        let count = 1 + Int(random.next() % 40)
        let measurements = (0..<count).map { _ -> Measurement in
            let time: EventTime =
                switch random.next() % 20 {
                case 0: EventTime(microsecondsSinceEpoch: -5)
                case 1, 2: stamp + .seconds(Int64(random.next() % 40))
                default: stamp - .milliseconds(Int64(random.next() % 45_000))
                }
            var fields = (0..<Int(random.next() % 4)).map { _ in
                MeasurementField(name: pick(fieldNames, &random), value: Double(random.next() % 10_000) / 8)
            }
            fields.shuffle(using: &random)
            let origin: DrainOrigin? =
                random.next() % 5 == 0
                ? nil
                : DrainOrigin(
                    drainID: pick(["d.one", "d.two"], &random),
                    frameID: random.next() % 10 == 0 ? "" : "frame-\(frame - Int(random.next() % 3))",
                    lineIndex: UInt32(random.next() % 12))
            let platformEvent =
                type == .platformEvents
                ? PlatformEventDetail(
                    kind: pick(PlatformEventKind.allCases, &random), dyno: pick(["web.1", ""], &random),
                    text: pick(["v42", "web=3"], &random))
                : nil
            return Measurement(
                type: type, owner: pick(owners, &random), processType: pick(processTypes, &random),
                metric: pick(metrics, &random), time: time, receivedAt: stamp, fields: fields,
                events: (0..<Int(random.next() % 4)).map { _ in pick(events, &random) }, origin: origin,
                platformEvent: platformEvent)
        }
        return MeasurementBatchWire.encode(measurements, type: type, receivedAt: stamp)
    }

    /// `count` raw messages over the three partitions, stamped mostly later and later; every seventh is the retry
    /// of an earlier message's bytes (a Logplex retry: the same origins at a new offset).
    static func messages(count: Int, seed: UInt64) -> [KafkaMessage] {
        var random = SplitMix64(seed: seed)
        var nextOffsets: [TopicPartition: Int64] = [:]
        var stamp = base
        var messages: [KafkaMessage] = []
        for index in 0..<count {
            stamp = stamp + .milliseconds(Int64(random.next() % 4_000)) - .seconds(random.next() % 9 == 0 ? 6 : 0)
            let partition = pick([older, newer, newer, second], &random)
            let value =
                index % 7 == 6 && !messages.isEmpty
                ? pick(messages, &random).value : batch(stamp: stamp, frame: index / 4, &random)
            let offset = nextOffsets[partition, default: 0]
            nextOffsets[partition] = offset + 1
            messages.append(
                KafkaMessage(
                    topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: value,
                    timestamp: random.next() % 25 == 0 ? nil : stamp))
        }
        return messages
    }

    // MARK: - Runs

    static func apply(
        _ message: KafkaMessage, to partitions: inout AggregatorPartitions, by path: Path
    ) throws -> [AggregatorPartitions.Applied] {
        switch path {
        case .measurements: partitions.apply(try MeasurementBatchWire.decode(message.value), from: message)
        case .columns: partitions.apply(try MeasurementBatchWire.decodeColumns(message.value), from: message)
        }
    }

    /// Applies `messages` in order by `path`, flushing every fifth message; a third of the way through, one message
    /// is delivered again; halfway, the process restarts from what it committed and replays from there.
    static func run(_ messages: [KafkaMessage], by path: Path) throws -> Transcript {
        var transcript = Transcript()
        let claim = AggregatorWorkerClaim(epoch: 1, instance: "00000000000000aa")
        var partitions = AggregatorPartitions(
            sharing: groups, committed: [:], ends: [:], settings: settings, claim: claim)
        var committed = partitions.claimCommits
        partitions.didCommit(committed)
        func flush() throws {
            guard case .publish(let flush) = partitions.beginFlush(committed: committed) else {
                Issue.record("the flush was refused")
                return
            }
            let commits = partitions.completeFlush(flush)
            partitions.didCommit(commits)
            committed.merge(commits) { $1 }
            transcript.summaries.append(flush.summaries)
            transcript.commits.append(commits)
        }
        for (index, message) in messages.enumerated() {
            transcript.applied.append(try apply(message, to: &partitions, by: path))
            if index == messages.count / 3 {
                transcript.applied.append(try apply(messages[index - 2], to: &partitions, by: path))
            }
            if index % 5 == 4 { try flush() }
            guard index == messages.count / 2 else { continue }
            // Restart: a newer process resumes every partition from its commit and replays up to here.
            let applied = messages[...index]
            var ends: [TopicPartition: (low: Int64, high: Int64)] = [:]
            for message in applied {
                ends[message.topicPartition] = (0, max(ends[message.topicPartition]?.high ?? 0, message.offset + 1))
            }
            partitions = AggregatorPartitions(
                sharing: groups, committed: committed, ends: ends, settings: settings,
                claim: AggregatorWorkerClaim(epoch: 2, instance: "00000000000000bb"))
            committed.merge(partitions.claimCommits) { $1 }
            partitions.didCommit(partitions.claimCommits)
            for message in applied where message.offset >= committed[message.topicPartition]?.offset ?? 0 {
                transcript.applied.append(try apply(message, to: &partitions, by: path))
            }
            try flush()
        }
        try flush()
        return transcript
    }

    @Test("seeded batches, with retries, a re-delivery and a restart, decide and publish the same", arguments: 1...12)
    func sameAsMeasurements(seed: UInt64) throws {
        let messages = Self.messages(count: 120, seed: seed)
        let byMeasurements = try Self.run(messages, by: .measurements)
        let byColumns = try Self.run(messages, by: .columns)
        #expect(byColumns.applied == byMeasurements.applied)
        #expect(byColumns.commits == byMeasurements.commits)
        #expect(byColumns.summaries.count == byMeasurements.summaries.count)
        for (columns, measurements) in zip(byColumns.summaries, byMeasurements.summaries) {
            #expect(columns == measurements)
        }
        // The runs covered what they are meant to: every outcome, and summaries.
        let outcomes = Set(byMeasurements.applied.joined())
        for outcome in PartitionAggregator.Outcome.allCases {
            #expect(outcomes.contains(.outcome(outcome)), "no \(outcome) in seed \(seed)")
        }
        #expect(outcomes.contains(.implausibleTime))
        #expect(byMeasurements.summaries.joined().count > 50)
    }

}
