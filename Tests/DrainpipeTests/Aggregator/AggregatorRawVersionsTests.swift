import DrainpipeKafka
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

/// A migration from raw wire version 1 to 2: partition p of `DYNO_LOAD.1` and `DYNO_LOAD.2` feed one state, so
/// records of both versions in flight count in the same summaries, once each, across restarts.
@Suite("Aggregator reading raw versions 1 and 2")
struct AggregatorRawVersionsTests {
    static let version1 = TopicPartition(topic: "DYNO_LOAD.1", partition: 5)
    static let version2 = TopicPartition(topic: "DYNO_LOAD.2", partition: 5)
    static let claim = AggregatorWorkerClaim(epoch: 1, instance: "00000000000000bb")
    static let base = EventTime(secondsSinceEpoch: 1_709_647_200)  // window-aligned

    /// A load line of frame `frame`, taken `seconds` into the window.
    static func line(_ index: UInt32, frame: String, seconds: Int64, value: Double) -> Measurement {
        Measurement(
            type: .dynoLoad, owner: "app-1", processType: "web", metric: "load_avg", time: base + .seconds(seconds),
            receivedAt: base + .seconds(seconds), fields: [MeasurementField(name: "load_avg_1m", value: value)],
            origin: DrainOrigin(drainID: "d.1", frameID: frame, lineIndex: index))
    }

    static func message(_ partition: TopicPartition, offset: Int64, stamp: EventTime) -> KafkaMessage {
        KafkaMessage(
            topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: [],
            timestamp: stamp)
    }

    static func partitions(
        committed: [TopicPartition: CommittedOffset] = [:], ends: [TopicPartition: Int64]
    ) -> AggregatorPartitions {
        var partitions = AggregatorPartitions(
            sharing: [[version1, version2]], committed: committed, ends: ends.mapValues { (low: 0, high: $0) },
            settings: .production, claim: claim)
        partitions.didCommit(partitions.claimCommits)
        return partitions
    }

    static func flush(
        _ partitions: inout AggregatorPartitions
    ) throws -> (summaries: [Summary], commits: [TopicPartition: CommittedOffset]) {
        guard case .publish(let flush) = partitions.beginFlush(committed: [:]) else {
            Issue.record("the flush was refused")
            return ([], [:])
        }
        let commits = partitions.completeFlush(flush)
        partitions.didCommit(commits)
        return (flush.summaries, commits)
    }

    /// The same traffic every run: a version 1 record of frame A, a version 2 batch of frame B, that batch again
    /// (a Logplex retry), and frame A's line again in version 2 (a retry that crossed the migration).
    static func replay(into partitions: inout AggregatorPartitions) -> [[AggregatorPartitions.Applied]] {
        let batch = (0..<3).map { line(UInt32($0), frame: "B", seconds: 10 + Int64($0), value: Double($0 + 2)) }
        return [
            partitions.apply(
                [line(0, frame: "A", seconds: 5, value: 1)],
                from: message(version1, offset: 0, stamp: base + .seconds(5))),
            partitions.apply(batch, from: message(version2, offset: 0, stamp: base + .seconds(13))),
            partitions.apply(batch, from: message(version2, offset: 1, stamp: base + .seconds(14))),
            partitions.apply(
                [line(0, frame: "A", seconds: 5, value: 1)],
                from: message(version2, offset: 2, stamp: base + .seconds(15))),
        ]
    }

    @Test("a version 1 record and a version 2 batch of one window count in one summary; replayed lines count once")
    func bothVersionsCountOnce() throws {
        var partitions = Self.partitions(ends: [Self.version1: 0, Self.version2: 0])
        let outcomes = Self.replay(into: &partitions)
        #expect(outcomes[0] == [.outcome(.accepted)])
        #expect(outcomes[1] == Array(repeating: .outcome(.accepted), count: 3))
        #expect(outcomes[2] == Array(repeating: .outcome(.duplicate), count: 3))
        #expect(outcomes[3] == [.outcome(.duplicate)])
        let summaries = try Self.flush(&partitions).summaries
        #expect(summaries.count == 1)
        let statistics = try #require(summaries.first?.fields["load_avg_1m"])
        #expect(statistics.count == 4 && statistics.sum == 1 + 2 + 3 + 4)
        // One past the last offset counted, summed over the versions: offset 0 of each.
        #expect(summaries.first?.version == 2)
    }

    @Test("each version commits its own offset; a restart from them rebuilds the same summary, version included")
    func restartRebuildsBothVersions() throws {
        var partitions = Self.partitions(ends: [Self.version1: 0, Self.version2: 0])
        _ = Self.replay(into: &partitions)
        let (published, commits) = try Self.flush(&partitions)
        // The window is open, so each version's commit point is its first offset in it.
        #expect(commits[Self.version1]?.offset == 0)
        #expect(commits[Self.version2]?.offset == 0)

        var restarted = Self.partitions(committed: commits, ends: [Self.version1: 1, Self.version2: 3])
        _ = Self.replay(into: &restarted)
        #expect(try Self.flush(&restarted).summaries == published)
    }

    @Test("a replay applied twice at the same offsets changes nothing")
    func redeliveryIsAlreadyApplied() throws {
        var partitions = Self.partitions(ends: [Self.version1: 0, Self.version2: 0])
        _ = Self.replay(into: &partitions)
        let again = Self.replay(into: &partitions)
        #expect(again.allSatisfy { $0.allSatisfy { $0 == .outcome(.alreadyApplied) } })
    }

    @Test("an old version that stopped receiving data does not hold windows open or its partner's commits back")
    func idleOldVersionLetsWindowsClose() throws {
        var partitions = Self.partitions(ends: [Self.version1: 0, Self.version2: 0])
        _ = partitions.apply(
            [Self.line(0, frame: "A", seconds: 5, value: 1)],
            from: Self.message(Self.version1, offset: 0, stamp: Self.base + .seconds(5)))
        // Version 2 goes on for 20 minutes; version 1 stays silent.
        for offset in Int64(0)..<120 {
            let seconds = 10 * offset
            _ = partitions.apply(
                [Self.line(UInt32(offset), frame: "C\(offset)", seconds: seconds, value: 1)],
                from: Self.message(Self.version2, offset: offset, stamp: Self.base + .seconds(seconds)))
        }
        let commits = try Self.flush(&partitions).commits
        let version2Commit = try #require(commits[Self.version2])
        // Only the windows within the late bound of the newest data stay open.
        #expect(version2Commit.offset > 80)
        #expect(partitions.footprint.openWindows <= 7)
        // Version 1's only window is final: it resumes after its message.
        #expect(commits[Self.version1]?.offset == 1)
    }
}
