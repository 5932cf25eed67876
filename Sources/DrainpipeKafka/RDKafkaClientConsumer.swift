// RDKafkaClientConsumer — consumer calls on an `RDKafkaClient` of kind `.consumer`.
//
// Invariants:
// - Manual assignment only: `rd_kafka_assign`, never subscribe, so no rebalance callback exists.
// - Each consumed `rd_kafka_message_t` is copied into a `KafkaMessage` and destroyed before the call returns; the
//   batch array handed to `rd_kafka_consume_batch_queue` is freed before it returns too.
// - Every call blocks the calling thread for at most its timeout (`commit` for at most the client's socket timeout).
internal import CRdKafka
import DrainpipeCore

/// One result of `consumerPoll`.
enum RDKafkaConsumerPollResult {
    case message(KafkaMessage)
    /// End of a partition reached (only with `enable.partition.eof`); not an error.
    case partitionEnd(TopicPartition)
    /// A fetch or consumer error; `topicPartition` is nil for client-wide errors.
    case error(TopicPartition?, KafkaErrorCode)
}

extension RDKafkaClient {
    /// Waits up to `timeout` for the first message or consumer error (`rd_kafka_consumer_poll`), then takes what is
    /// already queued without waiting (`rd_kafka_consume_batch_queue`), `maxMessages` results at most; empty on
    /// timeout.
    ///
    /// Each topic name is copied into a `String` once per call, not once per message.
    func consumerPoll(maxMessages: Int, timeout: Duration) -> [RDKafkaConsumerPollResult] {
        withUnsafeHandle { handle in
            guard maxMessages > 0, let first = rd_kafka_consumer_poll(handle, timeout.rdKafkaMilliseconds) else {
                return []
            }
            var topicNames: [OpaquePointer: String] = [:]
            var results = [Self.result(of: first, topicNames: &topicNames)]
            rd_kafka_message_destroy(first)
            let remaining = maxMessages - 1
            guard remaining > 0, let queue = rd_kafka_queue_get_consumer(handle) else { return results }
            defer { rd_kafka_queue_destroy(queue) }
            let batch = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: remaining)
            defer { batch.deallocate() }
            let count = rd_kafka_consume_batch_queue(queue, 0, batch, remaining)
            guard count > 0 else { return results }
            results.reserveCapacity(1 + count)
            for message in UnsafeBufferPointer(start: batch, count: count) {
                guard let message else { continue }
                results.append(Self.result(of: message, topicNames: &topicNames))
                rd_kafka_message_destroy(message)
            }
            return results
        }
    }

    /// Copies one consumed message or error into Swift values; the caller destroys `message`.
    private static func result(
        of message: UnsafeMutablePointer<rd_kafka_message_t>, topicNames: inout [OpaquePointer: String]
    ) -> RDKafkaConsumerPollResult {
        let fields = message.pointee
        let topic: String? = fields.rkt.map { rkt in
            if let name = topicNames[rkt] { return name }
            let name = topicName(rkt)
            topicNames[rkt] = name
            return name
        }
        let topicPartition = topic.map { TopicPartition(topic: $0, partition: fields.partition) }
        switch fields.err {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
            let milliseconds = rd_kafka_message_timestamp(message, &timestampType)
            return .message(
                KafkaMessage(
                    topic: topic ?? "",
                    partition: fields.partition,
                    offset: fields.offset,
                    key: fields.key.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.key_len)) },
                    value: fields.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: fields.len)) } ?? [],
                    timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || milliseconds < 0
                        ? nil : EventTime(millisecondsSinceEpoch: milliseconds)
                )
            )
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
            return topicPartition.map { .partitionEnd($0) } ?? .error(nil, KafkaErrorCode(fields.err))
        default:
            return .error(topicPartition, KafkaErrorCode(fields.err))
        }
    }

    /// Replaces the assignment (`rd_kafka_assign`); an empty map unassigns everything.
    func assign(_ starts: [TopicPartition: StartOffset]) throws(KafkaError) {
        let list = RDKafkaTopicPartitionList(capacity: starts.count)
        for (topicPartition, start) in starts.sorted(by: { $0.key.description < $1.key.description }) {
            let offset: Int64 =
                switch start {
                case .beginning: Int64(RD_KAFKA_OFFSET_BEGINNING)
                case .end: Int64(RD_KAFKA_OFFSET_END)
                case .offset(let offset): offset
                }
            list.add(topicPartition, offset: offset)
        }
        let code = withUnsafeHandle { handle in list.withUnsafeList { rd_kafka_assign(handle, $0) } }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .requestFailed(operation: "assign", code: KafkaErrorCode(code))
        }
    }

    /// The group's committed offsets (`rd_kafka_committed`); partitions without a commit are absent.
    func committed(
        _ partitions: [TopicPartition], timeout: Duration
    ) throws(KafkaError) -> [TopicPartition: CommittedOffset] {
        guard !partitions.isEmpty else { return [:] }
        let list = RDKafkaTopicPartitionList(capacity: partitions.count)
        for partition in partitions { list.add(partition, offset: Int64(RD_KAFKA_OFFSET_INVALID)) }
        let code = withUnsafeHandle { handle in
            list.withUnsafeList { rd_kafka_committed(handle, $0, timeout.rdKafkaMilliseconds) }
        }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .requestFailed(operation: "fetch committed offsets", code: KafkaErrorCode(code))
        }
        var offsets: [TopicPartition: CommittedOffset] = [:]
        for element in list.elements {
            if let error = element.error {
                throw .requestFailed(operation: "fetch committed offset of \(element.topicPartition)", code: error)
            }
            if element.offset >= 0 {
                offsets[element.topicPartition] = CommittedOffset(offset: element.offset, metadata: element.metadata)
            }
        }
        return offsets
    }

    /// Commits offsets with metadata and waits for the broker's answer (`rd_kafka_commit`, synchronous).
    func commit(_ offsets: [TopicPartition: CommittedOffset]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = RDKafkaTopicPartitionList(capacity: offsets.count)
        for (topicPartition, committed) in offsets {
            list.add(topicPartition, offset: committed.offset, metadata: committed.metadata)
        }
        let code = withUnsafeHandle { handle in list.withUnsafeList { rd_kafka_commit(handle, $0, 0) } }
        if let failed = list.elements.first(where: { $0.error != nil }), let error = failed.error {
            throw .commitFailed(
                topic: failed.topicPartition.topic, partition: failed.topicPartition.partition, code: error)
        }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .commitFailed(topic: nil, partition: nil, code: KafkaErrorCode(code))
        }
    }

    /// Low and high watermark of one partition, asking the leader (`rd_kafka_query_watermark_offsets`).
    func watermarks(for partition: TopicPartition, timeout: Duration) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0
        var high: Int64 = 0
        let code = withUnsafeHandle { handle in
            rd_kafka_query_watermark_offsets(
                handle, partition.topic, partition.partition, &low, &high, timeout.rdKafkaMilliseconds
            )
        }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw .requestFailed(operation: "query watermarks of \(partition)", code: KafkaErrorCode(code))
        }
        return (low, high)
    }

    /// The watermarks librdkafka last saw while fetching a partition (`rd_kafka_get_watermark_offsets`); never
    /// blocks. Nil until the partition has been fetched at least once.
    func cachedWatermarks(for partition: TopicPartition) -> (low: Int64, high: Int64)? {
        var low: Int64 = 0
        var high: Int64 = 0
        let code = withUnsafeHandle { handle in
            rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
        }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return (low, high)
    }

    /// Leaves the consumer group state and stops fetching (`rd_kafka_consumer_close`); blocks briefly.
    func closeConsumer() -> KafkaErrorCode? {
        let code = withUnsafeHandle { rd_kafka_consumer_close($0) }
        return code == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaErrorCode(code)
    }
}
