import DrainpipeCore
import DrainpipeKafka

/// The partitions one worker reads and where it resumes each: the rule the aggregator and both sinks share.
///
/// Worker `i` of `n` owns partition `p` of every topic of its role when `p mod n == i` (`WorkerAssignment`). A
/// partition with a committed offset resumes there; one never committed is read from its beginning, so nothing
/// written before the first start is skipped.
package struct OwnedPartitions: Sendable, Hashable {
    /// Every owned partition, topic names with `KAFKA_PREFIX`, in topic then partition order.
    package let partitions: [TopicPartition]

    package init(
        role: TopicCatalog.Role, of types: [MeasurementType], in topics: TopicCatalog, kafka: KafkaConnection,
        assignment: WorkerAssignment
    ) {
        self.init(topics: types.map { topics.topic(role, for: $0) }, kafka: kafka, assignment: assignment)
    }

    /// The owned partitions of exactly these topics.
    package init(topics: [TopicCatalog.Topic], kafka: KafkaConnection, assignment: WorkerAssignment) {
        partitions = topics.flatMap { topic in
            assignment.partitions(of: topic.partitions).map {
                TopicPartition(topic: kafka.topicName(topic.name), partition: $0)
            }
        }
    }

    /// The committed offset a partition resumes from, nil when it starts from the beginning.
    package static func resumeOffset(_ committed: CommittedOffset?) -> Int64? {
        guard let committed, committed.offset >= 0 else { return nil }
        return committed.offset
    }

    /// Where the consumer starts reading each owned partition, given the group's committed offsets.
    package func startOffsets(committed: [TopicPartition: CommittedOffset]) -> [TopicPartition: StartOffset] {
        partitions.reduce(into: [:]) { starts, partition in
            starts[partition] = Self.resumeOffset(committed[partition]).map { .offset($0) } ?? .beginning
        }
    }
}
