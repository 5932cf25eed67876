import DrainpipeCore
import Testing

@Suite("WorkerAssignment")
struct WorkerAssignmentTests {
    @Test("n workers own every one of 32 partitions exactly once", arguments: 1...33)
    func coversEveryPartitionOnce(workerCount: Int) throws {
        let workers = try (0..<workerCount).map { try WorkerAssignment(workerIndex: $0, workerCount: workerCount) }
        for partition in Int32(0)..<32 {
            #expect(workers.filter { $0.owns(partition: partition) }.count == 1, "partition \(partition)")
        }
        let listed = workers.flatMap { $0.partitions(of: 32) }
        #expect(listed.sorted() == Array(0..<32))
        for worker in workers {
            #expect(worker.partitions(of: 32) == (Int32(0)..<32).filter { worker.owns(partition: $0) })
        }
    }

    @Test("worker 2 of 3 owns partitions 2, 5, 8 …")
    func example() throws {
        let worker = try WorkerAssignment(workerIndex: 2, workerCount: 3)
        #expect(worker.partitions(of: 12) == [2, 5, 8, 11])
        #expect(worker.owns(partition: 5))
        #expect(!worker.owns(partition: 6))
        #expect(!worker.owns(partition: -1))
        #expect(worker.partitions(of: 0).isEmpty)
        #expect(worker.description == "worker 2 of 3")
    }

    @Test(
        "rejects an index outside 0..<count or a count below one",
        arguments: [(3, 3), (4, 3), (-1, 3), (0, 0), (0, -2)] as [(Int, Int)])
    func invalid(index: Int, count: Int) {
        #expect(throws: ConfigurationError.self) { try WorkerAssignment(workerIndex: index, workerCount: count) }
    }

    @Test("explains an index beyond the worker count in terms of the dyno number")
    func errorText() {
        do {
            _ = try WorkerAssignment(workerIndex: 4, workerCount: 4)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("DYNO"))
            #expect(error.description.contains("dyno number 5"))
        }
    }

    @Test("takes its index from DYNO")
    func fromDyno() throws {
        let dyno = try Dyno(environmentValue: "aggregator.3")
        let worker = try WorkerAssignment(workerIndex: dyno.index, workerCount: 4)
        #expect(worker.partitions(of: 32) == [2, 6, 10, 14, 18, 22, 26, 30])
    }
}
