/// The request-wide settings of a render: its window and graphite's defaults.
package struct RenderContext: Sendable, Hashable {
    /// The request's `from`, seconds since the epoch (graphite-web's startTime, after swapping if after `until`).
    package var from: Int64
    /// The request's `until`, seconds since the epoch.
    package var until: Int64
    /// The request's `now`, seconds since the epoch: fetches never reach past it.
    package var now: Int64
    /// graphite's `xFilesFactor` request parameter (default 0).
    package var xFilesFactor: Double
    /// The step of stored series, which planning assumes for the series it has not fetched yet.
    package var storageStep: Int64

    package init(from: Int64, until: Int64, now: Int64, xFilesFactor: Double = 0, storageStep: Int64 = 60) {
        self.from = from
        self.until = until
        self.now = now
        self.xFilesFactor = xFilesFactor
        self.storageStep = storageStep
    }
}

/// One read the store must answer: every series matching a path pattern over a window (seconds since the epoch).
///
/// The store answers with one ``RenderSeries`` per matching path, named by the path, over
/// ``RenderSeries/fetchWindow(from:until:now:step:)`` of this window, as graphite-web's whisper reader does.
package struct FetchRequest: Sendable, Hashable, CustomStringConvertible {
    package var pathExpression: String
    package var from: Int64
    package var until: Int64

    package init(pathExpression: String, from: Int64, until: Int64) {
        self.pathExpression = pathExpression
        self.from = from
        self.until = until
    }

    package var description: String { "\(pathExpression) [\(from), \(until)]" }
}

/// The fetches a set of targets needs, found by evaluating them over placeholder data: every path in its window,
/// `timeShift`'s shifted windows, and `movingAverage`'s bootstrap window before `from` (its window in points is
/// converted with the step the evaluated series has, `RenderContext.storageStep` for stored series). Evaluating also
/// validates every call, so a malformed request fails before anything is read.
package enum QueryPlan {
    /// The distinct fetches, in the order evaluation first needs them.
    package static func fetches(
        for targets: [TargetExpression], context: RenderContext
    ) throws(QueryError)
        -> [FetchRequest]
    {
        var requests: [FetchRequest] = []
        var seen: Set<FetchRequest> = []
        let recorder = FetchRecorder()
        let evaluator = TargetEvaluator(context: context) { (request: FetchRequest) throws(QueryError) in
            recorder.requests.append(request)
            guard
                let window = RenderSeries.fetchWindow(
                    from: request.from, until: request.until, now: context.now, step: context.storageStep)
            else { return [] }
            let count = Int((window.end - window.start) / context.storageStep)
            return [
                RenderSeries(
                    name: request.pathExpression, start: window.start, end: window.end, step: context.storageStep,
                    values: Array(repeating: nil, count: count))
            ]
        }
        for target in targets { _ = try evaluator.evaluate(target) }
        for request in recorder.requests where seen.insert(request).inserted { requests.append(request) }
        return requests
    }

    private final class FetchRecorder {
        var requests: [FetchRequest] = []
    }
}

/// Evaluates targets over fetched series with graphite-web 1.1.8's semantics.
package struct TargetEvaluator {
    package let context: RenderContext
    let fetch: (FetchRequest) throws(QueryError) -> [RenderSeries]

    /// An evaluator reading series through `fetch`.
    package init(context: RenderContext, fetch: @escaping (FetchRequest) throws(QueryError) -> [RenderSeries]) {
        self.context = context
        self.fetch = fetch
    }

    /// An evaluator over the answers to ``QueryPlan/fetches(for:context:)``; a fetch the plan did not list fails
    /// with `.unplannedFetch`, a programming error.
    package init(context: RenderContext, fetched: [FetchRequest: [RenderSeries]]) {
        self.init(context: context) { (request: FetchRequest) throws(QueryError) in
            guard let series = fetched[request] else {
                throw QueryError(.unplannedFetch, "no data was fetched for \(request)")
            }
            return series
        }
    }

    /// The series of one target, in graphite's order. Fetched series take the path expression and the request's
    /// xFilesFactor, as graphite-web's fetch gives them.
    package func evaluate(_ target: TargetExpression) throws(QueryError) -> [RenderSeries] {
        let window = EvaluationWindow(from: context.from, until: context.until)
        switch try evaluate(target, window: window) {
        case .seriesList(let series): return series
        case let other:
            throw QueryError(.invalidCall(function: ""), "a target must be a path or a call, not \(other)")
        }
    }

    /// The series of several targets, concatenated in order.
    package func evaluate(_ targets: [TargetExpression]) throws(QueryError) -> [RenderSeries] {
        var result: [RenderSeries] = []
        for target in targets { result += try evaluate(target) }
        return result
    }

    func evaluate(_ expression: TargetExpression, window: EvaluationWindow) throws(QueryError) -> ArgumentValue {
        switch expression {
        case .path(let path):
            var series = try fetch(FetchRequest(pathExpression: path, from: window.from, until: window.until))
            series.sort(by: RenderSeries.nameOrder)
            for index in series.indices {
                series[index].pathExpression = path
                series[index].xFilesFactor = context.xFilesFactor
            }
            return .seriesList(series)
        case .call(let call):
            guard let function = FunctionCatalog.function(named: call.name) else {
                throw QueryError(.invalidCall(function: call.name), "unknown function '\(call.name)'")
            }
            var positional: [ArgumentValue] = []
            for argument in call.arguments { positional.append(try evaluate(argument, window: window)) }
            var keywords: [(String, ArgumentValue)] = []
            for keyword in call.keywordArguments {
                keywords.append((keyword.name, try evaluate(keyword.value, window: window)))
            }
            let firstArgument =
                call.arguments.first
                ?? call.keywordArguments.first { $0.name == function.parameters.first?.name }?.value
            var invocation = try Invocation(
                function: function, positional: positional, keywords: keywords, firstArgument: firstArgument,
                window: window, evaluator: self)
            return .seriesList(try function.implementation(&invocation))
        case .integer(let value): return .integer(value)
        case .float(let value): return .float(value)
        case .string(let value): return .string(value)
        case .boolean(let value): return .boolean(value)
        case .none: return .none
        }
    }
}

/// The window a (sub-)expression is evaluated over; `timeShift` and `movingAverage` move it.
struct EvaluationWindow: Hashable {
    var from: Int64
    var until: Int64
}

/// An evaluated argument.
enum ArgumentValue: CustomStringConvertible {
    case seriesList([RenderSeries])
    case integer(Int)
    case float(Double)
    case string(String)
    case boolean(Bool)
    case none

    var description: String {
        switch self {
        case .seriesList(let series): "a list of \(series.count) series"
        case .integer(let value): String(value)
        case .float(let value): PythonNumberFormat.repr(value)
        case .string(let value): "'\(value)'"
        case .boolean(let value): value ? "true" : "false"
        case .none: "none"
        }
    }
}
