import DrainpipeKafka
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

/// `AggregatorPartitions` driven directly, without a broker or a clock: every decision the service acts on.
@Suite("Aggregator partitions")
struct AggregatorPartitionsTests {
    static let first = TopicPartition(topic: "raw", partition: 0)
    static let second = TopicPartition(topic: "raw", partition: 2)
    static let claim = AggregatorWorkerClaim(epoch: 3, instance: "00000000000000aa")
    static let base = EventTime(secondsSinceEpoch: 1_709_647_200)  // window-aligned

    /// A load measurement taken at `time` in the message at `offset` of `partition`, stamped `stamp`.
    static func message(
        _ partition: TopicPartition, offset: Int64, time: EventTime, stamp: EventTime? = nil, owner: String = "app-1"
    ) -> (Measurement, KafkaMessage) {
        let measurement = Measurement(
            type: .dynoLoad, owner: owner, processType: "web", metric: "load_avg", time: time, receivedAt: time,
            fields: [MeasurementField(name: "load_avg_1m", value: 1)])
        let message = KafkaMessage(
            topic: partition.topic, partition: partition.partition, offset: offset, key: nil, value: [],
            timestamp: stamp ?? time)
        return (measurement, message)
    }

    /// Partitions that were never committed and hold `ends` (low 0) when the process starts.
    static func fresh(ends: [TopicPartition: Int64], settings: WindowSettings = .production) -> AggregatorPartitions {
        var partitions = AggregatorPartitions(
            owned: [first, second], committed: [:], ends: ends.mapValues { (low: 0, high: $0) }, settings: settings,
            claim: claim)
        partitions.didCommit(partitions.claimCommits)
        return partitions
    }

    /// Applies a message and returns what became of it.
    @discardableResult
    static func apply(
        _ partitions: inout AggregatorPartitions, _ partition: TopicPartition, offset: Int64, time: EventTime,
        stamp: EventTime? = nil
    ) -> AggregatorPartitions.Applied {
        let (measurement, message) = message(partition, offset: offset, time: time, stamp: stamp)
        return partitions.apply(measurement, from: message)
    }

    /// Begins a flush that must go ahead, completes it and records its commits.
    static func flush(
        _ partitions: inout AggregatorPartitions, committed: [TopicPartition: CommittedOffset] = [:]
    ) throws -> (summaries: [Summary], commits: [TopicPartition: CommittedOffset]) {
        guard case .publish(let flush) = partitions.beginFlush(committed: committed) else {
            Issue.record("the flush was refused")
            return ([], [:])
        }
        let commits = partitions.completeFlush(flush)
        partitions.didCommit(commits)
        return (flush.summaries, commits)
    }

    @Test("the start claims every partition and keeps each committed offset and marker")
    func claimsAtStart() throws {
        let marker = CommitMarker(finalBefore: Self.base, watermark: Self.base + .seconds(7))
        let partitions = AggregatorPartitions(
            owned: [Self.first, Self.second],
            committed: [Self.first: CommittedOffset(offset: 40, metadata: marker.metadata)],
            ends: [Self.first: (low: 0, high: 50), Self.second: (low: 12, high: 12)], settings: .production,
            claim: Self.claim)
        let claims = partitions.claimCommits
        #expect(Set(claims.keys) == [Self.first, Self.second])
        let resumed = try #require(claims[Self.first])
        #expect(resumed.offset == 40)
        #expect(CommitMarker(metadata: resumed.metadata) == marker)
        #expect(AggregatorWorkerClaim(metadata: resumed.metadata) == Self.claim)
        // Never committed: starts empty at its low watermark.
        #expect(claims[Self.second]?.offset == 12)
        #expect(claims.values.allSatisfy { AggregatorWorkerClaim(metadata: $0.metadata) == Self.claim })
    }

    @Test("a replaying partition publishes and commits nothing until it reaches the end seen at start")
    func replayGate() throws {
        var partitions = Self.fresh(ends: [Self.first: 3, Self.second: 0])
        let claimed = partitions.claimCommits
        Self.apply(&partitions, Self.first, offset: 0, time: Self.base)
        Self.apply(&partitions, Self.first, offset: 1, time: Self.base + .seconds(1))
        Self.apply(&partitions, Self.second, offset: 0, time: Self.base)
        // The second partition had nothing to replay; the first is one message short of its end.
        var flushed = try Self.flush(&partitions)
        #expect(flushed.summaries.map(\.version) == [1])
        #expect(flushed.commits.keys.allSatisfy { $0 == Self.second })
        #expect(partitions.claimCommits[Self.first] == claimed[Self.first])

        Self.apply(&partitions, Self.first, offset: 2, time: Self.base + .seconds(2))
        flushed = try Self.flush(&partitions)
        // Caught up: everything it replayed comes out at once, in one summary of the window.
        #expect(flushed.summaries.map(\.version) == [3])
        #expect(flushed.summaries.first?.fields["load_avg_1m"]?.count == 3)
    }

    @Test("the commit point stays a late bound (plus at most one window) behind the flush point")
    func commitPointTrailsByTheLateBound() throws {
        var partitions = Self.fresh(ends: [Self.first: 0, Self.second: 0])
        // One message a second for 20 minutes, measured when stamped; a flush every 10 messages.
        var committedOffset: Int64 = 0
        for offset in Int64(0)..<1_200 {
            Self.apply(&partitions, Self.first, offset: offset, time: Self.base + .seconds(offset))
            guard offset % 10 == 9 else { continue }
            let commits = try Self.flush(&partitions).commits
            if let commit = commits[Self.first] {
                #expect(commit.offset >= committedOffset, "the commit point never moves back")
                committedOffset = commit.offset
                let marker = try #require(CommitMarker(metadata: commit.metadata))
                // The marker's watermark is the one in force just before the committed offset.
                let before =
                    committedOffset == 0
                    ? EventTime(microsecondsSinceEpoch: .min) : Self.base + .seconds(committedOffset - 1)
                #expect(marker.watermark == before)
                #expect(AggregatorWorkerClaim(metadata: commit.metadata) == Self.claim)
            }
            let behind = offset + 1 - committedOffset
            if offset >= 360 {
                // Seconds between the flush point and the commit point: the oldest open window starts at least
                // a late bound (300 s) and at most a late bound plus a window (360 s) back.
                #expect((300...361).contains(behind), "offset \(offset): \(behind) s behind")
            } else {
                #expect(committedOffset == 0, "nothing is final in the first six minutes")
            }
        }
        #expect(committedOffset > 800)
    }

    @Test("a newer claim stops the process; an older one is claimed over again at the flush")
    func claims() throws {
        var partitions = Self.fresh(ends: [Self.first: 0, Self.second: 0])
        let ours = try #require(partitions.claimCommits[Self.first])
        Self.apply(&partitions, Self.first, offset: 0, time: Self.base)
        _ = try Self.flush(&partitions)
        // A change that leaves the commit point where it is.
        Self.apply(&partitions, Self.first, offset: 1, time: Self.base)

        let newer = AggregatorWorkerClaim(epoch: 4, instance: "0000000000000001")
        let rival = AggregatorWorkerClaim(epoch: 3, instance: "00000000000000bb")
        for other in [newer, rival] {
            let theirs = CommittedOffset(offset: 0, metadata: "v1 final_before=0 watermark=0 \(other.metadataWord)")
            guard case .superseded(let partition, let by) = partitions.beginFlush(committed: [Self.second: theirs])
            else {
                Issue.record("\(other) must supersede \(Self.claim)")
                continue
            }
            #expect(partition == Self.second && by == other)
        }

        let older = AggregatorWorkerClaim(epoch: 2, instance: "00000000000000ff")
        let overwritten = CommittedOffset(offset: 0, metadata: "v1 final_before=0 watermark=0 \(older.metadataWord)")
        guard
            case .publish(let flush) = partitions.beginFlush(
                committed: [Self.first: ours, Self.second: overwritten])
        else {
            Issue.record("an older claim must not stop the process")
            return
        }
        #expect(flush.olderClaims.map(\.partition) == [Self.second])
        #expect(flush.olderClaims.map(\.claim) == [older])
        #expect(flush.summaries.count == 1)
        let commits = partitions.completeFlush(flush)
        // Its commit point did not move, but the older process must read this claim back and stop.
        #expect(commits.keys.sorted { $0.partition < $1.partition } == [Self.second])
        #expect(AggregatorWorkerClaim(metadata: commits[Self.second]?.metadata ?? "") == Self.claim)
    }

    @Test("the lag is reported when idle after consuming, until every partition's end is applied")
    func lag() {
        var partitions = Self.fresh(ends: [Self.first: 0, Self.second: 0])
        let highs: [TopicPartition: Int64] = [Self.first: 3, Self.second: 1]
        #expect(partitions.lagWhenIdle { highs[$0] } == nil, "nothing consumed yet")
        Self.apply(&partitions, Self.first, offset: 0, time: Self.base)
        #expect(partitions.lagWhenIdle { highs[$0] } == 3)
        #expect(partitions.lagWhenIdle { $0 == Self.first ? 3 : nil } == nil, "a partition never fetched")
        Self.apply(&partitions, Self.first, offset: 1, time: Self.base)
        let (_, malformed) = Self.message(Self.first, offset: 2, time: Self.base)
        partitions.skipMalformed(malformed)
        Self.apply(&partitions, Self.second, offset: 0, time: Self.base)
        #expect(partitions.lagWhenIdle { highs[$0] } == 0)
        #expect(partitions.lagWhenIdle { highs[$0] } == nil, "the end was reported once")
    }

    @Test("implausible times are skipped without moving the watermark; unowned partitions are ignored")
    func skipped() throws {
        var partitions = Self.fresh(ends: [Self.first: 0, Self.second: 0])
        let broken = EventTime(microsecondsSinceEpoch: -1)
        #expect(Self.apply(&partitions, Self.first, offset: 0, time: broken, stamp: Self.base) == .implausibleTime)
        #expect(
            Self.apply(
                &partitions, Self.first, offset: 1, time: Self.base, stamp: EventTime.latestPlausible + .seconds(1))
                == .implausibleTime)
        #expect(Self.apply(&partitions, Self.first, offset: 2, time: Self.base) == .outcome(.accepted))
        let unowned = TopicPartition(topic: "raw", partition: 1)
        #expect(Self.apply(&partitions, unowned, offset: 0, time: Self.base) == .notOwned)
        #expect(Self.apply(&partitions, Self.first, offset: 2, time: Self.base) == .outcome(.alreadyApplied))
        // The far-future stamp was not taken as the watermark: the window is still open, not final.
        let commit = try #require(Self.flush(&partitions).commits[Self.first])
        #expect(commit.offset == 2)
        #expect(CommitMarker(metadata: commit.metadata)?.watermark == EventTime(microsecondsSinceEpoch: .min))
    }
}
