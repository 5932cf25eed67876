import Foundation
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

@Suite("TopicCatalog")
struct TopicCatalogTests {
    static func repositoryCatalog() throws -> TopicCatalog {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try TopicCatalog(contentsOf: root.appendingPathComponent("topics.yaml").path)
    }

    @Test("topics.yaml declares raw, compacted summary and retry topics of every type at version 1")
    func declaresEveryTopic() throws {
        let catalog = try Self.repositoryCatalog()
        #expect(catalog.topics.count == 3 * MeasurementType.allCases.count)
        for type in MeasurementType.allCases {
            let raw = catalog.topic(.raw, for: type)
            let summary = catalog.topic(.summary, for: type)
            let retry = catalog.topic(.retry, for: type)
            #expect(raw.name == "\(type.rawValue).1")
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
}
