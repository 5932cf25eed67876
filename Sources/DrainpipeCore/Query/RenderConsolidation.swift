/// What graphite-web 1.1.8's JSON renderer does to the evaluated series before writing them: `maxDataPoints`
/// consolidation and `noNullPoints` filtering.
package enum RenderConsolidation {
    /// The series consolidated so none has more than `maxDataPoints` points, as graphite-web's JSON renderer does:
    /// with the time range from the earliest start to the latest end of all series, a series with more than
    /// `maxDataPoints` steps in that range combines `ceil(steps / maxDataPoints)` values per point, its start moved
    /// to the next multiple of the new step (graphite's "nudge", which also drops one value less than the steps it
    /// moves over), and `maxDataPoints` 1 combines each series into a single point. Series with exact points merge
    /// them; the others use their consolidation function.
    package static func consolidate(_ series: [RenderSeries], maxDataPoints: Int) -> [RenderSeries] {
        guard maxDataPoints > 0, let earliest = series.map(\.start).min(), let latest = series.map(\.end).max() else {
            return series
        }
        let timeRange = Double(latest - earliest)
        return series.map { series in
            if maxDataPoints == 1 { return series.consolidated(valuesPerPoint: series.values.count) }
            let numberOfDataPoints = timeRange / Double(series.step)
            guard Double(maxDataPoints) < numberOfDataPoints else { return series }
            let valuesPerPoint = Int((numberOfDataPoints / Double(maxDataPoints)).rounded(.up))
            let secondsPerPoint = Int64(valuesPerPoint) * series.step
            let nudge =
                secondsPerPoint + RenderSeries.floorModulo(series.start, series.step)
                - RenderSeries.floorModulo(series.start, secondsPerPoint)
            var shifted = series
            shifted.start += nudge
            let valuesToLose = Int(nudge / series.step)
            if valuesToLose > 1 { shifted.dropLeadingValues(valuesToLose - 1) }
            return shifted.consolidated(valuesPerPoint: valuesPerPoint)
        }
    }

    /// The `(value, timestamp)` pairs a JSON response lists for each series, after `maxDataPoints` when given; with
    /// `noNullPoints`, nil and NaN values are left out and series left with no points are dropped.
    package static func datapoints(
        _ series: [RenderSeries], maxDataPoints: Int?, noNullPoints: Bool
    ) -> [(series: RenderSeries, datapoints: [(value: Double?, timestamp: Int64)])] {
        let consolidated = maxDataPoints.map { consolidate(series, maxDataPoints: $0) } ?? series
        return consolidated.compactMap { series in
            var points = series.datapoints
            if noNullPoints {
                points.removeAll { $0.value == nil || $0.value!.isNaN }
                if points.isEmpty { return nil }
            }
            return (series, points)
        }
    }
}

extension RenderSeries {
    /// Removes the first `count` values (and exact points), leaving `start` alone as graphite's renderer does.
    mutating func dropLeadingValues(_ count: Int) {
        if let exactPoints {
            var remaining = exactPoints
            remaining.points.removeFirst(min(count, remaining.points.count))
            setExactPoints(remaining)
        } else {
            values.removeFirst(min(count, values.count))
        }
    }
}
