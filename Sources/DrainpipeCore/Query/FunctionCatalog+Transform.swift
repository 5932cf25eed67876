/// Functions that change each series' values: graphite-web's `Transform` and `Calculate` groups.
extension FunctionCatalog {
    static let transformFunctions: [GraphiteFunction] = [
        GraphiteFunction(
            "scale", group: "Transform", signature: "scale(seriesList, factor)",
            summary: "Multiplies every value by the factor.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("factor", .float, required: true),
            ]
        ) { (invocation: inout Invocation) throws(QueryError) in
            let factor = invocation.float(1)!
            let factorInName = PythonNumberFormat.g(factor)
            let factorTag = PythonNumberFormat.repr(factor)
            return invocation.seriesList(0).map { series in
                var result = series.copy(
                    name: "scale(\(series.name),\(factorInName))", values: series.values.map { $0.map { $0 * factor } })
                result.tags["scale"] = factorTag
                return result
            }
        },
        GraphiteFunction(
            "offset", group: "Transform", signature: "offset(seriesList, factor)",
            summary: "Adds the factor to every non-nil value.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("factor", .float, required: true),
            ]
        ) { (invocation: inout Invocation) throws(QueryError) in
            let factor = invocation.float(1)!
            let factorInName = PythonNumberFormat.g(factor)
            let factorTag = PythonNumberFormat.repr(factor)
            return invocation.seriesList(0).map { series in
                var result = series.copy(
                    name: "offset(\(series.name),\(factorInName))", values: series.values.map { $0.map { $0 + factor } }
                )
                result.tags["offset"] = factorTag
                return result
            }
        },
        GraphiteFunction(
            "derivative", group: "Transform", signature: "derivative(seriesList)",
            summary: "The difference between each value and the one before it (nil after a nil and at the start).",
            parameters: [FunctionParameter("seriesList", .seriesList, required: true)]
        ) { (invocation: inout Invocation) throws(QueryError) in
            invocation.seriesList(0).map { series in
                var previous: Double?
                let values = series.values.map { value -> Double? in
                    defer { previous = value }
                    guard let value, let previous else { return nil }
                    return value - previous
                }
                var result = series.copy(name: "derivative(\(series.name))", values: values)
                result.tags["derivative"] = "1"
                return result
            }
        },
        deltaFunction(
            "nonNegativeDerivative",
            summary: "The increase of a counter from each value to the next; a decrease (a counter wrap or reset) "
                + "is nil unless maxValue or minValue say where the counter wraps.",
            perSecond: false),
        deltaFunction(
            "perSecond",
            summary: "nonNegativeDerivative divided by the step in seconds, rounded to 6 decimals.", perSecond: true),
        GraphiteFunction(
            "integral", group: "Transform", signature: "integral(seriesList)",
            summary: "The running sum of the values (nil steps stay nil and add nothing).",
            parameters: [FunctionParameter("seriesList", .seriesList, required: true)]
        ) { (invocation: inout Invocation) throws(QueryError) in
            invocation.seriesList(0).map { series in
                var current = 0.0
                let values = series.values.map { value -> Double? in
                    guard let value else { return nil }
                    current += value
                    return current
                }
                var result = series.copy(name: "integral(\(series.name))", values: values)
                result.tags["integral"] = "1"
                return result
            }
        },
        GraphiteFunction(
            "keepLastValue", group: "Transform", signature: "keepLastValue(seriesList, limit=inf)",
            summary: "Fills runs of at most limit nil values with the last value before them.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("limit", .intOrInf, defaultValue: .float(.infinity)),
            ],
            implementation: keepLastValue),
        GraphiteFunction(
            "transformNull", group: "Transform",
            signature: "transformNull(seriesList, default=0, referenceSeries=None)",
            summary: "Replaces nil values with the default; with referenceSeries, only at steps where some reference "
                + "series has a value.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("default", .float, defaultValue: .integer(0)),
                FunctionParameter("referenceSeries", .seriesList),
            ],
            implementation: transformNull),
        GraphiteFunction(
            "timeShift", group: "Transform",
            signature: "timeShift(seriesList, timeShift, resetEnd=True, alignDST=False)",
            summary:
                "The series as they were the interval earlier (a leading sign is '-' unless given), drawn over the "
                + "requested window.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter(
                    "timeShift", .interval, required: true,
                    suggestions: ["1h", "6h", "12h", "1d", "2d", "7d", "14d", "30d"].map(ParameterDefault.string)),
                FunctionParameter("resetEnd", .boolean, defaultValue: .boolean(true)),
                FunctionParameter("alignDst", .boolean, defaultValue: .boolean(false)),
            ],
            implementation: timeShift),
        GraphiteFunction(
            "summarize", group: "Transform",
            signature: "summarize(seriesList, intervalString, func='sum', alignToFrom=False)",
            summary: "Combines the values of each interval with func, intervals aligned to multiples of the interval "
                + "or, with alignToFrom, to the series' start. Exact points merge when func is the statistic's own.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter(
                    "intervalString", .interval, required: true,
                    suggestions: ["10min", "1h", "1d"].map(ParameterDefault.string)),
                FunctionParameter("func", .aggFunc, defaultValue: .string("sum")),
                FunctionParameter("alignToFrom", .boolean, defaultValue: .boolean(false)),
            ],
            implementation: summarize),
        GraphiteFunction(
            "movingAverage", group: "Calculate", signature: "movingAverage(seriesList, windowSize, xFilesFactor=None)",
            summary: "The average of the preceding window of points (a number) or time (an interval string), read "
                + "from before the requested window so the first step has a full window.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("windowSize", .intOrInterval, required: true, suggestions: windowSuggestions),
                FunctionParameter("xFilesFactor", .float),
            ]
        ) { (invocation: inout Invocation) throws(QueryError) in
            try movingWindow(invocation, function: .average, functionName: "average", xFilesFactor: invocation.float(2))
        },
        GraphiteFunction(
            "movingWindow", group: "Calculate",
            signature: "movingWindow(seriesList, windowSize, func='average', xFilesFactor=None)",
            summary: "func over the preceding window of points (a number) or time (an interval string), read from "
                + "before the requested window so the first step has a full window.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("windowSize", .intOrInterval, required: true, suggestions: windowSuggestions),
                FunctionParameter("func", .aggFunc, defaultValue: .string("average")),
                FunctionParameter("xFilesFactor", .float),
            ]
        ) { (invocation: inout Invocation) throws(QueryError) in
            let (function, name) = invocation.aggregation(2, default: "average")
            return try movingWindow(
                invocation, function: function, functionName: invocation.string(2) ?? name,
                xFilesFactor: invocation.float(3))
        },
    ]

    /// The most buckets `summarize` makes of one series: far more than any chart draws.
    static let maximumSummarizeBuckets: Int64 = 1_000_000

    private static let windowSuggestions: [ParameterDefault] =
        [.integer(5), .integer(7), .integer(10)]
        + ["1min", "5min", "10min", "30min", "1hour"].map(ParameterDefault.string)

    private static func deltaFunction(_ name: String, summary: String, perSecond: Bool) -> GraphiteFunction {
        GraphiteFunction(
            name, group: "Transform", signature: "\(name)(seriesList, maxValue=None, minValue=None)", summary: summary,
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("maxValue", .float),
                FunctionParameter("minValue", .float),
            ]
        ) { (invocation: inout Invocation) throws(QueryError) in
            let maxValue = invocation.float(1)
            let minValue = invocation.float(2)
            return invocation.seriesList(0).map { series in
                var previous: Double?
                let step = Double(series.step)
                let values = series.values.map { value -> Double? in
                    let delta = nonNegativeDelta(value, &previous, maxValue: maxValue, minValue: minValue)
                    return perSecond ? delta.map { roundedToMicros($0 / step) } : delta
                }
                var result = series.copy(name: "\(name)(\(series.name))", values: values)
                result.tags[name] = "1"
                return result
            }
        }
    }

    /// graphite's `_nonNegativeDelta`: the increase since `previous`, which becomes `value`.
    private static func nonNegativeDelta(
        _ value: Double?, _ previous: inout Double?, maxValue: Double?, minValue: Double?
    ) -> Double? {
        if let maxValue, let value, value > maxValue {
            previous = nil
            return nil
        }
        if let minValue, let value, value < minValue {
            previous = nil
            return nil
        }
        defer { previous = value }
        guard let value, let last = previous else { return nil }
        if value >= last { return value - last }
        if let maxValue { return maxValue + 1 + value - last - (minValue ?? 0) }
        if let minValue { return value - minValue }
        return nil
    }

    private static func keepLastValue(_ invocation: inout Invocation) throws(QueryError) -> [RenderSeries] {
        let limit: Double =
            switch invocation.bound[1].first {
            case .integer(let value)?: Double(value)
            default: .infinity
            }
        return invocation.seriesList(0).map { series in
            var values = series.values
            var consecutiveNils = 0
            var last: Double?
            func fill(upTo end: Int) {
                if consecutiveNils > 0, Double(consecutiveNils) <= limit, let last {
                    for index in (end - consecutiveNils)..<end { values[index] = last }
                }
            }
            for (index, value) in series.values.enumerated() {
                guard let value else {
                    consecutiveNils += 1
                    continue
                }
                fill(upTo: index)
                consecutiveNils = 0
                last = value
            }
            fill(upTo: values.count)
            var result = series
            result.name = "keepLastValue(\(series.name))"
            result.pathExpression = result.name
            if values != series.values { result.values = values }
            return result
        }
    }

    private static func transformNull(_ invocation: inout Invocation) throws(QueryError) -> [RenderSeries] {
        let replacement = invocation.float(1) ?? 0
        let defaultText = invocation.isSet(1) ? PythonNumberFormat.repr(replacement) : "0"
        let references = invocation.seriesList(2)
        let defaults: [Double?]? =
            references.isEmpty ? nil : rows(references).map { row in row.contains { $0 != nil } ? replacement : nil }
        return invocation.seriesList(0).map { series in
            var result = series
            result.tags["transformNull"] = defaultText
            result.name =
                "transformNull(\(series.name),\(PythonNumberFormat.g(replacement))"
                + (defaults == nil ? ")" : ",referenceSeries)")
            if defaults != nil { result.tags["referenceSeries"] = "1" }
            result.pathExpression = result.name
            if let defaults, !defaults.isEmpty {
                let count = max(series.values.count, defaults.count)
                result.values = (0..<count).map { index in
                    (index < series.values.count ? series.values[index] : nil)
                        ?? (index < defaults.count ? defaults[index] : nil)
                }
            } else if series.values.contains(where: { $0 == nil }) {
                result.values = series.values.map { $0 ?? replacement }
            }
            return result
        }
    }

    private static func timeShift(_ invocation: inout Invocation) throws(QueryError) -> [RenderSeries] {
        var shift = invocation.string(1)!
        if let first = shift.first, first.isASCII, first.isNumber { shift = "-" + shift }
        let delta = try GraphiteTime.intervalSeconds(shift)
        let resetEnd = invocation.boolean(2) ?? true
        guard let reference = invocation.seriesList(0).first else { return [] }
        let shifted = try invocation.evaluateFirstArgument(
            from: invocation.window.from + delta, until: invocation.window.until + delta)
        return shifted.map { series in
            var result = series
            result.tags["timeShift"] = shift
            result.name = "timeShift(\(series.name), \"\(shift)\")"
            result.end = resetEnd ? reference.end : series.end - series.start + reference.start
            result.start = reference.start
            return result
        }
    }

    private static func summarize(_ invocation: inout Invocation) throws(QueryError) -> [RenderSeries] {
        let intervalText = invocation.string(1)!
        let interval = try GraphiteTime.intervalSeconds(intervalText)
        guard interval > 0 else { throw invocation.error("the interval must be positive, not '\(intervalText)'") }
        let functionName = invocation.string(2) ?? "sum"
        let (function, _) = invocation.aggregation(2, default: "sum")
        let alignToFrom = invocation.boolean(3) ?? false
        let seriesList = invocation.seriesList(0)
        if let longest = seriesList.map({ $0.end - $0.start }).max(), longest / interval > maximumSummarizeBuckets {
            throw invocation.error("'\(intervalText)' makes more than \(maximumSummarizeBuckets) buckets")
        }
        return seriesList.map { series in
            let newStart = alignToFrom ? series.start : series.start - RenderSeries.floorModulo(series.start, interval)
            var newEnd =
                alignToFrom ? series.end : series.end - RenderSeries.floorModulo(series.end, interval) + interval
            let pointCount = min(
                series.values.count, max(0, Int((series.end - series.start + series.step - 1) / series.step)))
            let intervalPoints = Double(interval) / Double(series.step)
            let exact = series.exactPoints.flatMap { $0.statistic.naturalAggregation == function ? $0 : nil }
            var values: [Double?] = []
            var mergedPoints: [MergeablePoint?] = []
            var index = 0
            var bucketStart = newStart
            while bucketStart < newEnd {
                var first = index
                var nonNil = 0
                while index < pointCount, series.start + Int64(index) * series.step < bucketStart + interval {
                    let timestamp = series.start + Int64(index) * series.step
                    if timestamp <= bucketStart { first = index }
                    if timestamp >= bucketStart, series.values[index] != nil { nonNil += 1 }
                    index += 1
                }
                let keep = meetsXFilesFactor(
                    nonNil: nonNil, total: intervalPoints, xFilesFactor: series.xFilesFactor)
                if let exact {
                    let merged =
                        keep ? ExactPoints.merge(exact.points[first..<index], denominator: 1, xFilesFactor: 0) : nil
                    mergedPoints.append(merged)
                } else {
                    values.append(keep ? function.apply(series.values[first..<index]) : nil)
                }
                bucketStart += interval
            }
            if alignToFrom { newEnd = bucketStart }
            var result = series
            result.tags["summarize"] = intervalText
            result.tags["summarizeFunction"] = functionName
            result.name =
                "summarize(\(series.name), \"\(intervalText)\", \"\(functionName)\"\(alignToFrom ? ", true" : ""))"
            result.pathExpression = result.name
            result.start = newStart
            result.end = newEnd
            result.step = interval
            if let exact {
                result = RenderSeries(
                    name: result.name, tags: result.tags, start: newStart, end: newEnd, step: interval,
                    exactPoints: ExactPoints(points: mergedPoints, statistic: exact.statistic),
                    xFilesFactor: series.xFilesFactor)
            } else {
                result.values = values
            }
            return result
        }
    }

    private static func movingWindow(
        _ invocation: Invocation, function: AggregationFunction, functionName: String, xFilesFactor: Double?
    ) throws(QueryError) -> [RenderSeries] {
        let seriesList = invocation.seriesList(0)
        guard !seriesList.isEmpty else { return [] }
        let windowArgument = invocation.bound[1][0]
        let previewSeconds: Int64
        let windowTooLarge = invocation.error("windowSize must be a number of points or an interval up to 100 years")
        switch windowArgument {
        case .string(let text): previewSeconds = abs(try GraphiteTime.intervalSeconds(text))
        case .integer, .float:
            let points: Int64
            switch windowArgument {
            case .integer(let integer): points = Int64(integer)
            case .float(let float) where float.isFinite && abs(float) < 1e12: points = Int64(float)
            default: throw windowTooLarge
            }
            let (seconds, overflow) = seriesList.map(\.step).max()!.multipliedReportingOverflow(by: points)
            guard !overflow else { throw windowTooLarge }
            previewSeconds = seconds
        default: throw invocation.error("windowSize must be a number of points or an interval string")
        }
        guard (0...(100 * 365 * 86_400)).contains(previewSeconds) else { throw windowTooLarge }
        let tagName = "moving" + functionName.prefix(1).uppercased() + functionName.dropFirst().lowercased()
        let previewList = try invocation.evaluateFirstArgument(
            from: invocation.window.from - previewSeconds, until: invocation.window.until)
        return previewList.map { series in
            let name: String
            let windowPoints: Int
            if case .string(let text) = windowArgument {
                name = "\(tagName)(\(series.name),\"\(text)\")"
                windowPoints = Int(previewSeconds / series.step)
            } else {
                name = "\(tagName)(\(series.name),\(pythonText(windowArgument)))"
                windowPoints =
                    switch windowArgument {
                    case .integer(let points): points
                    case .float(let points): Int(points)
                    default: 0
                    }
            }
            let factor = xFilesFactor ?? series.xFilesFactor
            var values: [Double?] = []
            if windowPoints >= 0, windowPoints < series.values.count {
                values.reserveCapacity(series.values.count - windowPoints)
                var nonNil: [Double?] = []
                nonNil.reserveCapacity(windowPoints)
                for index in windowPoints..<series.values.count {
                    nonNil.removeAll(keepingCapacity: true)
                    for case let value? in series.values[(index - windowPoints)..<index] { nonNil.append(value) }
                    values.append(
                        meetsXFilesFactor(nonNil: nonNil.count, total: Double(windowPoints), xFilesFactor: factor)
                            ? function.apply(nonNil) : nil)
                }
            }
            var result = series.copy(name: name, values: values)
            result.start = series.start + previewSeconds
            result.tags[tagName] = pythonText(windowArgument)
            return result
        }
    }
}
