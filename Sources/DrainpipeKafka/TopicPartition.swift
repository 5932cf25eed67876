/// One partition of one topic (full topic name, prefix included).
package struct TopicPartition: Sendable, Hashable, CustomStringConvertible {
    /// Full topic name, `KAFKA_PREFIX` included.
    package var topic: String
    /// Partition number, from 0.
    package var partition: Int32

    /// A partition of a topic.
    package init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// `topic[partition]`, for logs and errors.
    package var description: String { "\(topic)[\(partition)]" }
}

/// A consumer group's committed position in one partition.
package struct CommittedOffset: Sendable, Hashable {
    /// The offset of the next message to read (Kafka's convention: last processed + 1).
    package var offset: Int64
    /// Free text stored with the commit (Kafka limits its size; keep it well under 4 KiB).
    package var metadata: String

    /// A position to commit, with optional metadata.
    package init(offset: Int64, metadata: String = "") {
        self.offset = offset
        self.metadata = metadata
    }
}

/// Where a newly assigned partition starts reading.
package enum StartOffset: Sendable, Hashable {
    /// The oldest message still retained.
    case beginning
    /// Only messages produced after the assignment.
    case end
    /// This exact offset (typically a `CommittedOffset.offset`).
    case offset(Int64)
}
