import DrainpipeCore

/// Minute data for evaluator tests: each path's value at a minute is a function of the minute's timestamp, answered
/// over whisper's window for each fetch, the way the render API's store answers.
struct QueryTestStore {
    var series: [String: @Sendable (Int64) -> Double?]
    var step: Int64 = 60
    var now: Int64 = 1_000_000

    /// Values by minute index from `firstTimestamp`, nil outside.
    static func listed(_ values: [Double?], from firstTimestamp: Int64) -> @Sendable (Int64) -> Double? {
        { timestamp in
            let index = Int((timestamp - firstTimestamp) / 60)
            return values.indices.contains(index) ? values[index] : nil
        }
    }

    func answer(_ request: FetchRequest) throws(QueryError) -> [RenderSeries] {
        let pattern = try MetricPathPattern(request.pathExpression)
        guard let window = RenderSeries.fetchWindow(from: request.from, until: request.until, now: now, step: step)
        else { return [] }
        return series.keys.filter(pattern.matches).map { path in
            RenderSeries(
                name: path, start: window.start, end: window.end, step: step,
                values: stride(from: window.start, to: window.end, by: Int(step)).map { series[path]!($0) })
        }
    }

    /// Plans the targets, answers the plan, evaluates over the answers: the path the render API takes.
    func render(_ targets: [String], from: Int64, until: Int64) throws -> [RenderSeries] {
        let parsed = try targets.map { (text: String) throws -> TargetExpression in try TargetExpression.parse(text) }
        let context = RenderContext(from: from, until: until, now: now, storageStep: step)
        var fetched: [FetchRequest: [RenderSeries]] = [:]
        for request in try QueryPlan.fetches(for: parsed, context: context) { fetched[request] = try answer(request) }
        return try TargetEvaluator(context: context, fetched: fetched).evaluate(parsed)
    }

    func render(_ target: String, from: Int64, until: Int64) throws -> [RenderSeries] {
        try render([target], from: from, until: until)
    }
}
