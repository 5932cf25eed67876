import DrainpipeCore
import Testing

@testable import Drainpipe

@Suite("DeploymentStatus")
struct DeploymentStatusTests {
    static let now = EventTime(secondsSinceEpoch: 1_709_647_200)

    static func partition(
        _ number: Int32, low: Int64 = 0, high: Int64, committed: Int64?, metadata: String? = nil
    ) -> PartitionProgress {
        PartitionProgress(
            topic: "DYNO_LOAD.1", partition: number, low: low, high: high, committed: committed, metadata: metadata)
    }

    @Test("partitions go to worker p mod n; lag counts from the commit, or from the oldest retained offset")
    func workersAndLag() {
        let stage = StageStatus(
            name: "aggregator", group: "drainpipe-aggregator", workerCount: 2,
            partitions: [
                Self.partition(0, high: 100, committed: 90),
                Self.partition(1, high: 50, committed: nil),
                Self.partition(2, low: 40, high: 60, committed: 10),
                Self.partition(3, high: 5, committed: 5),
            ])
        #expect(stage.workers.map(\.partitions) == [2, 2])
        #expect(stage.workers.map(\.committedPartitions) == [2, 1])
        #expect(stage.workers.map(\.lag) == [10 + 20, 50])
        #expect(stage.lag == 80)
    }

    @Test("the newest claim and the newest watermark of a worker's commits are shown")
    func claimAndWatermark() {
        let early = "v1 final_before=1709647080000000 watermark=1709647100000000 claim=3.00000000000000aa"
        let late = "v1 final_before=1709647080000000 watermark=1709647165000000 claim=4.00000000000000bb"
        let empty = "v1 final_before=-9223372036854775808 watermark=-9223372036854775808 claim=4.00000000000000bb"
        let stage = StageStatus(
            name: "aggregator", group: "g", workerCount: 1,
            partitions: [
                Self.partition(0, high: 10, committed: 10, metadata: early),
                Self.partition(1, high: 10, committed: 10, metadata: late),
                Self.partition(2, high: 0, committed: 0, metadata: empty),
            ])
        #expect(stage.workers[0].claim == "epoch 4, instance 00000000000000bb")
        #expect(stage.workers[0].dataThrough == EventTime(secondsSinceEpoch: 1_709_647_165))
        let screen = DeploymentStatus(stages: [stage], shards: []).rendered(now: Self.now)
        #expect(screen.contains("1 of 1"))
        #expect(screen.contains("13:59:25 (35 s ago)"))
    }

    @Test("shards show their latency and recorded layout, or why they are down")
    func shards() {
        let screen = DeploymentStatus(
            stages: [],
            shards: [
                ShardStatus(
                    name: "127.0.0.1:5432/a",
                    health: .answering(milliseconds: 3, layout: ShardLayout(index: 0, count: 2))),
                ShardStatus(name: "127.0.0.1:5432/b", health: .answering(milliseconds: 4, layout: nil)),
                ShardStatus(name: "127.0.0.1:5433/c", health: .failing("connection refused")),
            ]
        ).rendered(now: Self.now)
        #expect(screen.contains("1. 127.0.0.1:5432/a: ok (3 ms), recorded as shard 1 of 2"))
        #expect(screen.contains("2. 127.0.0.1:5432/b: ok (4 ms), recorded as nothing yet"))
        #expect(screen.contains("3. 127.0.0.1:5433/c: DOWN: connection refused"))
    }
}
