import DrainpipeKafka

/// What the aggregator and the sinks need of a Kafka consumer with manual assignment.
///
/// `KafkaConsumer` in production. Every call but `cachedWatermarks` may block, so services make them from their
/// `BlockingWorker`; tests drive the services' decisions with an in-memory consumer instead.
package protocol PartitionConsumer: AnyObject, Sendable {
    /// The group's committed offsets and metadata; partitions never committed are absent.
    func committedOffsets(
        for partitions: [TopicPartition], timeout: Duration
    ) throws(KafkaError) -> [TopicPartition: CommittedOffset]
    /// Commits offsets (the next offset to read) with their metadata.
    func commit(_ offsets: [TopicPartition: CommittedOffset]) throws(KafkaError)
    /// Low and high watermarks of a partition, asked from its leader.
    func watermarks(for partition: TopicPartition, timeout: Duration) throws(KafkaError) -> (low: Int64, high: Int64)
    /// The watermarks seen by the last fetch, without blocking; nil before any fetch.
    func cachedWatermarks(for partition: TopicPartition) -> (low: Int64, high: Int64)?
    /// Assigns exactly these partitions, each starting where given.
    func assign(_ starts: [TopicPartition: StartOffset]) throws(KafkaError)
    /// Up to `maxMessages` messages, waiting at most `timeout` for the first.
    func poll(maxMessages: Int, timeout: Duration) throws(KafkaError) -> [KafkaMessage]
}

extension KafkaConsumer: PartitionConsumer {}
