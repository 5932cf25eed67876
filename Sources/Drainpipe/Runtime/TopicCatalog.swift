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

        /// The wire version of the topic's messages: the number after the name's last dot (`ROUTER_REQUESTS.2` → 2).
        package var wireVersion: Int? {
            name.split(separator: ".").last.flatMap { Int($0) }
        }

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
        for type in MeasurementType.allCases {
            let raw = topics.filter { $0.type == type && $0.role == .raw }
            if raw.contains(where: { $0.wireVersion.map { !Self.rawWireVersions.contains($0) } ?? true }) {
                let versions = Self.rawWireVersions.map { ".\($0)" }.joined(separator: " or ")
                problems.append(
                    .invalid(variable: source, reason: "a raw topic of \(type.rawValue) does not end in \(versions)"))
            }
            if let first = raw.first,
                raw.contains(where: { $0.partitions != first.partitions || $0.partitionKey != first.partitionKey })
            {
                // The aggregator merges partition p of every raw version into one state: they must agree.
                problems.append(
                    .invalid(
                        variable: source,
                        reason: "the raw topics of \(type.rawValue) differ in partitions or partition_key"))
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

    /// The raw wire versions this build reads: 1 (`drainpipe.v1.Measurement`, one per record) and 2
    /// (`drainpipe.v2.MeasurementBatch`); producers write the highest one declared.
    package static let rawWireVersions = [1, 2]

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

    /// The topic of a type and role (for `.retry`, the postgres-sink's; for `.raw`, the highest wire version, the
    /// one producers write). Every type has one of each role; `init` checks it.
    package func topic(_ role: Role, for type: MeasurementType) -> Topic {
        let sink = role == .retry ? Self.postgresSink : nil
        let matching = topics.filter { $0.type == type && $0.role == role && $0.sink == sink }
        guard let topic = matching.max(by: { ($0.wireVersion ?? 0) < ($1.wireVersion ?? 0) }) else {
            preconditionFailure("TopicCatalog.init guarantees a \(role) topic for \(type)")
        }
        return topic
    }

    /// Every raw topic of a type, lowest wire version first: what the aggregator reads, so that records of an older
    /// version still in flight during a migration count with the new ones (architecture.md, "Topics").
    package func rawTopics(for type: MeasurementType) -> [Topic] {
        topics.filter { $0.type == type && $0.role == .raw }.sorted { ($0.wireVersion ?? 0) < ($1.wireVersion ?? 0) }
    }

    /// The record of a measurement alone (what a request of one measurement gives) on its raw topic.
    package func rawRecord(for measurement: Measurement, timestamp: EventTime, in kafka: KafkaConnection) -> KafkaRecord
    {
        rawRecords(for: [measurement], timestamp: timestamp, in: kafka)[0]
    }

    /// The records of `measurements` on their raw topics, all stamped `timestamp`: on a version-2 topic one
    /// `drainpipe.v2.MeasurementBatch` per type, partition and received time (split so that none exceeds
    /// `maximumBatchBytes`), keyed by the partition key of its first measurement; on a version-1 topic one record per
    /// measurement. Measurements keep their order within a partition.
    package func rawRecords(
        for measurements: [Measurement], timestamp: EventTime, in kafka: KafkaConnection,
        maximumBatchBytes: Int = Self.maximumRawBatchBytes
    ) -> [KafkaRecord] {
        var batcher = RawRecordBatcher(
            destinations: RawDestinations(catalog: self, kafka: kafka), timestamp: timestamp,
            maximumBatchBytes: maximumBatchBytes)
        for measurement in measurements { batcher.append(measurement) }
        return batcher.records()
    }

    /// The largest raw batch the ingress writes, well below the producer's `message.max.bytes` (1 000 000 by
    /// default), so a request with a huge body becomes several records.
    package static let maximumRawBatchBytes = 256 * 1024

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

    /// The raw topic producers write for each type, with its name in one Kafka connection and its wire version:
    /// looked up once (the ingress does it at start) and shared by every `RawRecordBatcher`.
    package struct RawDestinations: Sendable {
        struct Destination: Sendable {
            let topic: Topic
            let topicName: String
            /// Whether the topic takes version-2 batches rather than one version-1 record per measurement.
            let isBatched: Bool
        }

        /// One per type, in `MeasurementType.allCases` order (types and destinations apart, so a search reads
        /// only the types): a linear search is quicker than hashing, and it runs once per series of a request, not
        /// per measurement.
        private let types: [MeasurementType]
        private let destinations: [Destination]

        package init(catalog: TopicCatalog, kafka: KafkaConnection) {
            types = MeasurementType.allCases
            destinations = types.map { type in
                let topic = catalog.topic(.raw, for: type)
                return Destination(
                    topic: topic, topicName: kafka.topicName(topic.name), isBatched: topic.wireVersion == 2)
            }
        }

        func destination(of type: MeasurementType) -> Destination {
            destinations[index(of: type)]
        }

        /// Where a series of `type` goes: its partition, its topic's name and whether the topic takes batches.
        func route(
            type: MeasurementType, owner: String, processType: String
        ) -> (partition: Int32, topicName: String, isBatched: Bool) {
            let index = index(of: type)
            return (
                destinations[index].topic.partition(owner: owner, processType: processType),
                destinations[index].topicName, destinations[index].isBatched
            )
        }

        private func index(of type: MeasurementType) -> Int {
            guard let index = types.firstIndex(of: type) else {
                preconditionFailure("every measurement type has a raw topic")
            }
            return index
        }
    }

    /// Raw batches being filled, one per type, partition and received time, in the order they were opened; each
    /// encodes its measurements as they come, so none is kept.
    ///
    /// A request's measurements mostly belong to a handful of series (type, owner, process type), so each series is
    /// looked up once and keeps its partition, its topic and the batch it last went to. What a measurement reads on
    /// its way is kept apart from the strings and column arrays, in arrays of plain values (`routes`,
    /// `batchStates`): reading a struct that holds references out of an array copies it, one reference count per
    /// string and column, which cost more than the lookups themselves. For the same reason a series' type, owner and
    /// process type sit in arrays of their own, compared in place.
    fileprivate struct RawBatches {
        struct Batch {
            /// The topic's name with `KAFKA_PREFIX`.
            var topicName: String
            var partition: Int32
            var key: [UInt8]
            var writer: MeasurementBatchWriter

            func record(timestamp: EventTime) -> KafkaRecord {
                KafkaRecord(
                    topic: topicName, partition: partition, key: key, value: writer.encoded(), timestamp: timestamp)
            }
        }

        /// What a measurement needs of its batch, by the batch's index; the type, partition and received time are
        /// what a series finds an open batch by.
        struct BatchState {
            var type: MeasurementType
            var partition: Int32
            var receivedAt: EventTime
            var estimatedBytes: Int
            var isOpen: Bool
        }

        struct Series: Hashable {
            var type: MeasurementType
            var owner: String
            var processType: String
        }

        /// What a measurement needs of its series, by the series' index.
        struct Route {
            var partition: Int32
            /// Whether the series' topic takes version-2 batches rather than one version-1 record per measurement.
            var isBatched: Bool
            /// The index in `batches` of the batch the series' last measurement went to; -1 before the first.
            var batchIndex = -1
        }

        /// Every batch opened; a closed one keeps an empty writer (its record was made when it closed).
        private var batches: [Batch] = []
        private var batchStates: [BatchState] = []
        /// The series seen so far by index: their types, owners and process types, routes and topics' names (with
        /// `KAFKA_PREFIX`).
        private var seriesTypes: [MeasurementType] = []
        private var seriesOwners: [String] = []
        private var seriesProcessTypes: [String] = []
        private var routes: [Route] = []
        private var topicNames: [String] = []
        /// The index of the previous measurement's series, -1 before the first: consecutive measurements mostly
        /// share one.
        private var recentSeries = -1
        /// The indexes of the series once there are more than `scannedSeriesCount`.
        private var seriesIndexes: [Series: Int] = [:]
        private static let scannedSeriesCount = 16

        /// The index of the series of `measurement`, if it was seen before.
        mutating func knownSeries(of measurement: Measurement) -> Int? {
            if recentSeries >= 0, isSeries(recentSeries, of: measurement) { return recentSeries }
            let found: Int?
            if seriesTypes.count <= Self.scannedSeriesCount {
                found = seriesTypes.indices.first { isSeries($0, of: measurement) }
            } else {
                found =
                    seriesIndexes[
                        Series(type: measurement.type, owner: measurement.owner, processType: measurement.processType)]
            }
            if let found { recentSeries = found }
            return found
        }

        /// Whether the series at `index` is that of `measurement`; the process type, which differs most often, is
        /// compared first.
        private func isSeries(_ index: Int, of measurement: Measurement) -> Bool {
            seriesProcessTypes[index] == measurement.processType && seriesTypes[index] == measurement.type
                && seriesOwners[index] == measurement.owner
        }

        /// Adds the series of `measurement`, seen for the first time, and computes its partition; returns its index.
        mutating func addSeries(of measurement: Measurement, in destinations: RawDestinations) -> Int {
            let route = destinations.route(
                type: measurement.type, owner: measurement.owner, processType: measurement.processType)
            let index = seriesTypes.count
            seriesTypes.append(measurement.type)
            seriesOwners.append(measurement.owner)
            seriesProcessTypes.append(measurement.processType)
            routes.append(Route(partition: route.partition, isBatched: route.isBatched))
            topicNames.append(route.topicName)
            if seriesTypes.count > Self.scannedSeriesCount {
                let first = seriesTypes.count == Self.scannedSeriesCount + 1 ? 0 : index
                for known in first...index {
                    seriesIndexes[
                        Series(
                            type: seriesTypes[known], owner: seriesOwners[known],
                            processType: seriesProcessTypes[known])] = known
                }
            }
            recentSeries = index
            return index
        }

        /// Whether the series at `index` goes to a version-2 topic, in batches.
        func isBatched(series index: Int) -> Bool { routes[index].isBatched }

        /// The version-1 record of a measurement of the series at `index`.
        func singleRecord(of measurement: Measurement, series index: Int, timestamp: EventTime) -> KafkaRecord {
            KafkaRecord(
                topic: topicNames[index], partition: routes[index].partition,
                key: Array(measurement.partitionKey.utf8), value: measurement.wireBytes, timestamp: timestamp)
        }

        /// Adds a measurement of the series at `seriesIndex` to its batch. When the measurement would overfill the
        /// batch, that batch is closed, its record appended to `closed`, and the measurement opens a new one.
        mutating func add(
            _ measurement: Measurement, series seriesIndex: Int, maximumBytes: Int,
            closingInto closed: inout [KafkaRecord], timestamp: EventTime
        ) {
            let bytes = MeasurementBatchWire.estimatedBytes(of: measurement)
            let partition = routes[seriesIndex].partition
            var openIndex = routes[seriesIndex].batchIndex
            // The series' last batch, unless it was closed or holds another received time.
            if openIndex < 0 || !batchStates[openIndex].isOpen
                || batchStates[openIndex].receivedAt != measurement.receivedAt
            {
                openIndex = openBatch(type: measurement.type, partition: partition, receivedAt: measurement.receivedAt)
                routes[seriesIndex].batchIndex = openIndex
            }
            if openIndex >= 0 {
                if batchStates[openIndex].estimatedBytes + bytes <= maximumBytes {
                    batches[openIndex].writer.append(measurement)
                    batchStates[openIndex].estimatedBytes += bytes
                    return
                }
                closed.append(batches[openIndex].record(timestamp: timestamp))
                batches[openIndex].writer = MeasurementBatchWriter(
                    type: measurement.type, receivedAt: measurement.receivedAt, reservingCapacity: 0)
                batchStates[openIndex].isOpen = false
            }
            // Built in place: a writer built apart and then stored is copied whole, one reference count per column.
            let index = batches.count
            routes[seriesIndex].batchIndex = index
            batches.append(
                Batch(
                    topicName: topicNames[seriesIndex], partition: partition,
                    key: Array(measurement.partitionKey.utf8),
                    writer: MeasurementBatchWriter(type: measurement.type, receivedAt: measurement.receivedAt)))
            batches[index].writer.append(measurement)
            batchStates.append(
                BatchState(
                    type: measurement.type, partition: partition, receivedAt: measurement.receivedAt,
                    estimatedBytes: bytes, isOpen: true))
        }

        /// The index of the open batch of `type`, `partition` and `receivedAt`, or -1. A scan: it runs only for a
        /// series' first measurement or after its batch closed, over a request's few batches.
        private func openBatch(type: MeasurementType, partition: Int32, receivedAt: EventTime) -> Int {
            for index in batchStates.indices
            where batchStates[index].isOpen && batchStates[index].partition == partition
                && batchStates[index].type == type && batchStates[index].receivedAt == receivedAt
            {
                return index
            }
            return -1
        }

        /// Appends the records of the batches still open to `records`, in the order the batches were opened.
        func appendOpenRecords(to records: inout [KafkaRecord], timestamp: EventTime) {
            for index in batches.indices where batchStates[index].isOpen {
                records.append(batches[index].record(timestamp: timestamp))
            }
        }
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

/// The raw records of a run of measurements, built as they are appended (what `TopicCatalog.rawRecords` returns for
/// all of them at once): on a version-2 topic the measurements are encoded into their batch right away, so none is
/// kept.
package struct RawRecordBatcher: MeasurementSink {
    private let timestamp: EventTime
    private let maximumBatchBytes: Int
    private let destinations: TopicCatalog.RawDestinations
    private var batches = TopicCatalog.RawBatches()
    /// Version-1 records and the batches closed because they were full, in the order they were made.
    private var finished: [KafkaRecord] = []

    /// Records for `destinations`, all stamped `timestamp`, split so that no batch exceeds `maximumBatchBytes`.
    package init(
        destinations: TopicCatalog.RawDestinations, timestamp: EventTime,
        maximumBatchBytes: Int = TopicCatalog.maximumRawBatchBytes
    ) {
        self.timestamp = timestamp
        self.maximumBatchBytes = maximumBatchBytes
        self.destinations = destinations
    }

    package mutating func append(_ measurement: Measurement) {
        // The shared destinations are handed over only for a new series: passing them costs a reference count.
        let series = batches.knownSeries(of: measurement) ?? batches.addSeries(of: measurement, in: destinations)
        guard batches.isBatched(series: series) else {
            finished.append(batches.singleRecord(of: measurement, series: series, timestamp: timestamp))
            return
        }
        batches.add(
            measurement, series: series, maximumBytes: maximumBatchBytes, closingInto: &finished, timestamp: timestamp)
    }

    /// Every record: those already finished, then the batches still open, in the order they were opened.
    package func records() -> [KafkaRecord] {
        var records = finished
        batches.appendOpenRecords(to: &records, timestamp: timestamp)
        return records
    }
}
