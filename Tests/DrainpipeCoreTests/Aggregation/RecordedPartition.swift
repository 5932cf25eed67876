@testable import DrainpipeCore

/// A partition's recorded messages (each measurement with its Kafka message time), replayed into aggregators the way
/// the service consumes: apply each message at its offset (its index), and every `flushEvery` messages take the
/// changed summaries and finalize the windows that may close.
struct RecordedPartition {
    var messages: [(Measurement, EventTime)] = []

    /// Replays `messages[range]` into `aggregator`, keeping the latest summary of each series in `latest`.
    func replay(
        into aggregator: inout PartitionAggregator, _ range: Range<Int>, flushEvery: Int,
        keepingLatestIn latest: inout [SeriesKey: Summary]
    ) {
        for index in range {
            aggregator.apply(messages[index].0, offset: Int64(index), messageTime: messages[index].1)
            if index % flushEvery == 0 {
                for summary in aggregator.takeChangedSummaries() { latest[summary.key] = summary }
                aggregator.finalizeWindows()
            }
        }
        for summary in aggregator.takeChangedSummaries() { latest[summary.key] = summary }
    }
}
