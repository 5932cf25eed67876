import DrainpipeCore

/// A record to produce. The partition is always chosen by the caller (Drainpipe's own partitioner).
package struct KafkaRecord: Sendable, Hashable {
    /// Full topic name, `KAFKA_PREFIX` included.
    package var topic: String
    /// Explicit partition, >= 0.
    package var partition: Int32
    /// nil produces a record without key; an empty array an empty key.
    package var key: [UInt8]?
    /// The payload; an empty array is an empty value, never a tombstone.
    package var value: [UInt8]
    /// CreateTime, sent with millisecond precision; nil lets librdkafka stamp the current time.
    package var timestamp: EventTime?

    /// A record from its parts.
    package init(topic: String, partition: Int32, key: [UInt8]? = nil, value: [UInt8], timestamp: EventTime? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.timestamp = timestamp
    }
}
