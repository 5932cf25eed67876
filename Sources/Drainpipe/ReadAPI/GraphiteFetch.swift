import DrainpipeCore
import HTTPTypes
import Hummingbird

/// Fetching the series of path patterns over a time range for one token, as whisper answers graphite-web.
struct GraphiteFetch: Sendable {
    var routes: GraphiteQueryRoutes
    var access: ReadAccess

    /// The stored period: every summary is one minute.
    static let step: Int64 = 60

    /// The leaves every pattern matches, in pattern order and path order within one.
    /// - Throws: 422 when more distinct paths match than the token's fan-out limit, naming both numbers.
    func leaves(
        _ patterns: [MetricPathPattern], from: EventTime
    ) async throws -> [[PathCatalog.Match]] {
        var leaves: [[PathCatalog.Match]] = []
        var distinct: [String: String] = [:]  // path → owner
        for pattern in patterns {
            let matched = try await routes.matches(pattern, access: access, from: from).filter(\.isLeaf)
            for match in matched { distinct[match.path] = match.source?.owner }
            leaves.append(matched)
        }
        let total = distinct.count
        guard total <= access.seriesPerQuery else {
            throw HTTPError(
                .unprocessableContent,
                message: "The targets match \(total) series; the limit is \(access.seriesPerQuery) per request.")
        }
        if let quota = routes.quota {
            for (ownerID, paths) in Dictionary(grouping: distinct.values, by: { $0 }) {
                if let owner = access.owners.first(where: { $0.id == ownerID }) {
                    quota.charge(owner, series: paths.count)
                }
            }
        }
        return leaves
    }

    /// The series of `leaves` over `[start, end)`, read in one store call per owner (only the columns the paths'
    /// readings use: sketches only for quantiles): each named by its path, with one exact point per minute (nil
    /// where nothing was stored) and the path's statistic.
    func series(
        of leaves: [PathCatalog.Match], start: Int64, end: Int64
    ) async throws -> [RenderSeries] {
        let sources = leaves.compactMap(\.source)
        let from = EventTime(secondsSinceEpoch: start)
        let to = EventTime(secondsSinceEpoch: end)
        var byKey: [SeriesIdentity: [Int64: Summary]] = [:]
        for (owner, ofOwner) in Dictionary(grouping: sources, by: \.owner) {
            let wanted = Array(Set(ofOwner.map(\.series))).sorted()
            let parts = SummaryParts(readings: ofOwner.map(\.reading))
            for summary in try await routes.store.summaries(
                owner: owner, series: wanted, parts: parts, from: from, to: to)
            {
                let identity = SeriesIdentity(
                    owner: owner,
                    series: StoredSeries(
                        type: summary.key.type, processType: summary.key.processType, metric: summary.key.metric))
                let minute = summary.key.windowStart.secondsSinceEpoch
                if byKey[identity]?[minute] == nil {
                    byKey[identity, default: [:]][minute] = summary
                } else {
                    byKey[identity]![minute]!.merge(summary)
                }
            }
        }
        let count = Int((end - start) / Self.step)
        return leaves.compactMap { leaf in
            guard let source = leaf.source else { return nil }
            let stored = byKey[SeriesIdentity(owner: source.owner, series: source.series)] ?? [:]
            let points = (0..<count).map { stored[start + Int64($0) * Self.step].map(source.reading.point(of:)) }
            return RenderSeries(
                name: leaf.path, start: start, end: end, step: Self.step,
                exactPoints: ExactPoints(points: points, statistic: source.reading.statistic))
        }
    }

    private struct SeriesIdentity: Hashable {
        var owner: String
        var series: StoredSeries
    }
}
