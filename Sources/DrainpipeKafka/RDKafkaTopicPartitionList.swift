// RDKafkaTopicPartitionList — the one owner of an `rd_kafka_topic_partition_list_t`.
//
// Invariants:
// - The list is created in `init` and destroyed in `deinit`; it is lent only through `withUnsafeList`.
// - Commit metadata is copied into `malloc`ed memory owned by the list element; librdkafka frees it with the list.
// - `elements` copies topic names, offsets, metadata and error codes into Swift values.
// - Not Sendable: a list lives inside one call on one thread.
internal import CRdKafka

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One element of a topic-partition list, copied out.
struct RDKafkaTopicPartitionElement {
    var topicPartition: TopicPartition
    var offset: Int64
    var metadata: String
    /// nil when the element carries no error.
    var error: KafkaErrorCode?
}

/// Owns one librdkafka topic-partition list; see the file comment for invariants.
final class RDKafkaTopicPartitionList {
    private let list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(capacity: Int) {
        list = rd_kafka_topic_partition_list_new(Int32(clamping: max(capacity, 1)))
    }

    deinit {
        rd_kafka_topic_partition_list_destroy(list)
    }

    /// Appends an element with an offset and optional commit metadata (copied).
    func add(_ topicPartition: TopicPartition, offset: Int64, metadata: String? = nil) {
        let element = rd_kafka_topic_partition_list_add(list, topicPartition.topic, topicPartition.partition)!
        element.pointee.offset = offset
        guard let metadata, !metadata.isEmpty else { return }
        let bytes = Array(metadata.utf8)
        guard let copy = malloc(bytes.count) else { return }
        bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        element.pointee.metadata = copy
        element.pointee.metadata_size = bytes.count
    }

    /// The elements as Swift values.
    var elements: [RDKafkaTopicPartitionElement] {
        (0..<Int(list.pointee.cnt)).map { index in
            let element = list.pointee.elems[index]
            let metadata: String
            if let pointer = element.metadata, element.metadata_size > 0 {
                metadata = String(
                    decoding: UnsafeRawBufferPointer(start: pointer, count: element.metadata_size), as: UTF8.self
                )
            } else {
                metadata = ""
            }
            return RDKafkaTopicPartitionElement(
                topicPartition: TopicPartition(topic: String(cString: element.topic), partition: element.partition),
                offset: element.offset,
                metadata: metadata,
                error: element.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaErrorCode(element.err)
            )
        }
    }

    /// Lends the raw list to `body`, which must not keep it.
    func withUnsafeList<Result>(
        _ body: (UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> Result
    ) -> Result {
        body(list)
    }
}
