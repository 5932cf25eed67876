import Synchronization

/// Whether an aggregator does its work, for `/readyz`: ready once its partitions are assigned and every one has
/// replayed through the end it had when the process started.
///
/// Until then the aggregator publishes nothing for the partitions still replaying (their summaries would be partial),
/// so it is not ready; afterwards it stays ready, because later lag only says it is behind, not that it cannot work:
/// lag is watched through `drainpipe_aggregator_partition_lag_messages`, and an unready aggregator would only stall a
/// rolling update (an aggregator serves no traffic a probe could divert).
package final class AggregatorReadiness: Sendable {
    private enum State {
        case unassigned
        case replaying(partitions: Int, messages: Int64)
        case caughtUp
    }

    private let state = Mutex(State.unassigned)

    package init() {}

    /// Records the replay still to do after an assignment or a batch.
    func update(_ remaining: AggregatorPartitions.ReplayRemaining) {
        state.withLock { state in
            if case .caughtUp = state { return }
            state =
                remaining.partitions == 0
                ? .caughtUp : .replaying(partitions: remaining.partitions, messages: remaining.messages)
        }
    }

    /// The raw messages still to apply before every partition reaches its end at start, as of the last flush: nil
    /// until the partitions are assigned, 0 once caught up.
    package var messagesToReplay: Int64? {
        switch state.withLock({ $0 }) {
        case .unassigned: nil
        case .replaying(_, let messages): messages
        case .caughtUp: 0
        }
    }

    /// Nil when ready, else why not.
    package var problem: String? {
        switch state.withLock({ $0 }) {
        case .unassigned:
            "partitions not assigned yet"
        case .replaying(let partitions, let messages):
            "replaying \(partitions) partition(s), \(messages) message(s) before their ends at start"
        case .caughtUp:
            nil
        }
    }
}
