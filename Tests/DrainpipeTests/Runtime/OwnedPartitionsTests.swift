import DrainpipeCore
import DrainpipeKafka
import Testing

@testable import Drainpipe

@Suite("OwnedPartitions")
struct OwnedPartitionsTests {
    @Test("worker i of n owns p mod n == i of every topic of its role, with the prefix, and nothing else")
    func ownsItsShare() throws {
        let catalog = try TopicCatalogTests.repositoryCatalog()
        let kafka = KafkaConnection(bootstrapServers: "127.0.0.1:9092", prefix: "p-")
        let owned = OwnedPartitions(
            role: .summary, of: [.dynoLoad, .routerRequests], in: catalog, kafka: kafka,
            assignment: try WorkerAssignment(workerIndex: 1, workerCount: 3))
        #expect(owned.partitions.count == 2 * 11)
        #expect(owned.partitions.allSatisfy { $0.partition % 3 == 1 && $0.topic.hasPrefix("p-") })
        #expect(owned.partitions.first == TopicPartition(topic: "p-DYNO_LOAD_SUMMARY.1", partition: 1))
        let all = (0..<3).map { index in
            OwnedPartitions(
                role: .summary, of: [.dynoLoad], in: catalog, kafka: kafka,
                assignment: try! WorkerAssignment(workerIndex: index, workerCount: 3)
            ).partitions
        }
        #expect(Set(all.joined()).count == 32 && all.map(\.count).reduce(0, +) == 32)
    }

    @Test("a committed partition resumes at its offset; an uncommitted or negative one starts at the beginning")
    func startOffsets() throws {
        let catalog = try TopicCatalogTests.repositoryCatalog()
        let owned = OwnedPartitions(
            role: .raw, of: [.dynoMemory], in: catalog, kafka: KafkaConnection(bootstrapServers: "x:1"),
            assignment: try WorkerAssignment(workerIndex: 0, workerCount: 16))
        let first = owned.partitions[0]
        let second = owned.partitions[1]
        let starts = owned.startOffsets(committed: [
            first: CommittedOffset(offset: 42, metadata: "v1"), second: CommittedOffset(offset: -1001),
        ])
        #expect(starts == [first: .offset(42), second: .beginning])
        #expect(OwnedPartitions.resumeOffset(nil) == nil)
        #expect(OwnedPartitions.resumeOffset(CommittedOffset(offset: 0)) == 0)
    }
}
