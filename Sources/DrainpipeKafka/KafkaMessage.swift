import DrainpipeCore

/// A consumed message, copied out of librdkafka's buffers.
package struct KafkaMessage: Sendable, Hashable {
    /// Full topic name, `KAFKA_PREFIX` included.
    package var topic: String
    /// The partition it was read from.
    package var partition: Int32
    /// Its offset in the partition; commit `offset + 1` once it is processed.
    package var offset: Int64
    /// nil when the message has no key.
    package var key: [UInt8]?
    /// The payload; a null value (tombstone) reads as an empty array.
    package var value: [UInt8]
    /// The broker-reported timestamp (CreateTime or LogAppendTime) in millisecond precision, nil if absent.
    package var timestamp: EventTime?

    /// A message from its parts (the consumer and tests build these).
    package init(
        topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], timestamp: EventTime?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }

    /// Topic and partition together.
    package var topicPartition: TopicPartition { TopicPartition(topic: topic, partition: partition) }
}
