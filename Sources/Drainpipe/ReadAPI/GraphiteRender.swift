import DrainpipeCore
import Foundation
import HTTPTypes
import Hummingbird

extension GraphiteQueryRoutes {
    /// `/render`: evaluates every `target` over the range and answers JSON (default) or CSV.
    func render(_ parameters: GraphiteParameters, access: ReadAccess) async throws -> Response {
        let format = parameters.first("format") ?? "json"
        guard format == "json" || format == "csv" else {
            throw HTTPError(.badRequest, message: "format must be json or csv.")
        }
        var maximumDataPoints: Int?
        if let text = parameters.first("maxDataPoints") {
            guard let value = Int(text), value > 0 else {
                throw HTTPError(.badRequest, message: "maxDataPoints must be a positive whole number.")
            }
            maximumDataPoints = value
        }
        let (from, until, now) = try timeRange(parameters)
        guard from < until else { throw HTTPError(.badRequest, message: "from must be before until.") }
        guard until - maximumRange <= from else {
            throw HTTPError(
                .badRequest, message: "The range may span at most \(maximumRange.components.seconds / 86_400) days.")
        }
        var expressions: [TargetExpression] = []
        for target in parameters.all("target") {
            do {
                expressions.append(try TargetExpression.parse(target))
            } catch {
                throw HTTPError(.badRequest, message: error.description)
            }
        }
        var xFilesFactor = 0.0
        if let text = parameters.first("xFilesFactor") {
            guard let value = Double(text), (0...1).contains(value) else {
                throw HTTPError(.badRequest, message: "xFilesFactor must be a number from 0 to 1.")
            }
            xFilesFactor = value
        }
        let context = RenderContext(
            from: from.secondsSinceEpoch, until: until.secondsSinceEpoch, now: now.secondsSinceEpoch,
            xFilesFactor: xFilesFactor, storageStep: GraphiteFetch.step)
        let series = try await evaluate(expressions, context: context, access: access)
        if format == "csv" { return Self.csvResponse(series) }
        let listed = RenderConsolidation.datapoints(
            series, maxDataPoints: maximumDataPoints,
            noNullPoints: parameters.pairs.contains { $0.name == "noNullPoints" })
        return Self.jsonResponse(Data(Self.json(listed).utf8))
    }

    /// The series of `expressions`: planned (QueryPlan), fetched from the token's owners (one catalog search per
    /// fetch, checked against the fan-out limit before anything is read), then evaluated.
    func evaluate(
        _ expressions: [TargetExpression], context: RenderContext, access: ReadAccess
    ) async throws -> [RenderSeries] {
        let fetches: [FetchRequest]
        do {
            fetches = try QueryPlan.fetches(for: expressions, context: context)
        } catch {
            throw HTTPError(.badRequest, message: error.description)
        }
        let fetch = GraphiteFetch(routes: self, access: access)
        let patterns = try fetches.map { try pattern($0.pathExpression) }
        let earliest = EventTime(secondsSinceEpoch: fetches.map(\.from).min() ?? context.from)
        let leaves = try await fetch.leaves(patterns, from: earliest)
        var fetched: [FetchRequest: [RenderSeries]] = [:]
        for (request, matches) in zip(fetches, leaves) {
            guard
                let window = RenderSeries.fetchWindow(
                    from: request.from, until: request.until, now: context.now, step: GraphiteFetch.step)
            else {
                fetched[request] = []
                continue
            }
            fetched[request] = try await fetch.series(of: matches, start: window.start, end: window.end)
        }
        do {
            return try TargetEvaluator(context: context, fetched: fetched).evaluate(expressions)
        } catch {
            if error.kind == .unplannedFetch { throw HTTPError(.internalServerError) }
            throw HTTPError(.badRequest, message: error.description)
        }
    }

    /// graphite-web's JSON: `[{"target", "tags", "datapoints": [[value|null, seconds], …]}]`.
    static func json(_ listed: [(series: RenderSeries, datapoints: [(value: Double?, timestamp: Int64)])]) -> String {
        var text = "["
        for (index, (series, datapoints)) in listed.enumerated() {
            if index > 0 { text += "," }
            let tags = series.tags.sorted { $0.key < $1.key }.map {
                "\(JSONStringLiteral.quoted($0.key)):\(JSONStringLiteral.quoted($0.value))"
            }
            text += "{\"target\":\(JSONStringLiteral.quoted(series.name)),"
            text += "\"tags\":{\(tags.joined(separator: ","))},\"datapoints\":["
            for (position, point) in datapoints.enumerated() {
                if position > 0 { text += "," }
                text += "[\(point.value.map(number) ?? "null"),\(point.timestamp)]"
            }
            text += "]}"
        }
        return text + "]"
    }

    /// graphite-web's CSV: `name,YYYY-MM-DD HH:MM:SS,value` per point (UTC), an empty value for null; names quoted
    /// as Python's csv module quotes them.
    static func csvResponse(_ series: [RenderSeries]) -> Response {
        var text = ""
        for one in series {
            let name = csvField(one.name)
            for (value, timestamp) in one.datapoints {
                let time = UTCDateTime(EventTime(secondsSinceEpoch: timestamp))
                let stamp = time.formatted(.rfc3339Seconds).dropLast().replacingOccurrences(of: "T", with: " ")
                text += "\(name),\(stamp),\(value.map(PythonNumberFormat.repr) ?? "")\r\n"
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number in graphite-web's JSON: Python's `repr`, NaN as `null`, infinities as `±1e9999`.
    private static func number(_ value: Double) -> String {
        if value.isNaN { return "null" }
        if value.isInfinite { return value < 0 ? "-1e9999" : "1e9999" }
        return PythonNumberFormat.repr(value)
    }
}
