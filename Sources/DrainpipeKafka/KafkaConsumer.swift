import Logging
import Synchronization

/// A consumer with manual partition assignment (never subscribe, never rebalance) and explicit offset commits.
///
/// `groupID` only names where committed offsets are stored (`enable.auto.commit=false`,
/// `enable.auto.offset.store=false`). Every method blocks its thread for up to its timeout: run it on a dedicated
/// thread or serial executor, never on the cooperative pool. Logs and client errors are drained during `poll`.
package final class KafkaConsumer: Sendable {
    /// Fetch tunables (librdkafka consumer properties); they change how many messages one request brings, never
    /// which messages are delivered or committed.
    package struct Options: Sendable, Hashable {
        /// How long the broker may hold a fetch waiting for `fetchMinBytes` (`fetch.wait.max.ms`).
        package var fetchWaitMax: Duration
        /// Bytes the broker waits for before answering a fetch (`fetch.min.bytes`).
        package var fetchMinBytes: Int
        /// Most bytes one fetch returns per partition (`max.partition.fetch.bytes`).
        package var maxPartitionFetchBytes: Int
        /// Most bytes one fetch response holds over all partitions (`fetch.max.bytes`).
        package var fetchMaxBytes: Int
        /// Messages per partition librdkafka tries to keep prefetched (`queued.min.messages`).
        package var queuedMinMessages: Int
        /// Prefetched KiB across all partitions at most (`queued.max.messages.kbytes`).
        package var queuedMaxKilobytes: Int

        /// Options with the production defaults, overriding only what is given.
        ///
        /// They differ from librdkafka's in `queuedMinMessages` (1 000 000, not 100 000: a consumer that decodes each
        /// message drains it 2.3× faster in `drainpipe bench-aggregator`, see BENCHMARKS.md), `fetchWaitMax` (100 ms,
        /// not 500) and `maxPartitionFetchBytes` (4 MiB, not 1 MiB), the set with the best whole-aggregator runs.
        /// Prefetched memory stays bounded by `queuedMaxKilobytes`.
        package init(
            fetchWaitMax: Duration = .milliseconds(100), fetchMinBytes: Int = 1,
            maxPartitionFetchBytes: Int = 4_194_304, fetchMaxBytes: Int = 52_428_800,
            queuedMinMessages: Int = 1_000_000, queuedMaxKilobytes: Int = 65_536
        ) {
            self.fetchWaitMax = fetchWaitMax
            self.fetchMinBytes = fetchMinBytes
            self.maxPartitionFetchBytes = maxPartitionFetchBytes
            self.fetchMaxBytes = fetchMaxBytes
            self.queuedMinMessages = queuedMinMessages
            self.queuedMaxKilobytes = queuedMaxKilobytes
        }

        var properties: [String: String] {
            [
                "fetch.wait.max.ms": String(fetchWaitMax.rdKafkaMilliseconds),
                "fetch.min.bytes": String(fetchMinBytes),
                "max.partition.fetch.bytes": String(maxPartitionFetchBytes),
                "fetch.max.bytes": String(fetchMaxBytes),
                "queued.min.messages": String(queuedMinMessages),
                "queued.max.messages.kbytes": String(queuedMaxKilobytes),
            ]
        }
    }

    private let client: RDKafkaClient
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var isClosed = false
        /// A fetch error seen after messages were already collected; thrown by the next `poll`.
        var deferredFailure: KafkaError?
    }

    /// Creates the client; it fetches nothing until `assign`.
    ///
    /// A position that no longer exists (retention removed it) restarts at the oldest retained message
    /// (`auto.offset.reset=earliest`), since skipping ahead would silently drop data.
    package init(
        connection: KafkaConnection, groupID: String, clientID: String, options: Options = Options(), logger: Logger
    ) throws(KafkaError) {
        var properties = connection.clientProperties.merging(options.properties) { connection, _ in connection }
        properties["client.id"] = clientID
        properties["group.id"] = groupID
        properties["enable.auto.commit"] = "false"
        properties["enable.auto.offset.store"] = "false"
        properties["auto.offset.reset"] = "earliest"
        properties["enable.partition.eof"] = "false"
        client = try RDKafkaClient(kind: .consumer, properties: properties, deliveryReports: false, logger: logger)
        self.logger = logger
    }

    // MARK: - Offsets

    /// The group's committed offsets and metadata (`rd_kafka_committed`); partitions never committed are absent.
    package func committedOffsets(
        for partitions: [TopicPartition], timeout: Duration
    ) throws(KafkaError) -> [TopicPartition: CommittedOffset] {
        try checkOpen()
        return try client.committed(partitions, timeout: timeout)
    }

    /// Commits offsets with their metadata and waits for the group coordinator to confirm.
    ///
    /// `offset` is the next offset to read (last processed + 1), as `committedOffsets` returns it.
    package func commit(_ offsets: [TopicPartition: CommittedOffset]) throws(KafkaError) {
        try checkOpen()
        try client.commit(offsets)
    }

    /// Low (oldest retained) and high (next to be written) offsets of a partition, asked from its leader.
    package func watermarks(
        for partition: TopicPartition, timeout: Duration
    ) throws(KafkaError) -> (low: Int64, high: Int64) {
        try checkOpen()
        return try client.watermarks(for: partition, timeout: timeout)
    }

    /// The watermarks seen by the last fetch of a partition, without asking the broker; nil before any fetch.
    ///
    /// For lag and backlog reporting, which must not block when the broker is slow or gone.
    package func cachedWatermarks(for partition: TopicPartition) -> (low: Int64, high: Int64)? {
        guard (try? checkOpen()) != nil else { return nil }
        return client.cachedWatermarks(for: partition)
    }

    // MARK: - Consuming

    /// Partition count of each topic (`rd_kafka_metadata`); all topics when nil, unknown topics absent.
    ///
    /// Use it before `assign` to pick this worker's partitions and to catch a topic with too few partitions.
    package func partitionCounts(topics: [String]?, timeout: Duration) throws(KafkaError) -> [String: Int] {
        try checkOpen()
        return try client.partitionCounts(topics: topics, timeout: timeout)
    }

    /// Replaces the whole assignment; an empty map stops fetching everything.
    ///
    /// librdkafka 2.0.2 reports nothing for a partition the topic does not have: it just never delivers messages,
    /// so check `partitionCounts` first.
    package func assign(_ starts: [TopicPartition: StartOffset]) throws(KafkaError) {
        try checkOpen()
        try client.assign(starts)
    }

    /// Returns up to `maxMessages` messages, waiting at most `timeout` for the first; empty when none arrived.
    ///
    /// Transient fetch errors (broker down, leader moving) are logged and retried by librdkafka. A permanent one
    /// (unknown topic or partition, authorization) is thrown, after any messages already collected were returned.
    package func poll(maxMessages: Int, timeout: Duration) throws(KafkaError) -> [KafkaMessage] {
        try checkOpen()
        let deferred = state.withLock { state in
            defer { state.deferredFailure = nil }
            return state.deferredFailure
        }
        if let deferred { throw deferred }
        client.pollEvents(timeout: .zero) { _ in }
        var messages: [KafkaMessage] = []
        var failure: KafkaError?
        var wait = timeout
        while messages.count < maxMessages {
            let results = client.consumerPoll(maxMessages: maxMessages - messages.count, timeout: wait)
            if results.isEmpty { break }
            for result in results {
                switch result {
                case .message(let message):
                    messages.append(message)
                case .partitionEnd:
                    continue
                case .error(let topicPartition, let code):
                    guard let topicPartition, !code.isTransient else {
                        logger.log(
                            level: code.isTransient ? .warning : .error, "Kafka consumer error",
                            metadata: ["code": "\(code.name)", "reason": "\(code.reason)"]
                        )
                        continue
                    }
                    // Messages already taken from librdkafka's queue after the error are still returned.
                    failure =
                        failure
                        ?? .consumeFailed(
                            topic: topicPartition.topic, partition: topicPartition.partition, code: code)
                }
            }
            if failure != nil { break }
            if !messages.isEmpty { wait = .zero }
        }
        if let failure {
            guard messages.isEmpty else {
                state.withLock { $0.deferredFailure = failure }
                return messages
            }
            throw failure
        }
        return messages
    }

    /// Stops fetching and leaves the client unusable (`rd_kafka_consumer_close`); later calls throw `.closed`.
    /// Commits nothing. Blocks briefly. The handle itself is destroyed in `deinit`.
    package func close() {
        let wasClosed = state.withLock { state in
            defer { state.isClosed = true }
            return state.isClosed
        }
        guard !wasClosed else { return }
        if let code = client.closeConsumer() {
            logger.warning("Kafka consumer close reported an error", metadata: ["code": "\(code.name)"])
        }
        client.pollEvents(timeout: .zero) { _ in }
    }

    private func checkOpen() throws(KafkaError) {
        if state.withLock({ $0.isClosed }) { throw .closed }
    }
}
