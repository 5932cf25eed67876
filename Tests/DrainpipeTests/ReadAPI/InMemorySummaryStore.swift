import DrainpipeCore
import DrainpipeTestSupport

@testable import Drainpipe

/// Summaries held in memory, answering as the Postgres reader does: per owner, by window start in `[from, to)`.
final class InMemorySummaryStore: SeriesCatalogStore, SeriesActivityStore {
    let stored: [Summary]
    /// The owners whose series were listed, in call order: a token's requests must never list another owner.
    let listedOwners = SynchronizedBox<[String]>([])
    /// The owners whose summaries were read, in call order.
    let readOwners = SynchronizedBox<[String]>([])

    init(_ summaries: [Summary]) { stored = summaries }

    func summaries(
        type: MeasurementType, owner: String, processType: String?, metric: String?, from: EventTime, to: EventTime
    ) async throws -> [Summary] {
        readOwners.update { $0.append(owner) }
        return stored.filter {
            $0.key.type == type && $0.key.owner == owner && (processType == nil || $0.key.processType == processType)
                && (metric == nil || $0.key.metric == metric) && (from..<to).contains($0.key.windowStart)
        }
        .sorted { $0.key.windowStart < $1.key.windowStart }
    }

    func storedSeries(owner: String, from: EventTime, to: EventTime) async throws -> [StoredSeries: Set<String>] {
        listedOwners.update { $0.append(owner) }
        var series: [StoredSeries: Set<String>] = [:]
        for summary in stored where summary.key.owner == owner && (from..<to).contains(summary.key.windowStart) {
            let key = StoredSeries(
                type: summary.key.type, processType: summary.key.processType, metric: summary.key.metric)
            series[key, default: []].formUnion(summary.counts.keys)
        }
        return series
    }

    func summaries(
        owner: String, series: [StoredSeries], parts: SummaryParts, from: EventTime, to: EventTime
    ) async throws -> [Summary] {
        readOwners.update { $0.append(owner) }
        let wanted = Set(series)
        return stored.filter { summary in
            summary.key.owner == owner && (from..<to).contains(summary.key.windowStart)
                && wanted.contains(
                    StoredSeries(
                        type: summary.key.type, processType: summary.key.processType, metric: summary.key.metric))
        }
        .sorted { $0.key.windowStart < $1.key.windowStart }
    }

    func newestWindows(owner: String, from: EventTime, to: EventTime) async throws -> [String: EventTime] {
        var newest: [String: EventTime] = [:]
        for summary in stored where summary.key.owner == owner && (from..<to).contains(summary.key.windowStart) {
            newest[summary.key.processType] = max(
                newest[summary.key.processType] ?? summary.key.windowStart, summary.key.windowStart)
        }
        return newest
    }
}
