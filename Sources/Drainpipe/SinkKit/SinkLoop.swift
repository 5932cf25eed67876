import DrainpipeCore
import DrainpipeKafka
import DrainpipeWire
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// A sink's decisions, apart from where messages come from and where summaries go: how much one poll collects,
/// what a failed write leads to (the retry topic, or back-off with ``RetryBackoff``), and when offsets are
/// committed.
///
/// Offsets of a poll are committed only after every summary in it is written (and flushed) by the destination,
/// acknowledged on the sink's retry topic, or set aside as unstorable. Time and randomness come from outside, so
/// tests drive every decision without a broker, a store or a real wait.
package final class SinkLoop<SinkClock: Clock>: Sendable where SinkClock.Duration == Duration {
    private let settings: SinkSettings
    private let destination: any SummaryDestination
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
        settings: SinkSettings, destination: any SummaryDestination, publisher: any RecordPublisher,
        clock: SinkClock, random: SplitMix64, metrics: any MetricsFactory, logger: Logger
    ) {
        self.settings = settings
        self.destination = destination
        self.publisher = publisher
        self.clock = clock
        self.random = Mutex(random)
        self.logger = logger
        let labels = settings.metricDimensions
        written = Counter(label: "drainpipe_sink_summaries_written_total", dimensions: labels, factory: metrics)
        sentToRetry = Counter(
            label: "drainpipe_sink_summaries_sent_to_retry_total", dimensions: labels, factory: metrics)
        unstorable = Counter(label: "drainpipe_sink_unstorable_summaries_total", dimensions: labels, factory: metrics)
        writeFailures = Counter(label: "drainpipe_sink_write_failures_total", dimensions: labels, factory: metrics)
    }

    /// Polls `consumer` once (on `worker`) and, when messages came, persists them and then commits their offsets.
    ///
    /// - Parameter positions: the next offset to read of each partition, as committed; advanced by the commit.
    /// - Returns: false when the retry loop was asked to stop before it wrote everything: nothing is committed then.
    package func pollOnce(
        from consumer: any PartitionConsumer, on worker: BlockingWorker, positions: inout [TopicPartition: Int64]
    ) async throws -> Bool {
        let messages = try await collect(from: consumer, on: worker)
        guard !messages.isEmpty else { return true }
        guard try await persist(messages) else { return false }
        try await destination.flush()
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

    /// One batch: up to `pollLimit` messages, waiting up to 200 ms for the first; with a `batchWait`, polls go on
    /// until the batch is full or that long has passed since the first message.
    private func collect(
        from consumer: any PartitionConsumer, on worker: BlockingWorker
    ) async throws
        -> [KafkaMessage]
    {
        let limit = settings.pollLimit
        var messages = try await worker.run { try consumer.poll(maxMessages: limit, timeout: .milliseconds(200)) }
        guard !messages.isEmpty, settings.batchWait > .zero else { return messages }
        let deadline = clock.now.advanced(by: settings.batchWait)
        while messages.count < limit, !Task.isShuttingDownGracefully, !Task.isCancelled {
            let remaining = clock.now.duration(to: deadline)
            guard remaining > .zero else { break }
            let wanted = limit - messages.count
            let wait = min(remaining, .milliseconds(200))
            messages += try await worker.run { try consumer.poll(maxMessages: wanted, timeout: wait) }
        }
        return messages
    }

    /// A decoded summary and the message it came in.
    private struct Entry: Sendable {
        var summary: Summary
        var message: KafkaMessage
    }

    /// Writes every decodable summary of the poll; the primary loop hands what could not be written to the sink's
    /// retry topics, the retry loop tries again with back-off. Returns false only when the retry loop was asked to
    /// stop before everything was written.
    private func persist(_ messages: [KafkaMessage]) async throws -> Bool {
        var pending: [Entry] = []
        for message in messages {
            do {
                pending.append(Entry(summary: try Summary(wireBytes: message.value), message: message))
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
        var backoff = RetryBackoff(first: settings.retryDelay, maximum: settings.maximumRetryDelay)
        while !pending.isEmpty {
            let report = await destination.write(pending.map(\.summary))
            account(for: report, of: pending.count)
            let retryable = report.retryable.map { pending[$0] }
            guard !retryable.isEmpty else { return true }
            if settings.mode == .primary {
                try await handToRetry(retryable)
                return true
            }
            // Stopping: everything stays uncommitted and is read again after the restart.
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return false }
            let delay = random.withLock { backoff.nextDelay(using: &$0) }
            try? await cancelWhenGracefulShutdown { [clock] in try await clock.sleep(for: delay) }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return false }
            pending = retryable
        }
        return true
    }

    /// Counts and logs what one write did.
    private func account(for report: SinkWriteReport, of attempted: Int) {
        written.increment(by: attempted - report.retryable.count - report.unstorable.count)
        if !report.unstorable.isEmpty { unstorable.increment(by: report.unstorable.count) }
        for failure in report.failures {
            if failure.isUnstorable {
                // A summary no store can hold would fail every attempt: it is set aside (logged and counted)
                // and the rest written, rather than block the partition forever.
                logger.error("skipping summaries that can never be stored", metadata: failure.metadata)
            } else {
                writeFailures.increment()
                logger.warning("writing a batch failed", metadata: failure.metadata)
            }
        }
    }

    /// Produces the summaries, unchanged, to the sink's retry topics and waits for Kafka's acknowledgement.
    private func handToRetry(_ entries: [Entry]) async throws {
        let records = entries.map { entry in
            settings.retryTopic(for: entry.summary.key.type).record(
                owner: entry.summary.key.owner, processType: entry.summary.key.processType, key: entry.message.key,
                value: entry.message.value, in: settings.kafka)
        }
        try await publisher.send(records)
        sentToRetry.increment(by: records.count)
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
