import DrainpipeCore
import DrainpipeKafka
import DrainpipePostgres
import DrainpipeWire
import Logging
import Metrics
import MetricsTestKit
import Synchronization
import Testing

@testable import Drainpipe

@Suite("RetryBackoff")
struct RetryBackoffTests {
    @Test("each wait is drawn from zero to a ceiling that doubles from the first delay up to the cap")
    func doublesWithFullJitter() {
        var backoff = RetryBackoff(first: .milliseconds(100), maximum: .milliseconds(800))
        var random = SplitMix64(seed: 7)
        var replay = SplitMix64(seed: 7)
        for ceiling: Int64 in [100, 200, 400, 800, 800, 800] {
            #expect(backoff.ceiling == .milliseconds(ceiling))
            let delay = backoff.nextDelay(using: &random)
            #expect(delay == .milliseconds(Int64.random(in: 0...ceiling, using: &replay)))
        }
        // Full jitter: at the cap, waits spread over the whole range.
        let waits = (0..<1000).map { _ in backoff.nextDelay(using: &random) }
        #expect(waits.allSatisfy { $0 >= .zero && $0 <= .milliseconds(800) })
        #expect(waits.min()! < .milliseconds(40) && waits.max()! > .milliseconds(760))
    }
}

@Suite("SummarySink")
struct SummarySinkTests {
    /// 2024-03-05T14:00Z, and the minute that starts the next UTC day.
    static let today = EventTime(secondsSinceEpoch: 1_709_647_200)
    static let tomorrow = EventTime(secondsSinceEpoch: 1_709_683_200)

    @Test("the primary sink sends exactly a failed transaction's summaries to RETRY, then commits the whole poll")
    func failedTransactionGoesToRetry() async throws {
        let harness = try Harness(mode: .primary)
        let healthyToday = harness.summary(owner: "a", at: Self.today)
        let healthyTomorrow = harness.summary(owner: "a", at: Self.tomorrow)
        let failedToday = [harness.summary(owner: "b", at: Self.today), harness.summary(owner: "c", at: Self.today)]
        let storedTomorrow = harness.summary(owner: "b", at: Self.tomorrow)
        harness.shards.route(["a": 0, "b": 1, "c": 1])
        harness.shards.fail(shard: 1, day: DaySchema(containing: Self.today), with: .connectionLost(reason: "eof"))
        let poll = harness.messages([healthyToday, failedToday[0], healthyTomorrow, storedTomorrow, failedToday[1]])
        harness.consumer.enqueue(poll)

        #expect(try await harness.pollOnce())

        let retryTopic = harness.kafka.topicName(harness.topics.topic(.retry, for: .dynoLoad).name)
        #expect(harness.publisher.records.map(\.topic) == [retryTopic, retryTopic])
        #expect(Set(harness.publisher.records.map(\.value)) == Set(failedToday.map(\.wireBytes)))
        #expect(harness.shards.stored.count == 3)
        #expect(Set(harness.shards.stored) == [healthyToday, healthyTomorrow, storedTomorrow])
        // Every transaction, then the RETRY acknowledgement, then the commit.
        #expect(harness.log.events.suffix(2) == [.published(2), .commit(harness.expectedCommits(poll))])
        #expect(try harness.counter("drainpipe_sink_summaries_sent_to_retry_total") == 2)
        #expect(try harness.counter("drainpipe_sink_summaries_written_total") == 3)
    }

    @Test("offsets are not committed when RETRY does not acknowledge the failed summaries")
    func noCommitWithoutAcknowledgement() async throws {
        let harness = try Harness(mode: .primary)
        harness.shards.route(["a": 0])
        harness.shards.fail(
            shard: 0, day: DaySchema(containing: Self.today), with: .connectFailed(host: "h", reason: "r"))
        harness.publisher.failSends(with: .closed)
        harness.consumer.enqueue(harness.messages([harness.summary(owner: "a", at: Self.today)]))

        await #expect(throws: KafkaError.self) { try await harness.pollOnce() }
        #expect(harness.consumer.commits.isEmpty)
    }

    @Test("offsets are committed only after the Postgres commit of every batch")
    func commitsAfterPostgres() async throws {
        let harness = try Harness(mode: .primary)
        harness.shards.route(["a": 0, "b": 1])
        let poll = harness.messages([
            harness.summary(owner: "a", at: Self.today), harness.summary(owner: "b", at: Self.tomorrow),
        ])
        harness.consumer.enqueue(poll)

        #expect(try await harness.pollOnce())
        let events = harness.log.events
        #expect(events.count == 3 && events.prefix(2).allSatisfy { if case .written = $0 { true } else { false } })
        #expect(events.last == .commit(harness.expectedCommits(poll)))
        #expect(harness.publisher.records.isEmpty)
    }

    @Test("unstorable and undecodable summaries are skipped and counted; the rest is written and committed")
    func unstorableSkipped() async throws {
        let harness = try Harness(mode: .primary)
        harness.shards.route(["a": 0, "b": 0])
        var unstorable = harness.summary(owner: "b", at: Self.today)
        unstorable.fields["no_such_column"] = FieldStatistics(value: 1)
        let good = harness.summary(owner: "a", at: Self.today)
        var poll = harness.messages([good, unstorable])
        poll.append(
            KafkaMessage(topic: poll[0].topic, partition: 0, offset: 99, key: nil, value: [0xFF, 0xFF], timestamp: nil))
        harness.consumer.enqueue(poll)

        #expect(try await harness.pollOnce())
        #expect(harness.shards.stored == [good])
        #expect(harness.publisher.records.isEmpty)
        #expect(try harness.counter("drainpipe_sink_unstorable_summaries_total") == 2)
        #expect(harness.log.events.last == .commit(harness.expectedCommits(poll)))
    }

    @Test("the retry-sink backs off with the seeded jitter until the write succeeds, then commits")
    func retrySinkBacksOff() async throws {
        let harness = try Harness(mode: .retry)
        harness.shards.route(["a": 0])
        let day = DaySchema(containing: Self.today)
        for _ in 0..<6 { harness.shards.fail(shard: 0, day: day, with: .connectionLost(reason: "eof")) }
        let poll = harness.messages([harness.summary(owner: "a", at: Self.today)])
        harness.consumer.enqueue(poll)

        #expect(try await harness.pollOnce())

        var expected = RetryBackoff(first: harness.settings.retryDelay, maximum: harness.settings.maximumRetryDelay)
        var random = SplitMix64(seed: Harness.seed)
        #expect(harness.clock.sleeps == (0..<6).map { _ in expected.nextDelay(using: &random) })
        #expect(harness.shards.attempts == 7)
        #expect(harness.publisher.records.isEmpty)
        #expect(harness.log.events.last == .commit(harness.expectedCommits(poll)))
        #expect(try harness.counter("drainpipe_sink_write_failures_total") == 6)
    }

    @Test("the retry-sink commits nothing when it is stopped before the write succeeded")
    func retrySinkStopsWithoutCommit() async throws {
        let harness = try Harness(mode: .retry)
        harness.shards.route(["a": 0])
        harness.shards.failForever(with: .connectFailed(host: "h", reason: "r"))
        harness.consumer.enqueue(harness.messages([harness.summary(owner: "a", at: Self.today)]))

        let run = Task { try await harness.pollOnce() }
        while harness.shards.attempts < 3 { await Task.yield() }
        run.cancel()
        #expect(try await run.value == false)
        #expect(harness.consumer.commits.isEmpty)
        #expect(harness.publisher.records.isEmpty)
    }
}

/// A sink over in-memory parts: a scripted consumer, shards that fail on demand, a publisher, a clock whose
/// sleeps return at once, and a log of what happened in which order.
private struct Harness {
    static let seed: UInt64 = 42

    let settings: SinkSettings
    let topics: TopicCatalog
    let kafka = KafkaConnection(bootstrapServers: "127.0.0.1:1", prefix: "t-")
    let log = EventLog()
    let consumer: ScriptedConsumer
    let shards: ScriptedShards
    let publisher: LoggingPublisher
    let clock = ImmediateClock()
    let metrics = TestMetrics()
    let sink: SinkLoop<ImmediateClock>
    let worker = BlockingWorker(label: "summary-sink-test")

    init(mode: SinkMode) throws {
        topics = try TopicCatalogTests.repositoryCatalog()
        settings = .postgres(
            mode: mode, topics: topics, kafka: kafka, assignment: try WorkerAssignment(workerIndex: 0, workerCount: 1),
            retryDelay: .milliseconds(100), maximumRetryDelay: .milliseconds(800))
        consumer = ScriptedConsumer(log: log)
        shards = ScriptedShards(log: log)
        publisher = LoggingPublisher(log: log)
        var logger = Logger(label: "summary-sink-test")
        logger.logLevel = .critical
        sink = SinkLoop(
            settings: settings, destination: PostgresSummaryDestination(database: shards), publisher: publisher,
            clock: clock,
            random: SplitMix64(seed: Self.seed), metrics: metrics, logger: logger)
    }

    func pollOnce() async throws -> Bool {
        var positions: [TopicPartition: Int64] = [:]
        return try await sink.pollOnce(from: consumer, on: worker, positions: &positions)
    }

    private static let versions = Mutex<Int64>(0)

    /// A one-minute load summary of `owner`, each with a new version.
    func summary(owner: String, at window: EventTime) -> Summary {
        let version = Self.versions.withLock { version in
            version += 1
            return version
        }
        return Summary(
            key: SeriesKey(
                type: .dynoLoad, owner: owner, processType: "web", metric: "load_avg", windowStart: window,
                periodSeconds: 60),
            version: version, fields: ["load_avg_1m": FieldStatistics(value: 1)])
    }

    /// The summaries as messages of the summary topic's partitions 0 and 1, offsets counting up from 10.
    func messages(_ summaries: [Summary]) -> [KafkaMessage] {
        let topic = kafka.topicName(topics.topic(.summary, for: .dynoLoad).name)
        return summaries.enumerated().map { index, summary in
            KafkaMessage(
                topic: topic, partition: Int32(index % 2), offset: Int64(10 + index), key: nil,
                value: summary.wireBytes, timestamp: nil)
        }
    }

    /// The commit that covers `poll`: each partition's last offset plus one.
    func expectedCommits(_ poll: [KafkaMessage]) -> [TopicPartition: Int64] {
        var commits: [TopicPartition: Int64] = [:]
        for message in poll {
            commits[message.topicPartition] = max(commits[message.topicPartition] ?? 0, message.offset + 1)
        }
        return commits
    }

    func counter(_ label: String) throws -> Int64 {
        try metrics.expectCounter(label, [("sink", "postgres"), ("mode", settings.mode.rawValue)]).totalValue
    }
}

/// What the parts around the sink saw, in order.
private enum Event: Equatable {
    case written(shard: Int, count: Int)
    case published(Int)
    case commit([TopicPartition: Int64])
}

private final class EventLog: Sendable {
    private let recorded = Mutex<[Event]>([])

    var events: [Event] { recorded.withLock { $0 } }

    func append(_ event: Event) {
        recorded.withLock { $0.append(event) }
    }
}

/// Hands out queued polls, then nothing; records commits.
private final class ScriptedConsumer: PartitionConsumer {
    private let state = Mutex<(polls: [[KafkaMessage]], commits: [[TopicPartition: CommittedOffset]])>(([], []))
    private let log: EventLog

    init(log: EventLog) {
        self.log = log
    }

    var commits: [[TopicPartition: CommittedOffset]] { state.withLock { $0.commits } }

    func enqueue(_ poll: [KafkaMessage]) {
        state.withLock { $0.polls.append(poll) }
    }

    func poll(maxMessages: Int, timeout: Duration) throws(KafkaError) -> [KafkaMessage] {
        state.withLock { $0.polls.isEmpty ? [] : $0.polls.removeFirst() }
    }

    func commit(_ offsets: [TopicPartition: CommittedOffset]) throws(KafkaError) {
        state.withLock { $0.commits.append(offsets) }
        log.append(.commit(offsets.mapValues(\.offset)))
    }

    func committedOffsets(
        for partitions: [TopicPartition], timeout: Duration
    ) throws(KafkaError) -> [TopicPartition: CommittedOffset] { [:] }
    func watermarks(for partition: TopicPartition, timeout: Duration) throws(KafkaError) -> (low: Int64, high: Int64) {
        (0, 0)
    }
    func cachedWatermarks(for partition: TopicPartition) -> (low: Int64, high: Int64)? { nil }
    func assign(_ starts: [TopicPartition: StartOffset]) throws(KafkaError) {}
}

/// Shards by a fixed owner table, one session each, that validate summaries as the table writer does and fail
/// the transactions they are told to.
private final class ScriptedShards: SummaryShardWriter {
    private struct State {
        var routes: [String: Int] = [:]
        var failures: [Int: [DaySchema: [PostgresError]]] = [:]
        var permanentFailure: PostgresError?
        var stored: [Summary] = []
        var attempts = 0
    }

    private let state = Mutex(State())
    private let log: EventLog

    init(log: EventLog) {
        self.log = log
    }

    var stored: [Summary] { state.withLock { $0.stored } }
    var attempts: Int { state.withLock { $0.attempts } }

    func route(_ routes: [String: Int]) {
        state.withLock { $0.routes = routes }
    }

    /// Fails the next transaction of `day` on `shard` with `error`.
    func fail(shard: Int, day: DaySchema, with error: PostgresError) {
        state.withLock { $0.failures[shard, default: [:]][day, default: []].append(error) }
    }

    func failForever(with error: PostgresError) {
        state.withLock { $0.permanentFailure = error }
    }

    func shard(forOwner owner: String) -> Int {
        state.withLock { $0.routes[owner] ?? 0 }
    }

    func session(forOwner owner: String) -> Int { 0 }

    func write(_ summaries: [Summary], toShard shard: Int, session: Int) async throws(PostgresError) -> Int {
        for summary in summaries { try SummaryTableLayout.validate(summary) }
        let day = DaySchema(containing: summaries[0].key.windowStart)
        #expect(summaries.allSatisfy { DaySchema(containing: $0.key.windowStart) == day }, "one day per transaction")
        let failure = state.withLock { state -> PostgresError? in
            state.attempts += 1
            if let permanent = state.permanentFailure { return permanent }
            guard var queued = state.failures[shard]?[day], !queued.isEmpty else {
                state.stored += summaries
                return nil
            }
            let failure = queued.removeFirst()
            state.failures[shard]?[day] = queued
            return failure
        }
        if let failure { throw failure }
        log.append(.written(shard: shard, count: summaries.count))
        return summaries.count
    }
}

private final class LoggingPublisher: RecordPublisher {
    private let state = Mutex<(records: [KafkaRecord], failure: KafkaError?)>(([], nil))
    private let log: EventLog

    init(log: EventLog) {
        self.log = log
    }

    var records: [KafkaRecord] { state.withLock { $0.records } }

    func failSends(with error: KafkaError) {
        state.withLock { $0.failure = error }
    }

    func send(_ records: [KafkaRecord]) async throws(KafkaError) {
        if let failure = state.withLock({ $0.failure }) { throw failure }
        state.withLock { $0.records += records }
        log.append(.published(records.count))
    }
}

/// A clock whose sleeps return at once, moving its time to their deadline, and that records every sleep.
private final class ImmediateClock: Clock {
    private let state = Mutex<(now: Instant, sleeps: [Duration])>((Instant(offset: .zero), []))

    struct Instant: InstantProtocol {
        var offset: Duration

        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .nanoseconds(1) }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        state.withLock { state in
            state.sleeps.append(state.now.duration(to: deadline))
            state.now = max(state.now, deadline)
        }
    }
}
