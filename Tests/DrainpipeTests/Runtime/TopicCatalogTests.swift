import DrainpipeKafka
import DrainpipeWorkloads
import Foundation
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeWire

@Suite("TopicCatalog")
struct TopicCatalogTests {
    static func repositoryCatalog() throws -> TopicCatalog {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try TopicCatalog(contentsOf: root.appendingPathComponent("topics.yaml").path)
    }

    /// The repository's catalog as a deployment whose topics file declares raw version 1 only: producers write one
    /// `drainpipe.v1.Measurement` per record there (the ingress tests that check that record shape use it).
    static func rawVersion1Catalog() throws -> TopicCatalog {
        TopicCatalog(topics: try repositoryCatalog().topics.filter { $0.role != .raw || $0.wireVersion == 1 })
    }

    @Test(
        """
        topics.yaml declares raw topics of every type at versions 1 and 2 (producers write 2), compacted summary and \
        retry topics at version 1
        """)
    func declaresEveryTopic() throws {
        let catalog = try Self.repositoryCatalog()
        #expect(catalog.topics.count(where: { $0.sink != "influx" }) == 4 * MeasurementType.allCases.count)
        for type in MeasurementType.allCases {
            let raw = catalog.topic(.raw, for: type)
            let summary = catalog.topic(.summary, for: type)
            let retry = catalog.topic(.retry, for: type)
            #expect(catalog.rawTopics(for: type).map(\.name) == ["\(type.rawValue).1", "\(type.rawValue).2"])
            #expect(catalog.rawTopics(for: type).map(\.partitions) == [32, 32])
            #expect(raw.name == "\(type.rawValue).2")
            #expect(summary.name == "\(type.rawValue)_SUMMARY.1")
            #expect(retry.name == "RETRY.\(type.rawValue)_SUMMARY.1")
            #expect(
                raw.cleanupPolicy == "delete" && summary.cleanupPolicy == "compact" && retry.cleanupPolicy == "delete")
            for topic in [raw, summary, retry] {
                #expect(topic.partitions == 32)
                #expect(topic.replicationFactor == 3)
                #expect(topic.partitionKey == .ownerProcessType)
            }
        }
    }

    @Test("the influx-sink has a retry topic of its own per summary topic, partitioned like it")
    func declaresTheInfluxRetryTopics() throws {
        let catalog = try Self.repositoryCatalog()
        #expect(catalog.topics.count == 5 * MeasurementType.allCases.count)
        for type in MeasurementType.allCases {
            let retry = try #require(catalog.retryTopic(for: type, sink: "influx"))
            let summary = catalog.topic(.summary, for: type)
            #expect(retry.name == "RETRY.INFLUX.\(type.rawValue)_SUMMARY.1")
            #expect(retry.partitions == summary.partitions && retry.partitionKey == summary.partitionKey)
            #expect(catalog.retryTopic(for: type, sink: "postgres") == catalog.topic(.retry, for: type))
        }
    }

    @Test("a sink named by one retry topic needs one for every type")
    func rejectsAnIncompleteRetryPath() throws {
        var yaml = """
            defaults: {partitions: 4, replication_factor: 1}
            topics:

            """
        for type in MeasurementType.allCases.map(\.rawValue) {
            yaml += """
                  - {name: \(type).1, type: \(type), role: raw, cleanup_policy: delete}
                  - {name: \(type)_SUMMARY.1, type: \(type), role: summary, cleanup_policy: compact}
                  - {name: RETRY.\(type)_SUMMARY.1, type: \(type), role: retry, cleanup_policy: delete}

                """
        }
        #expect(try TopicCatalog(yaml: yaml).topics.count == 3 * MeasurementType.allCases.count)
        yaml +=
            "  - {name: RETRY.X.DYNO_LOAD_SUMMARY.1, type: DYNO_LOAD, role: retry, sink: x, cleanup_policy: delete}\n"
        #expect {
            try TopicCatalog(yaml: yaml)
        } throws: { error in
            "\(error)".contains("no retry topic of sink x for ROUTER_REQUESTS")
        }
    }

    @Test("a file missing a topic is rejected with the missing role named")
    func rejectsIncompleteFile() {
        let yaml = """
            defaults: {partitions: 4, replication_factor: 1}
            topics:
              - {name: DYNO_LOAD.1, type: DYNO_LOAD, role: raw, cleanup_policy: delete}
            """
        #expect(throws: ConfigurationError.self) { try TopicCatalog(yaml: yaml) }
        do {
            _ = try TopicCatalog(yaml: yaml)
        } catch {
            #expect(error.description.contains("no summary topic for DYNO_LOAD"))
        }
    }

    @Test("the partition of a series hashes owner and process type with murmur2")
    func partitionsByOwnerAndProcessType() throws {
        let topic = try Self.repositoryCatalog().topic(.raw, for: .dynoLoad)
        let owner = "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71"
        let expected = Murmur2Partitioner.partition(forKey: Array("\(owner)\u{1F}web".utf8), partitionCount: 32)
        #expect(topic.partition(owner: owner, processType: "web") == expected)
        let spread = Set(
            ["web", "worker", "clock", "run", "scheduler", "release"].map {
                topic.partition(owner: owner, processType: $0)
            })
        #expect(spread.count > 1, "process types of one owner should spread over partitions")
    }

    @Test(
        """
        raw records: one MeasurementBatch per type and partition, split under the size limit, in order within a \
        partition; one Measurement per record where only raw version 1 is declared
        """)
    func batchesRawRecords() throws {
        let catalog = try Self.repositoryCatalog()
        let kafka = KafkaConnection(bootstrapServers: "127.0.0.1:1")
        let now = EventTime(secondsSinceEpoch: 1_709_647_440)
        let measurements = (0..<300).map { index in
            Measurement(
                type: index % 10 == 0 ? .dynoMemory : .dynoLoad, owner: "app-\(index % 4)", processType: "web",
                metric: "m", time: now, receivedAt: now, fields: [MeasurementField(name: "f", value: Double(index))])
        }
        func check(_ records: [KafkaRecord]) throws {
            var values: [String: [Double]] = [:]
            for record in records {
                #expect(record.timestamp == now)
                let topic = try #require(catalog.topic(named: record.topic))
                #expect(topic.role == .raw && topic.wireVersion == 2)
                for measurement in try MeasurementBatchWire.decode(record.value) {
                    #expect(measurement.type == topic.type)
                    #expect(
                        topic.partition(owner: measurement.owner, processType: measurement.processType)
                            == record.partition)
                    values["\(record.topic)/\(record.partition)", default: []].append(measurement.fields[0].value)
                }
            }
            #expect(values.values.reduce(0) { $0 + $1.count } == 300)
            #expect(values.values.allSatisfy { $0 == $0.sorted() }, "measurements keep their order in a partition")
        }
        let records = catalog.rawRecords(for: measurements, timestamp: now, in: kafka)
        // At most one record per type and owner (the process type is the same).
        #expect(records.count <= 8)
        try check(records)
        let small = catalog.rawRecords(for: measurements, timestamp: now, in: kafka, maximumBatchBytes: 2_000)
        #expect(small.count > records.count)
        #expect(small.allSatisfy { $0.value.count <= 2_000 })
        try check(small)

        let version1 = try Self.rawVersion1Catalog().rawRecords(for: measurements, timestamp: now, in: kafka)
        #expect(version1.count == 300 && version1.allSatisfy { $0.topic.hasSuffix(".1") })
        #expect(try version1.map { try Measurement(wireBytes: $0.value) } == measurements)
    }

    @Test(
        """
        raw records of seeded realistic drain bodies decode to exactly the parsed measurements, partition by \
        partition and in order, keyed by their first measurement's series, whatever the batch size limit
        """)
    func rawRecordsDecodeToTheParsedMeasurements() throws {
        let catalog = try Self.repositoryCatalog()
        let kafka = KafkaConnection(bootstrapServers: "127.0.0.1:1")
        let now = EventTime(secondsSinceEpoch: 1_709_647_440)
        var traffic = DrainTrafficGenerator(seed: 0x15C9)
        for round in 0..<12 {
            var writer = LogplexFrameWriter()
            for line in 0..<(50 * round + 1) {
                _ = traffic.appendLine(to: &writer, time: now - .milliseconds(Int64(line * 37 % 90_000)))
            }
            let measurements = DrainParser().parse(
                body: writer.body, owner: "app-\(round % 3)", drainID: "app/d", frameID: "F\(round)", receivedAt: now
            ).measurements
            for limit in [TopicCatalog.maximumRawBatchBytes, 3_000] {
                var decoded: [String: [DrainpipeCore.Measurement]] = [:]
                for record in catalog.rawRecords(for: measurements, timestamp: now, in: kafka, maximumBatchBytes: limit)
                {
                    let batch = try MeasurementBatchWire.decode(record.value)
                    #expect(record.key == Array(try #require(batch.first).partitionKey.utf8))
                    decoded["\(record.topic)/\(record.partition)", default: []] += batch
                }
                var expected: [String: [DrainpipeCore.Measurement]] = [:]
                for measurement in measurements {
                    let topic = catalog.topic(.raw, for: measurement.type)
                    let partition = topic.partition(owner: measurement.owner, processType: measurement.processType)
                    expected["\(kafka.topicName(topic.name))/\(partition)", default: []].append(measurement)
                }
                #expect(decoded == expected, "round \(round), limit \(limit)")
            }
        }
    }

    @Test(
        """
        a request of many series (past the batcher's scanned ones) and two owners, interleaved, still batches every \
        measurement into its own partition's record, in order
        """)
    func rawRecordsOfManySeries() throws {
        let catalog = try Self.repositoryCatalog()
        let kafka = KafkaConnection(bootstrapServers: "127.0.0.1:1")
        let now = EventTime(secondsSinceEpoch: 1_709_647_440)
        let types: [MeasurementType] = [.dynoLoad, .customMetrics, .dynoMemory]
        var measurements: [DrainpipeCore.Measurement] = []
        for index in 0..<600 {
            let owner = index % 7 == 0 ? "app-b" : "app-a"
            let time = now - .seconds(Int64(index))
            measurements.append(
                DrainpipeCore.Measurement(
                    type: types[index % 3], owner: owner, processType: "worker\(index % 23)", metric: "m\(index % 2)",
                    time: time, receivedAt: now, fields: [MeasurementField(name: "value", value: Double(index))]))
        }
        for limit in [TopicCatalog.maximumRawBatchBytes, 1_500] {
            var decoded: [String: [DrainpipeCore.Measurement]] = [:]
            for record in catalog.rawRecords(for: measurements, timestamp: now, in: kafka, maximumBatchBytes: limit) {
                decoded["\(record.topic)/\(record.partition)", default: []] += try MeasurementBatchWire.decode(
                    record.value)
            }
            var expected: [String: [DrainpipeCore.Measurement]] = [:]
            for measurement in measurements {
                let topic = catalog.topic(.raw, for: measurement.type)
                let partition = topic.partition(owner: measurement.owner, processType: measurement.processType)
                expected["\(kafka.topicName(topic.name))/\(partition)", default: []].append(measurement)
            }
            #expect(decoded == expected, "limit \(limit)")
        }
    }

    @Test("raw topics of one type must agree in partitions and end in a known wire version")
    func rejectsDisagreeingRawVersions() throws {
        var yaml = """
            defaults: {partitions: 4, replication_factor: 1}
            topics:

            """
        for type in MeasurementType.allCases.map(\.rawValue) {
            yaml += """
                  - {name: \(type).1, type: \(type), role: raw, cleanup_policy: delete}
                  - {name: \(type)_SUMMARY.1, type: \(type), role: summary, cleanup_policy: compact}
                  - {name: RETRY.\(type)_SUMMARY.1, type: \(type), role: retry, cleanup_policy: delete}

                """
        }
        #expect(
            try TopicCatalog(
                yaml: yaml + "  - {name: DYNO_LOAD.2, type: DYNO_LOAD, role: raw, cleanup_policy: delete}\n"
            )
            .rawTopics(for: .dynoLoad).map(\.name) == ["DYNO_LOAD.1", "DYNO_LOAD.2"])
        #expect {
            try TopicCatalog(
                yaml: yaml
                    + "  - {name: DYNO_LOAD.2, type: DYNO_LOAD, role: raw, cleanup_policy: delete, partitions: 8}\n")
        } throws: { error in
            "\(error)".contains("the raw topics of DYNO_LOAD differ in partitions or partition_key")
        }
        #expect {
            try TopicCatalog(
                yaml: yaml + "  - {name: DYNO_LOAD.9, type: DYNO_LOAD, role: raw, cleanup_policy: delete}\n")
        } throws: { error in
            "\(error)".contains("a raw topic of DYNO_LOAD does not end in .1 or .2")
        }
    }
}
