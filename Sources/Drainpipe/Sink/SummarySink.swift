import DrainpipeCore
import DrainpipeKafka
import DrainpipePostgres
import DrainpipeWire
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// Where the sinks write: summaries routed by owner to a shard and to one session of it.
///
/// `ShardedDatabase` in production; an in-memory recorder in unit tests.
package protocol SummaryShardWriter: Sendable {
    func shard(forOwner owner: String) -> Int
    /// The session, in the shard's sessions, that writes `owner`'s summaries.
    func session(forOwner owner: String) -> Int
    /// Writes summaries of `shard` on its session `session`, one transaction per UTC day.
    /// - Returns: the number of rows inserted or replaced.
    @discardableResult
    func write(_ summaries: [Summary], toShard shard: Int, session: Int) async throws(PostgresError) -> Int
}

extension ShardedDatabase: SummaryShardWriter {}

/// The sinks' decisions, apart from where messages come from and where summaries go: how a poll becomes
/// transactions (``SummaryBatch``), what a failure leads to (`PostgresError.Recovery`), how long the retry-sink
/// waits before trying again (``RetryBackoff``), and when offsets are committed.
///
/// Offsets of a poll are committed only after every summary in it is committed in Postgres, acknowledged on the
/// RETRY topic, or set aside as unstorable. Time and randomness come from outside, so tests drive every decision
/// without a broker, a database or a real wait.
package final class SummarySink<SinkClock: Clock>: Sendable where SinkClock.Duration == Duration {
    private let settings: SummarySinkService.Settings
    private let database: any SummaryShardWriter
    private let publisher: any RecordPublisher
    private let clock: SinkClock
    private let random: Mutex<SplitMix64>
    private let logger: Logger
    private let written: Counter
    private let sentToRetry: Counter
    private let unstorable: Counter
    private let writeFailures: Counter

    /// - Parameter random: the source of the back-off's jitter.
    package init(
        settings: SummarySinkService.Settings, database: any SummaryShardWriter, publisher: any RecordPublisher,
        clock: SinkClock, random: SplitMix64, metrics: any MetricsFactory, logger: Logger
    ) {
        self.settings = settings
        self.database = database
        self.publisher = publisher
        self.clock = clock
        self.random = Mutex(random)
        self.logger = logger
        let mode = [("mode", settings.mode.rawValue)]
        written = Counter(label: "drainpipe_sink_summaries_written_total", dimensions: mode, factory: metrics)
        sentToRetry = Counter(label: "drainpipe_sink_summaries_sent_to_retry_total", dimensions: mode, factory: metrics)
        unstorable = Counter(label: "drainpipe_sink_unstorable_summaries_total", dimensions: mode, factory: metrics)
        writeFailures = Counter(label: "drainpipe_sink_write_failures_total", dimensions: mode, factory: metrics)
    }

    /// Polls `consumer` once (on `worker`) and, when messages came, persists them and then commits their offsets.
    ///
    /// - Parameter positions: the next offset to read of each partition, as committed; advanced by the commit.
    /// - Returns: false when the retry-sink was asked to stop before it wrote everything: nothing is committed then.
    package func pollOnce(
        from consumer: any PartitionConsumer, on worker: BlockingWorker, positions: inout [TopicPartition: Int64]
    ) async throws -> Bool {
        let batchSize = settings.batchSize
        let messages = try await worker.run {
            try consumer.poll(maxMessages: batchSize * 4, timeout: .milliseconds(200))
        }
        guard !messages.isEmpty else { return true }
        guard try await persist(messages) else { return false }
        var commits: [TopicPartition: CommittedOffset] = [:]
        for message in messages {
            let next = message.offset + 1
            if next > (positions[message.topicPartition] ?? -1) {
                positions[message.topicPartition] = next
                commits[message.topicPartition] = CommittedOffset(offset: next)
            }
        }
        let toCommit = commits
        try await worker.run { try consumer.commit(toCommit) }
        return true
    }

    /// A decoded summary and the message it came in.
    private struct Entry: Sendable {
        var summary: Summary
        var message: KafkaMessage
    }

    /// Writes every decodable summary of the poll; the primary sink hands what it could not write to RETRY.
    /// Returns false only when the retry-sink was asked to stop before everything was written.
    ///
    /// Shards, and the sessions of a shard (owners spread over them), are written concurrently; each session writes
    /// its batches (one per UTC day) one after the other.
    private func persist(_ messages: [KafkaMessage]) async throws -> Bool {
        var entries: [Entry] = []
        for message in messages {
            do {
                entries.append(Entry(summary: try Summary(wireBytes: message.value), message: message))
            } catch {
                unstorable.increment()
                logger.error(
                    "skipping a summary that cannot be decoded",
                    metadata: [
                        "topic": "\(message.topic)", "partition": "\(message.partition)", "offset": "\(message.offset)",
                        "error": "\(error)",
                    ])
            }
        }
        let batches = SummaryBatch.split(entries, summary: \.summary) { [database] owner in
            ShardSession(shard: database.shard(forOwner: owner), session: database.session(forOwner: owner))
        }
        let failed: [Entry] = try await withThrowingTaskGroup(of: [Entry].self) { group in
            for sessionBatches in batches.values {
                group.addTask { try await self.writeSession(sessionBatches) }
            }
            var failed: [Entry] = []
            for try await sessionFailures in group { failed.append(contentsOf: sessionFailures) }
            return failed
        }
        if settings.mode == .retry { return failed.isEmpty }
        let records = failed.map { entry in
            settings.topics.topic(.retry, for: entry.summary.key.type).record(
                owner: entry.summary.key.owner, processType: entry.summary.key.processType, key: entry.message.key,
                value: entry.message.value, in: settings.kafka)
        }
        if !records.isEmpty {
            try await publisher.send(records)
            sentToRetry.increment(by: records.count)
        }
        return true
    }

    /// Writes one session's batches in day order; returns the summaries that were not written.
    ///
    /// A failed transaction wrote none of its summaries, so the primary sink returns all of them (but the
    /// unstorable ones) after one attempt; the retry-sink tries again with back-off until it succeeds or is asked
    /// to stop, and then returns everything.
    private func writeSession(_ batches: [SummaryBatch<Entry>]) async throws -> [Entry] {
        var failed: [Entry] = []
        for batch in batches {
            let unwritten = try await writeBatch(batch)
            if settings.mode == .retry, !unwritten.isEmpty {
                // Stopping: everything stays uncommitted and is read again after the restart.
                return batches.flatMap(\.items)
            }
            failed += unwritten
        }
        return failed
    }

    /// Writes one batch in one transaction, setting aside summaries no table can hold; returns the summaries left
    /// unwritten (primary: after one attempt; retry: only when stopping).
    private func writeBatch(_ batch: SummaryBatch<Entry>) async throws -> [Entry] {
        var entries = batch.items
        var backoff = RetryBackoff(first: settings.retryDelay, maximum: settings.maximumRetryDelay)
        while !entries.isEmpty {
            do throws(PostgresError) {
                try await database.write(
                    entries.map(\.summary), toShard: batch.target.shard, session: batch.target.session)
                written.increment(by: entries.count)
                return []
            } catch {
                if error.recovery == .unstorable {
                    // A summary no table can hold fails its whole batch on every attempt: set it aside (logged
                    // and counted) and write the rest, rather than block the partition forever.
                    let storable = entries.filter { (try? SummaryTableLayout.validate($0.summary)) != nil }
                    if storable.count < entries.count {
                        unstorable.increment(by: entries.count - storable.count)
                        logger.error(
                            "skipping summaries that can never be stored",
                            metadata: [
                                "shard": "\(batch.target.shard)", "summaries": "\(entries.count - storable.count)",
                                "error": "\(error)",
                            ])
                        entries = storable
                        continue
                    }
                }
                writeFailures.increment()
                logger.warning(
                    "writing a batch failed",
                    metadata: [
                        "shard": "\(batch.target.shard)", "summaries": "\(entries.count)", "error": "\(error)",
                    ])
                guard settings.mode == .retry, !Task.isShuttingDownGracefully, !Task.isCancelled else {
                    return entries
                }
                let delay = random.withLock { backoff.nextDelay(using: &$0) }
                try? await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(for: delay) }
            }
        }
        return []
    }
}

/// Exponential back-off with full jitter: the n-th wait is drawn uniformly from zero to the ceiling
/// `first · 2ⁿ⁻¹`, in whole milliseconds (at least one), the ceiling never rising above `maximum`.
package struct RetryBackoff: Sendable {
    package let first: Duration
    package let maximum: Duration
    /// The ceiling of the next wait.
    package private(set) var ceiling: Duration

    package init(first: Duration, maximum: Duration) {
        self.first = first
        self.maximum = max(first, maximum)
        ceiling = first
    }

    /// The next wait, drawn from `random`; doubles the ceiling for the one after.
    package mutating func nextDelay(using random: inout some RandomNumberGenerator) -> Duration {
        let milliseconds = Int64.random(in: 0...max(1, ceiling.wholeMicroseconds / 1000), using: &random)
        ceiling = min(ceiling * 2, maximum)
        return .milliseconds(milliseconds)
    }
}
