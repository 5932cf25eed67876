import DrainpipeCore
import DrainpipeKafka
import DrainpipeWire

/// The topics of `topics.yaml`, the single source of truth for names, partition counts and policies.
package struct TopicCatalog: Sendable, Hashable {
    /// What a topic carries.
    package enum Role: String, Sendable, Hashable, Codable {
        case raw, summary, retry
    }

    /// Which parts of a message the partitioner hashes.
    package enum PartitionKeyStrategy: String, Sendable, Hashable, Codable {
        case ownerProcessType = "owner_process_type"
        case owner

        /// The bytes to hash for a series.
        package func key(owner: String, processType: String) -> String {
            switch self {
            case .ownerProcessType: SeriesKey.partitionKey(owner: owner, processType: processType)
            case .owner: owner
            }
        }
    }

    /// One declared topic; `name` is without `KAFKA_PREFIX`.
    package struct Topic: Sendable, Hashable, Codable {
        package var name: String
        package var type: MeasurementType
        package var role: Role
        package var cleanupPolicy: String
        package var partitionKey: PartitionKeyStrategy
        package var partitions: Int
        package var replicationFactor: Int
        package var retentionMilliseconds: Int?
        /// For a retry topic, the sink whose failed writes it holds (`postgres` unless `topics.yaml` says `sink:`);
        /// nil for raw and summary topics.
        package var sink: String?

        /// The partition of a series in this topic: Kafka's default murmur2 partitioner over the partition key.
        package func partition(owner: String, processType: String) -> Int32 {
            Murmur2Partitioner.partition(
                forKey: Array(partitionKey.key(owner: owner, processType: processType).utf8),
                partitionCount: Int32(partitions))
        }

        /// A record of a series for this topic: its name with `KAFKA_PREFIX` and the series' partition.
        package func record(
            owner: String, processType: String, key: [UInt8]?, value: [UInt8], timestamp: EventTime? = nil,
            in kafka: KafkaConnection
        ) -> KafkaRecord {
            KafkaRecord(
                topic: kafka.topicName(name), partition: partition(owner: owner, processType: processType), key: key,
                value: value, timestamp: timestamp)
        }
    }

    package var topics: [Topic]

    package init(topics: [Topic]) {
        self.topics = topics
    }

    /// Parses the YAML text of a topics file.
    package init(yaml: String, source: String = "topics.yaml") throws(ConfigurationError) {
        let file = try ConfigurationFile.decode(TopicsFile.self, fromYAML: yaml, source: source)
        topics = file.topics.map { entry in
            Topic(
                name: entry.name, type: entry.type, role: entry.role, cleanupPolicy: entry.cleanupPolicy,
                partitionKey: entry.partitionKey ?? .ownerProcessType,
                partitions: entry.partitions ?? file.defaults.partitions,
                replicationFactor: entry.replicationFactor ?? file.defaults.replicationFactor,
                retentionMilliseconds: entry.role == .raw ? file.defaults.rawRetentionMs : nil,
                sink: entry.role == .retry ? entry.sink ?? Self.postgresSink : nil)
        }
        var problems: [ConfigurationError.Problem] = []
        for topic in topics where !(1...Int(Int32.max)).contains(topic.partitions) || topic.replicationFactor < 1 {
            problems.append(
                .invalid(
                    variable: source,
                    reason: "\(topic.name) needs at least one partition and a replication factor of at least 1"))
        }
        for type in MeasurementType.allCases {
            for role in [Role.raw, .summary, .retry]
            where !topics.contains(where: { $0.type == type && $0.role == role }) {
                problems.append(.invalid(variable: source, reason: "no \(role.rawValue) topic for \(type.rawValue)"))
            }
        }
        for sink in Set(topics.compactMap(\.sink)).sorted() {
            for type in MeasurementType.allCases
            where !topics.contains(where: { $0.type == type && $0.role == .retry && $0.sink == sink }) {
                problems.append(
                    .invalid(variable: source, reason: "no retry topic of sink \(sink) for \(type.rawValue)"))
            }
        }
        guard problems.isEmpty else { throw .invalidEnvironment(problems) }
    }

    /// The sink of retry topics that name none: the postgres-sink, whose retry-sink drains them.
    package static let postgresSink = "postgres"

    /// The retry topic of `type` that holds the failed writes of `sink`, if `topics.yaml` declares one.
    package func retryTopic(for type: MeasurementType, sink: String) -> Topic? {
        topics.first { $0.type == type && $0.role == .retry && $0.sink == sink }
    }

    /// Reads a topics file from disk.
    package init(contentsOf path: String) throws(ConfigurationError) {
        try self.init(yaml: ConfigurationFile.text(at: path), source: path)
    }

    /// The topic of a type and role (for `.retry`, the postgres-sink's). Every type has one of each role; `init`
    /// checks it.
    package func topic(_ role: Role, for type: MeasurementType) -> Topic {
        let sink = role == .retry ? Self.postgresSink : nil
        guard let topic = topics.first(where: { $0.type == type && $0.role == role && $0.sink == sink }) else {
            preconditionFailure("TopicCatalog.init guarantees a \(role) topic for \(type)")
        }
        return topic
    }

    /// A measurement's record on its raw topic, keyed by its partition key and stamped with `timestamp`.
    package func rawRecord(for measurement: Measurement, timestamp: EventTime, in kafka: KafkaConnection) -> KafkaRecord
    {
        topic(.raw, for: measurement.type).record(
            owner: measurement.owner, processType: measurement.processType, key: Array(measurement.partitionKey.utf8),
            value: measurement.wireBytes, timestamp: timestamp, in: kafka)
    }

    /// A summary's record on its compacted summary topic, keyed by series, period and window.
    package func summaryRecord(for summary: Summary, in kafka: KafkaConnection) -> KafkaRecord {
        topic(.summary, for: summary.key.type).record(
            owner: summary.key.owner, processType: summary.key.processType, key: Array(summary.key.messageKey.utf8),
            value: summary.wireBytes, in: kafka)
    }

    /// The topic declared under `name` (without prefix), if any.
    package func topic(named name: String) -> Topic? {
        topics.first { $0.name == name }
    }

    private struct TopicsFile: Decodable {
        struct Defaults: Decodable {
            var partitions: Int
            var replicationFactor: Int
            var rawRetentionMs: Int?

            enum CodingKeys: String, CodingKey {
                case partitions
                case replicationFactor = "replication_factor"
                case rawRetentionMs = "raw_retention_ms"
            }
        }

        struct Entry: Decodable {
            var name: String
            var type: MeasurementType
            var role: Role
            var cleanupPolicy: String
            var partitionKey: PartitionKeyStrategy?
            var partitions: Int?
            var replicationFactor: Int?
            var sink: String?

            enum CodingKeys: String, CodingKey {
                case name, type, role, partitions, sink
                case cleanupPolicy = "cleanup_policy"
                case partitionKey = "partition_key"
                case replicationFactor = "replication_factor"
            }
        }

        var defaults: Defaults
        var topics: [Entry]
    }
}
