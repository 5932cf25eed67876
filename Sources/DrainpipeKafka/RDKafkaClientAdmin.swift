// RDKafkaClientAdmin — cluster metadata and the Admin API (CreateTopics, DescribeConfigs).
//
// Invariants:
// - Metadata, NewTopic, ConfigResource, AdminOptions, result queues and result events are all freed in `defer`
//   blocks placed right after creation; results are copied into Swift values before the event is destroyed.
// - Each call blocks the calling thread for at most its timeout plus one second (the result-queue margin).
// - librdkafka's mock cluster implements neither CreateTopics nor DescribeConfigs; against it these calls fail
//   with a `KafkaError` rather than hang.
internal import CRdKafka

extension RDKafkaClient {
    /// Partition counts from one metadata request for all topics (`rd_kafka_metadata`), optionally filtered.
    ///
    /// Topics the broker reports with an error and no partitions (e.g. unknown) are absent from the result.
    func partitionCounts(topics: [String]?, timeout: Duration) throws(KafkaError) -> [String: Int] {
        var metadata: UnsafePointer<rd_kafka_metadata_t>?
        let code = withUnsafeHandle { rd_kafka_metadata($0, 1, nil, &metadata, timeout.rdKafkaMilliseconds) }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw .requestFailed(operation: "fetch metadata", code: KafkaErrorCode(code))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let wanted = topics.map(Set.init)
        var counts: [String: Int] = [:]
        for index in 0..<Int(metadata.pointee.topic_cnt) {
            let topic = metadata.pointee.topics[index]
            let name = String(cString: topic.topic)
            guard wanted?.contains(name) ?? true else { continue }
            if topic.err != RD_KAFKA_RESP_ERR_NO_ERROR && topic.partition_cnt == 0 { continue }
            counts[name] = Int(topic.partition_cnt)
        }
        return counts
    }

    /// The brokers of the cluster from one metadata request for the locally known topics only (cheap); throws when
    /// no broker answered within `timeout`.
    func brokerCount(timeout: Duration) throws(KafkaError) -> Int {
        var metadata: UnsafePointer<rd_kafka_metadata_t>?
        let code = withUnsafeHandle { rd_kafka_metadata($0, 0, nil, &metadata, timeout.rdKafkaMilliseconds) }
        guard code == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw .requestFailed(operation: "fetch metadata", code: KafkaErrorCode(code))
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        return Int(metadata.pointee.broker_cnt)
    }

    /// Creates topics (`rd_kafka_CreateTopics`); a topic that already exists is reported, not thrown.
    func createTopics(
        _ specifications: [TopicSpecification], timeout: Duration
    ) throws(KafkaError) -> [String: KafkaAdmin.TopicCreation] {
        guard !specifications.isEmpty else { return [:] }
        var newTopics: [OpaquePointer?] = []
        defer { rd_kafka_NewTopic_destroy_array(&newTopics, newTopics.count) }
        for specification in specifications {
            var errorText = [CChar](repeating: 0, count: 512)
            guard
                let newTopic = rd_kafka_NewTopic_new(
                    specification.name, Int32(clamping: specification.partitions),
                    Int32(clamping: specification.replicationFactor), &errorText, errorText.count
                )
            else {
                throw .invalidConfiguration(property: "topic \(specification.name)", reason: Self.string(errorText))
            }
            newTopics.append(newTopic)
            for (name, value) in specification.configs.sorted(by: { $0.key < $1.key }) {
                let code = rd_kafka_NewTopic_set_config(newTopic, name, value)
                guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw .topicOperationFailed(
                        topic: specification.name, operation: "set config \(name)", code: KafkaErrorCode(code)
                    )
                }
            }
        }
        let topicResults = try adminRequest(
            operation: "create topics", kind: RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout: timeout,
            start: { handle, options, queue in
                rd_kafka_CreateTopics(handle, &newTopics, newTopics.count, options, queue)
            },
            read: { event -> [(String, rd_kafka_resp_err_t)] in
                var count = 0
                guard
                    let results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count)
                else { return [] }
                return (0..<count).compactMap { index in
                    results[index].map { result in
                        (String(cString: rd_kafka_topic_result_name(result)), rd_kafka_topic_result_error(result))
                    }
                }
            }
        )
        var outcomes: [String: KafkaAdmin.TopicCreation] = [:]
        for (name, code) in topicResults {
            switch code {
            case RD_KAFKA_RESP_ERR_NO_ERROR: outcomes[name] = .created
            case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: outcomes[name] = .alreadyExists
            default: throw .topicOperationFailed(topic: name, operation: "create", code: KafkaErrorCode(code))
            }
        }
        return outcomes
    }

    /// Each topic's `cleanup.policy` (`rd_kafka_DescribeConfigs`); topics that lack the entry are absent.
    func cleanupPolicies(topics: [String], timeout: Duration) throws(KafkaError) -> [String: String] {
        guard !topics.isEmpty else { return [:] }
        var resources: [OpaquePointer?] = topics.map { rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, $0) }
        defer { rd_kafka_ConfigResource_destroy_array(&resources, resources.count) }
        let described = try adminRequest(
            operation: "describe topic configs", kind: RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout: timeout,
            start: { handle, options, queue in
                rd_kafka_DescribeConfigs(handle, &resources, resources.count, options, queue)
            },
            read: { event -> [(String, rd_kafka_resp_err_t, String?)] in
                var count = 0
                guard
                    let results = rd_kafka_DescribeConfigs_result_resources(
                        rd_kafka_event_DescribeConfigs_result(event), &count
                    )
                else { return [] }
                return (0..<count).compactMap { index -> (String, rd_kafka_resp_err_t, String?)? in
                    guard let resource = results[index] else { return nil }
                    let name = String(cString: rd_kafka_ConfigResource_name(resource))
                    var entryCount = 0
                    let entries = rd_kafka_ConfigResource_configs(resource, &entryCount)
                    let policy = (0..<entryCount).lazy.compactMap { entries?[$0] }
                        .first { String(cString: rd_kafka_ConfigEntry_name($0)) == "cleanup.policy" }
                        .flatMap { rd_kafka_ConfigEntry_value($0).map { String(cString: $0) } }
                    return (name, rd_kafka_ConfigResource_error(resource), policy)
                }
            }
        )
        var policies: [String: String] = [:]
        for (name, code, policy) in described {
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw .topicOperationFailed(topic: name, operation: "describe configs", code: KafkaErrorCode(code))
            }
            policies[name] = policy
        }
        return policies
    }

    /// Runs one Admin API request on a private result queue and copies its result with `read`.
    private func adminRequest<Result>(
        operation: String, kind: rd_kafka_admin_op_t, timeout: Duration,
        start: (OpaquePointer, OpaquePointer, OpaquePointer) -> Void,
        read: (OpaquePointer) -> Result
    ) throws(KafkaError) -> Result {
        try withUnsafeHandle { (handle) throws(KafkaError) -> Result in
            guard let options = rd_kafka_AdminOptions_new(handle, kind), let queue = rd_kafka_queue_new(handle) else {
                throw .clientCreationFailed(reason: "librdkafka could not allocate an admin request")
            }
            defer {
                rd_kafka_AdminOptions_destroy(options)
                rd_kafka_queue_destroy(queue)
            }
            var errorText = [CChar](repeating: 0, count: 512)
            _ = rd_kafka_AdminOptions_set_request_timeout(
                options, timeout.rdKafkaMilliseconds, &errorText, errorText.count)
            _ = rd_kafka_AdminOptions_set_operation_timeout(
                options, timeout.rdKafkaMilliseconds, &errorText, errorText.count
            )
            start(handle, options, queue)
            guard let event = rd_kafka_queue_poll(queue, (timeout + .seconds(1)).rdKafkaMilliseconds) else {
                throw .requestFailed(operation: operation, code: KafkaErrorCode(RD_KAFKA_RESP_ERR__TIMED_OUT))
            }
            defer { rd_kafka_event_destroy(event) }
            let code = rd_kafka_event_error(event)
            guard code == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw .requestFailed(operation: operation, code: KafkaErrorCode(code))
            }
            return read(event)
        }
    }
}
