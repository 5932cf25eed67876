import DrainpipeKafka
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

/// The aggregator's `/readyz` verdict follows the replay of its partitions to their ends at start.
@Suite("Aggregator readiness")
struct AggregatorReadinessTests {
    typealias Partitions = AggregatorPartitionsTests

    @Test("not ready before the assignment, nor while a partition replays; ready once every one reached its end")
    func readyAfterTheReplay() {
        let readiness = AggregatorReadiness()
        #expect(readiness.problem == "partitions not assigned yet")

        var partitions = Partitions.fresh(ends: [Partitions.first: 2, Partitions.second: 1])
        #expect(partitions.replayRemaining == .init(partitions: 2, messages: 3))
        readiness.update(partitions.replayRemaining)
        #expect(readiness.problem == "replaying 2 partition(s), 3 message(s) before their ends at start")

        Partitions.apply(&partitions, Partitions.first, offset: 0, time: Partitions.base)
        Partitions.apply(&partitions, Partitions.second, offset: 0, time: Partitions.base)
        readiness.update(partitions.replayRemaining)
        #expect(readiness.problem == "replaying 1 partition(s), 1 message(s) before their ends at start")

        Partitions.apply(&partitions, Partitions.first, offset: 1, time: Partitions.base)
        readiness.update(partitions.replayRemaining)
        #expect(readiness.problem == nil)
    }

    @Test("once caught up it stays ready: later lag is a metric, not a readiness problem")
    func staysReady() {
        let readiness = AggregatorReadiness()
        readiness.update(.init(partitions: 0, messages: 0))
        readiness.update(.init(partitions: 3, messages: 500))
        #expect(readiness.problem == nil)
    }

    @Test("lag by partition counts the messages after the next offset to apply, for the partitions fetched")
    func lagByPartition() {
        var partitions = Partitions.fresh(ends: [Partitions.first: 0, Partitions.second: 0])
        Partitions.apply(&partitions, Partitions.first, offset: 0, time: Partitions.base)
        let lags = partitions.lagByPartition { $0 == Partitions.first ? 5 : nil }
        #expect(lags == [Partitions.first: 4])
    }
}
