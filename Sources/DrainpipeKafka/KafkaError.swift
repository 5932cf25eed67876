/// A librdkafka error code as plain Swift values, so callers can classify failures without importing C.
package struct KafkaErrorCode: Sendable, Hashable, CustomStringConvertible {
    /// The numeric `rd_kafka_resp_err_t`.
    package var rawValue: Int32
    /// librdkafka's symbolic name without the `RD_KAFKA_RESP_ERR_` prefix, e.g. `_MSG_TIMED_OUT`.
    package var name: String
    /// librdkafka's human-readable explanation.
    package var reason: String
    /// Whether the same operation may succeed when tried again later (broker down, leader moving, timeouts).
    package var isTransient: Bool

    /// A code from its parts; the Kafka layer builds these from librdkafka codes.
    package init(rawValue: Int32, name: String, reason: String, isTransient: Bool) {
        self.rawValue = rawValue
        self.name = name
        self.reason = reason
        self.isTransient = isTransient
    }

    /// `NAME: reason`, e.g. `_MSG_TIMED_OUT: Local: Message timed out`.
    package var description: String { "\(name): \(reason)" }
}

/// Failures of the Kafka layer. Each description names the next thing to check and never contains payload bytes,
/// certificates or keys.
package enum KafkaError: Error, Sendable, CustomStringConvertible {
    /// librdkafka rejected a configuration property (the value is not repeated: it may be a key).
    case invalidConfiguration(property: String, reason: String)
    /// A librdkafka client or the embedded cluster could not be created.
    case clientCreationFailed(reason: String)
    /// A record named no concrete partition (negative), which this layer requires.
    case invalidPartition(topic: String, partition: Int32)
    /// librdkafka refused to enqueue a record (unknown topic, message too large, …).
    case produceFailed(topic: String, partition: Int32, code: KafkaErrorCode)
    /// The local producer queue stayed full for `waited`.
    case queueFull(topic: String, waited: Duration)
    /// A delivery report said the record was not written.
    case deliveryFailed(topic: String, partition: Int32, code: KafkaErrorCode)
    /// Fetching from a partition failed in a way that will not heal by itself.
    case consumeFailed(topic: String, partition: Int32, code: KafkaErrorCode)
    /// Committing offsets failed; `topic`/`partition` are set when one partition was to blame.
    case commitFailed(topic: String?, partition: Int32?, code: KafkaErrorCode)
    /// A cluster request (metadata, committed offsets, watermarks, assignment, admin call) failed as a whole.
    case requestFailed(operation: String, code: KafkaErrorCode)
    /// An admin operation failed for one topic.
    case topicOperationFailed(topic: String, operation: String, code: KafkaErrorCode)
    /// The client hit a fatal error (e.g. the idempotent producer lost its sequence) and cannot be used again.
    case fatal(code: KafkaErrorCode, reason: String)
    /// `flush` gave up with records still awaiting acknowledgement.
    case flushTimedOut(pendingMessages: Int)
    /// A sender stopped waiting for a batch's acknowledgements after `waited`; its records may still be written.
    case acknowledgementTimedOut(waited: Duration)
    /// The client was closed before or during the call.
    case closed

    /// Whether trying the same batch again later may succeed (the retry-sink's question).
    package var isRetryable: Bool {
        switch self {
        case .invalidConfiguration, .clientCreationFailed, .invalidPartition, .fatal:
            false
        case .queueFull, .flushTimedOut, .acknowledgementTimedOut, .closed:
            true
        case .produceFailed(_, _, let code), .deliveryFailed(_, _, let code), .consumeFailed(_, _, let code),
            .commitFailed(_, _, let code), .requestFailed(_, let code), .topicOperationFailed(_, _, let code):
            code.isTransient
        }
    }

    /// What happened and what to do next.
    package var description: String {
        switch self {
        case .invalidConfiguration(let property, let reason):
            return "librdkafka rejected the setting \(property) (\(reason)). Fix the Kafka configuration and restart."
        case .clientCreationFailed(let reason):
            return "Cannot create the Kafka client: \(reason). Check KAFKA_URL and the certificate variables."
        case .invalidPartition(let topic, let partition):
            return "Record for \(topic) names partition \(partition); every record needs an explicit partition >= 0. "
                + "This is a bug in the partitioner."
        case .produceFailed(let topic, let partition, let code):
            return "Could not enqueue a record for \(topic)[\(partition)]: \(code). "
                + (code.isTransient
                    ? "Retry later."
                    : "Check that the topic exists with enough partitions (drainpipe topics) and the record size.")
        case .queueFull(let topic, let waited):
            return "The producer queue stayed full for \(waited) while sending to \(topic): brokers are slow or "
                + "unreachable. Retry later; if it persists check broker health or raise the queue limits."
        case .deliveryFailed(let topic, let partition, let code):
            return "Kafka did not acknowledge a record for \(topic)[\(partition)]: \(code). "
                + (code.isTransient
                    ? "Retry later; check broker reachability if it repeats."
                    : "Check topic existence, ACLs and message size.")
        case .consumeFailed(let topic, let partition, let code):
            return "Cannot fetch from \(topic)[\(partition)]: \(code). "
                + "Check that the topic exists with this partition and that the credentials may read it."
        case .commitFailed(let topic, let partition, let code):
            let target = topic.map { " for \($0)[\(partition.map(String.init) ?? "?")]" } ?? ""
            return "Committing offsets\(target) failed: \(code). "
                + (code.isTransient ? "The commit will be retried." : "Check the group id (KAFKA_PREFIX) and ACLs.")
        case .requestFailed(let operation, let code):
            return "Kafka request '\(operation)' failed: \(code). "
                + (code.isTransient ? "Retry later; check broker reachability." : "Check KAFKA_URL, ACLs and topics.")
        case .topicOperationFailed(let topic, let operation, let code):
            return "Kafka \(operation) for topic \(topic) failed: \(code). Check the topic settings and ACLs."
        case .fatal(let code, let reason):
            return "The Kafka client hit a fatal error (\(code.name): \(reason)). Restart the process; "
                + "records not yet acknowledged will be produced again."
        case .flushTimedOut(let pending):
            return "\(pending) record(s) were still unacknowledged when the flush timed out; they may be lost "
                + "unless their source is replayed. Check broker reachability."
        case .acknowledgementTimedOut(let waited):
            return "Kafka did not acknowledge a batch within \(waited); its records may still be written. "
                + "Retry later; check broker reachability if it repeats."
        case .closed:
            return "The Kafka client is closed; this happens during shutdown and the work will be redone on restart."
        }
    }
}
