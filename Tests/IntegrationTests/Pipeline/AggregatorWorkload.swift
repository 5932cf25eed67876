import DrainpipeTestSupport
import Foundation
import Logging

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWire

/// A seeded router (or platform event) workload for the aggregator proofs (window 1 s, late bound 5 s), and the
/// ground truth computed from what the raw topic holds, independently of the aggregator's code (event logs use
/// `PlatformEventLog`'s documented rule: the earliest 100 events, the rest counted).
struct AggregatorWorkload {
    /// The raw topic held a message without a timestamp, which the workload never writes.
    struct MissingTimestamp: Error {}

    static let settings = WindowSettings(windowLength: .seconds(1), lateBound: .seconds(5), futureBound: .seconds(5))
    /// 2024-03-05T14:00:00Z: message timestamps are synthetic, so the test never depends on the wall clock.
    static let base = EventTime(secondsSinceEpoch: 1_709_647_200)

    /// One raw message: a measurement and the Kafka timestamp it is produced with.
    struct Message {
        var measurement: DrainpipeCore.Measurement
        var timestamp: EventTime
    }

    let messages: [Message]

    /// `count` messages 10 ms of message time apart, of `type` (`.routerRequests` or `.platformEvents`). Measurement
    /// times lag their message by up to 7 s (some too late), one in twenty leads it by up to 7 s (some too far
    /// ahead); one in ten messages re-sends an earlier line with its origin (a Logplex retry), mostly within a few
    /// seconds, sometimes beyond the late bound; one line in ten has no frame id. Values are whole milliseconds, so
    /// every sum is exact whatever the grouping. Platform events come in bursts: one in three is a state change of
    /// the first owner's web dynos stamped at the start of its 4 s stretch, so some 1 s windows hold more events than
    /// a summary keeps.
    init(seed: UInt64, count: Int, owners: Int = 3, type: MeasurementType = .routerRequests) {
        var generator = SplitMix64(seed: seed)
        let ownerIDs = (0..<owners).map { "00000000-0000-4000-8000-\(String(repeating: "0", count: 11))\($0)" }
        var messages: [Message] = []
        messages.reserveCapacity(count)
        for index in 0..<count {
            let timestamp = Self.base + .milliseconds(Int64(index) * 10)
            if index > 20, generator.next() % 10 == 0 {
                let reach = generator.next() % 20 == 0 ? 900 : 300
                var retry = messages[index - 1 - Int(generator.next() % UInt64(min(index - 1, reach)))]
                retry.timestamp = timestamp
                messages.append(retry)
                continue
            }
            let lead = generator.next() % 20 == 0
            let shift = Duration.milliseconds(Int64(generator.next() % 7_000))
            let time = lead ? timestamp + shift : timestamp - shift
            let frame =
                generator.next() % 10 == 0 ? "" : String(format: "%032X", seed &* 1_000_003 &+ UInt64(index / 25))
            let origin = DrainOrigin(drainID: "d.drain-\(index % 2)", frameID: frame, lineIndex: UInt32(index % 25))
            if type == .platformEvents {
                // A burst is one dyno's crash loop: the first owner's web state changes at the start of the stretch.
                let burst = generator.next() % 3 == 0
                let eventTime = burst ? timestamp.windowStart(length: .seconds(4)) : time
                let kind =
                    burst
                    ? .state
                    : PlatformEventKind.allCases[Int(generator.next() % UInt64(PlatformEventKind.allCases.count))]
                let dyno = kind.isAppWide ? "" : "web.\(1 + generator.next() % 3)"
                let measurement = DrainpipeCore.Measurement(
                    type: .platformEvents,
                    owner: burst ? ownerIDs[0] : ownerIDs[Int(generator.next() % UInt64(owners))],
                    processType: kind.isAppWide ? "api" : "web", metric: "events",
                    time: eventTime, receivedAt: timestamp, fields: [], events: [kind.rawValue], origin: origin,
                    platformEvent: PlatformEventDetail(kind: kind, dyno: dyno, text: "v\(generator.next() % 4)"))
                messages.append(Message(measurement: measurement, timestamp: timestamp))
                continue
            }
            let service = generator.next() % 50 == 0 ? 30_000 : Double(generator.next() % 900)
            let status = [200, 200, 200, 302, 404, 503][Int(generator.next() % 6)]
            let measurement = DrainpipeCore.Measurement(
                type: .routerRequests, owner: ownerIDs[Int(generator.next() % UInt64(owners))],
                processType: generator.next() % 3 == 0 ? "api" : "web", metric: "router", time: time,
                receivedAt: timestamp,
                fields: [
                    MeasurementField(name: "connect_ms", value: Double(generator.next() % 3)),
                    MeasurementField(name: "service_ms", value: service),
                    MeasurementField(name: "bytes", value: Double(generator.next() % 20_000)),
                ],
                events: ["status_\(status / 100)xx"] + (status == 503 ? ["H12"] : []), origin: origin)
            messages.append(Message(measurement: measurement, timestamp: timestamp))
        }
        self.messages = messages
    }

    /// The raw-topic records of `messages[range]`, in order.
    func records(_ range: Range<Int>, topics: TopicCatalog, kafka: KafkaConnection) -> [KafkaRecord] {
        messages[range].map { topics.rawRecord(for: $0.measurement, timestamp: $0.timestamp, in: kafka) }
    }

    /// What the summary topic must end up holding for the messages of `raw` (`drainpipe.v2.MeasurementBatch`
    /// records), each partition in offset order.
    ///
    /// Written from the rules, not from the aggregator: a measurement counts when its time lies within the late
    /// and future bounds of its message's timestamp, its window's end plus the late bound is still after the
    /// largest timestamp of the partition so far, and no earlier counted measurement of the partition had the same
    /// (drain, frame id, line index, type, metric) with a non-empty frame id. A summary's version is one past the
    /// offset of the last measurement it counts.
    static func groundTruth(of raw: [KafkaMessage]) throws -> [SeriesKey: Summary] {
        let window = settings.windowLength.wholeMicroseconds
        let late = settings.lateBound.wholeMicroseconds
        let future = settings.futureBound.wholeMicroseconds
        var truth: [SeriesKey: Summary] = [:]
        let byPartition = Dictionary(grouping: raw, by: \.topicPartition)
        for messages in byPartition.values {
            var largestTimestamp = Int64.min
            var counted: Set<String> = []
            for message in messages.sorted(by: { $0.offset < $1.offset }) {
                guard let stamp = message.timestamp?.microsecondsSinceEpoch else { throw MissingTimestamp() }
                largestTimestamp = max(largestTimestamp, stamp)
                for measurement in try MeasurementBatchWire.decode(message.value) {
                    let time = measurement.time.microsecondsSinceEpoch
                    guard time >= stamp - late, time <= stamp + future else { continue }
                    let windowStart = time - ((time % window) + window) % window
                    guard windowStart + window + late > largestTimestamp else { continue }
                    if let origin = measurement.origin, !origin.frameID.isEmpty {
                        let identity =
                            """
                            \(origin.drainID)|\(origin.frameID)|\(origin.lineIndex)|\(measurement.type)|\
                            \(measurement.metric)
                            """
                        guard counted.insert(identity).inserted else { continue }
                    }
                    let key = SeriesKey(
                        type: measurement.type, owner: measurement.owner, processType: measurement.processType,
                        metric: measurement.metric, windowStart: EventTime(microsecondsSinceEpoch: windowStart),
                        periodSeconds: settings.periodSeconds)
                    var summary = truth[key] ?? Summary(key: key, version: 0)
                    for field in measurement.fields {
                        summary.fields[field.name, default: .empty].add(field.value)
                        if measurement.type.sketchedFieldNames.contains(field.name) {
                            summary.sketches[field.name, default: QuantileSketch()].add(field.value)
                        }
                    }
                    for event in measurement.events { summary.counts[event, default: 0] += 1 }
                    if let detail = measurement.platformEvent {
                        summary.platformEvents.add(PlatformEvent(time: measurement.time, detail: detail))
                    }
                    summary.version = message.offset + 1
                    truth[key] = summary
                }
            }
        }
        return truth
    }

    /// Every message of a topic's partitions, read from the beginning up to the ends they have now.
    static func readAll(topic: String, partitions: Int, kafka: KafkaConnection, logger: Logger) throws -> [KafkaMessage]
    {
        let consumer = try KafkaConsumer(
            connection: kafka, groupID: "raw-reader-\(UUID())", clientID: "raw-reader", logger: logger)
        defer { consumer.close() }
        let all = (0..<partitions).map { TopicPartition(topic: topic, partition: Int32($0)) }
        var remaining: [TopicPartition: Int64] = [:]
        for partition in all {
            let high = try consumer.watermarks(for: partition, timeout: .seconds(10)).high
            if high > 0 { remaining[partition] = high }
        }
        try consumer.assign(Dictionary(uniqueKeysWithValues: remaining.keys.map { ($0, StartOffset.beginning) }))
        var messages: [KafkaMessage] = []
        let deadline = ContinuousClock.now + .seconds(60)
        while !remaining.isEmpty, ContinuousClock.now < deadline {
            for message in try consumer.poll(maxMessages: 10_000, timeout: .milliseconds(200)) {
                messages.append(message)
                if let end = remaining[message.topicPartition], message.offset + 1 >= end {
                    remaining[message.topicPartition] = nil
                }
            }
        }
        return messages
    }
}

/// Reads a summary topic from the beginning and keeps the latest summary of every key, as compaction would.
final class LatestSummaryTopic: Sendable {
    private let consumer: KafkaConsumer
    private let state = SynchronizedBox<[SeriesKey: Summary]>([:])

    init(kafka: KafkaConnection, topic: String, partitions: Int = 32, logger: Logger) throws {
        consumer = try KafkaConsumer(connection: kafka, groupID: "latest-\(UUID())", clientID: "latest", logger: logger)
        try consumer.assign(
            Dictionary(
                uniqueKeysWithValues: (0..<partitions).map {
                    (TopicPartition(topic: topic, partition: Int32($0)), StartOffset.beginning)
                }))
    }

    var summaries: [SeriesKey: Summary] { state.value }

    /// Reads what arrived since the last call.
    func refresh() throws {
        let messages = try consumer.poll(maxMessages: 10_000, timeout: .milliseconds(50))
        try state.update { latest in
            for message in messages {
                let summary = try Summary(wireBytes: message.value)
                latest[summary.key] = summary
            }
        }
    }

    /// Reads until the topic's latest summaries equal `expected` or `timeout` passes; returns whether they did.
    func waitUntilEqual(to expected: [SeriesKey: Summary], timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            try refresh()
            if summaries == expected { return true }
            // `refresh` already waited for messages; let other tasks run before reading on.
            await Task.yield()
        }
        return summaries == expected
    }

    /// Keys missing, extra, and present with another value, compared with `expected`.
    func differences(from expected: [SeriesKey: Summary]) -> (missing: Int, extra: Int, different: Int) {
        let actual = summaries
        return (
            expected.keys.filter { actual[$0] == nil }.count, actual.keys.filter { expected[$0] == nil }.count,
            expected.filter { key, value in actual[key].map { $0 != value } ?? false }.count
        )
    }
}
