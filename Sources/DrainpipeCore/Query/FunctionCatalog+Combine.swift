/// Functions that combine several series into fewer: graphite-web's `Combine` group.
extension FunctionCatalog {
    static let combineFunctions: [GraphiteFunction] =
        [
            aggregator("sumSeries", .sum, "Adds the series together at each step (nil values are skipped)."),
            aggregator("sum", .sum, "Short form of sumSeries."),
            aggregator("averageSeries", .average, "The average of the non-nil values of the series at each step."),
            aggregator("avg", .average, "Short form of averageSeries."),
            aggregator("minSeries", .min, "The lowest value of the series at each step."),
            aggregator("maxSeries", .max, "The highest value of the series at each step."),
            aggregator(
                "diffSeries", .diff, "The first series minus all the others at each step (nil values are skipped)."),
            GraphiteFunction(
                "aggregate", group: "Combine", signature: "aggregate(seriesList, func, xFilesFactor=None)",
                summary: "Combines the series into one with the named aggregation function at each step.",
                parameters: [
                    FunctionParameter("seriesList", .seriesList, required: true),
                    FunctionParameter("func", .aggFunc, required: true),
                    FunctionParameter("xFilesFactor", .float),
                ]
            ) { (invocation: inout Invocation) throws(QueryError) in
                let (function, name) = invocation.aggregation(1, default: "average")
                return aggregate(
                    invocation.seriesList(0), function: function, name: name, xFilesFactor: invocation.float(2),
                    context: invocation.context)
            },
            GraphiteFunction(
                "divideSeries", group: "Combine", signature: "divideSeries(dividendSeriesList, divisorSeries)",
                summary: "Divides each series by the one divisor series; nil where the divisor is nil or zero.",
                parameters: [
                    FunctionParameter("dividendSeriesList", .seriesList, required: true),
                    FunctionParameter("divisorSeries", .seriesList, required: true),
                ],
                implementation: divideSeries),
            percentFunction("asPercent"), percentFunction("pct"),
            GraphiteFunction(
                "groupByNode", group: "Combine", signature: "groupByNode(seriesList, nodeNum, callback='average')",
                summary: "Groups the series by one node of their paths and combines each group with the callback.",
                parameters: [
                    FunctionParameter("seriesList", .seriesList, required: true),
                    FunctionParameter("nodeNum", .nodeOrTag, required: true),
                    FunctionParameter("callback", .aggOrSeriesFunc, defaultValue: .string("average")),
                ]
            ) { (invocation: inout Invocation) throws(QueryError) in
                try groupByNodes(
                    invocation.seriesList(0), callback: invocation.string(2) ?? "average", nodes: invocation.bound[1],
                    invocation: invocation)
            },
            GraphiteFunction(
                "groupByNodes", group: "Combine", signature: "groupByNodes(seriesList, callback, *nodes)",
                summary: "Groups the series by several nodes of their paths and combines each group with the callback.",
                parameters: [
                    FunctionParameter("seriesList", .seriesList, required: true),
                    FunctionParameter("callback", .aggOrSeriesFunc, required: true),
                    FunctionParameter("nodes", .nodeOrTag, multiple: true),
                ]
            ) { (invocation: inout Invocation) throws(QueryError) in
                try groupByNodes(
                    invocation.seriesList(0), callback: invocation.string(1) ?? "average", nodes: invocation.bound[2],
                    invocation: invocation)
            },
        ]

    private static func aggregator(
        _ name: String, _ function: AggregationFunction, _ summary: String
    )
        -> GraphiteFunction
    {
        let seriesName = function == .average ? "average" : function.rawValue
        return GraphiteFunction(
            name, group: "Combine", signature: "\(name)(*seriesLists)", summary: summary,
            parameters: [FunctionParameter("seriesLists", .seriesList, required: true, multiple: true)],
            isAggregator: true
        ) { (invocation: inout Invocation) throws(QueryError) in
            aggregate(
                invocation.seriesLists(0).flatMap { $0 }, function: function, name: seriesName, xFilesFactor: nil,
                context: invocation.context)
        }
    }

    private static func divideSeries(_ invocation: inout Invocation) throws(QueryError) -> [RenderSeries] {
        let dividends = invocation.seriesList(0)
        let divisors = invocation.seriesList(1)
        guard let divisor = divisors.first else {
            return dividends.map { series in
                series.copy(
                    name: "divideSeries(\(series.name),MISSING)",
                    values: Array(repeating: nil, count: series.values.count))
            }
        }
        guard divisors.count == 1 else {
            throw invocation.error("the second argument must reference exactly 1 series (got \(divisors.count))")
        }
        return dividends.map { dividend in
            let normalized = normalize([dividend, divisor])!
            return RenderSeries(
                name: "divideSeries(\(dividend.name),\(divisor.name))", start: normalized.start, end: normalized.end,
                step: normalized.step,
                values: rows(normalized.series).map { safeDivide($0[0], $0[1]) },
                xFilesFactor: invocation.context.xFilesFactor)
        }
    }

    private static func percentFunction(_ name: String) -> GraphiteFunction {
        GraphiteFunction(
            name, group: "Combine", signature: "\(name)(seriesList, total=None, *nodes)",
            summary: "Each series as a percentage of a total: a number, one series, one series per input, or (without "
                + "a total) their sum; with nodes, per group of series sharing those nodes.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("total", .any),
                FunctionParameter("nodes", .nodeOrTag, multiple: true),
            ],
            isAggregator: true, implementation: asPercent)
    }

    private static func percent(_ value: Double?, of total: Double?) -> Double? {
        safeDivide(value, total).map { $0 * 100.0 }
    }

    private static func asPercent(_ invocation: inout Invocation) throws(QueryError) -> [RenderSeries] {
        let xFilesFactor = invocation.context.xFilesFactor
        let total = invocation.bound[1].first
        if !invocation.bound[2].isEmpty {
            return try asPercentByNodes(invocation, total: total)
        }
        guard let normalized = normalize(invocation.seriesList(0)) else { return [] }
        var seriesList = normalized.series
        let totalValues: [Double?]
        let totalText: String
        switch total {
        case nil:
            totalValues = rows(seriesList).map(safeSum)
            totalText = "sumSeries(\(formatPathExpressions(seriesList)))"
        case .seriesList(let totals) where totals.count == seriesList.count:
            let sortedSeries = seriesList.sorted(by: RenderSeries.nameOrder)
            let sortedTotals = totals.sorted(by: RenderSeries.nameOrder)
            return zip(sortedSeries, sortedTotals).map { series, total in
                let pair = normalize([series, total])!
                return RenderSeries(
                    name: "asPercent(\(series.name),\(total.name))", start: pair.start, end: pair.end, step: pair.step,
                    values: rows(pair.series).map { percent($0[0], of: $0[1]) }, xFilesFactor: xFilesFactor)
            }
        case .seriesList(let totals) where totals.count == 1:
            let both = normalize(seriesList + totals)!
            seriesList = Array(both.series.dropLast())
            totalValues = both.series[both.series.count - 1].values
            totalText = totals[0].name
        case .seriesList:
            throw invocation.error(
                "the total must be missing, a number, exactly 1 series or as many series as the first argument")
        case .integer, .float:
            totalValues = Array(repeating: invocation.float(1), count: seriesList[0].values.count)
            totalText = pythonText(total!)
        default:
            throw invocation.error("the total must be missing, a number or a series list")
        }
        return seriesList.map { series in
            let count = max(series.values.count, totalValues.count)
            let values = (0..<count).map { index in
                percent(
                    index < series.values.count ? series.values[index] : nil,
                    of: index < totalValues.count ? totalValues[index] : nil)
            }
            return RenderSeries(
                name: "asPercent(\(series.name),\(totalText))", start: series.start, end: series.end, step: series.step,
                values: values, xFilesFactor: xFilesFactor)
        }
    }

    /// asPercent with nodes: series and totals grouped by node key, each group's total the sum of its series.
    private static func asPercentByNodes(
        _ invocation: Invocation, total: ArgumentValue?
    ) throws(QueryError)
        -> [RenderSeries]
    {
        let nodes = invocation.bound[2]
        let xFilesFactor = invocation.context.xFilesFactor
        var keys: [String] = []
        var groups: [String: [RenderSeries]] = [:]
        for series in invocation.seriesList(0) {
            let key = nodeKey(series, nodes: nodes)
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(series)
        }
        func summed(_ group: [RenderSeries]) -> RenderSeries {
            guard group.count > 1, let normalized = normalize(group) else { return group[0] }
            return RenderSeries(
                name: "sumSeries(\(formatPathExpressions(group)))", start: normalized.start, end: normalized.end,
                step: normalized.step, values: rows(normalized.series).map(safeSum), xFilesFactor: xFilesFactor)
        }
        var totals: [String: RenderSeries] = [:]
        switch total {
        case nil:
            for key in keys { totals[key] = summed(groups[key]!) }
        case .seriesList(let totalList):
            var totalGroups: [String: [RenderSeries]] = [:]
            for series in totalList {
                let key = nodeKey(series, nodes: nodes)
                if totalGroups[key] == nil, groups[key] == nil { keys.append(key) }
                totalGroups[key, default: []].append(series)
            }
            for (key, group) in totalGroups { totals[key] = summed(group) }
        default:
            throw invocation.error("the total must be missing or a series list when nodes are given")
        }
        var result: [RenderSeries] = []
        for key in keys {
            guard let group = groups[key] else {
                let total = totals[key]!
                result.append(
                    RenderSeries(
                        name: "asPercent(MISSING,\(total.name))", start: total.start, end: total.end, step: total.step,
                        values: Array(repeating: nil, count: total.values.count), xFilesFactor: xFilesFactor))
                continue
            }
            for series in group {
                guard let total = totals[key] else {
                    result.append(
                        RenderSeries(
                            name: "asPercent(\(series.name),MISSING)", start: series.start, end: series.end,
                            step: series.step, values: Array(repeating: nil, count: series.values.count),
                            xFilesFactor: xFilesFactor))
                    continue
                }
                let pair = normalize([series, total])!
                result.append(
                    RenderSeries(
                        name: "asPercent(\(series.name),\(total.name))", start: pair.start, end: pair.end,
                        step: pair.step, values: rows(pair.series).map { percent($0[0], of: $0[1]) },
                        xFilesFactor: xFilesFactor))
            }
        }
        return result
    }

    private static func groupByNodes(
        _ seriesList: [RenderSeries], callback: String, nodes: [ArgumentValue], invocation: Invocation
    ) throws(QueryError) -> [RenderSeries] {
        var keys: [String] = []
        var groups: [String: [RenderSeries]] = [:]
        for series in seriesList {
            let key = nodeKey(series, nodes: nodes)
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(series)
        }
        var result: [RenderSeries] = []
        for key in keys {
            var combined: [RenderSeries]
            if let function = FunctionCatalog.function(named: callback), function.isAggregator {
                var inner = invocation
                inner.bound = Array(repeating: [], count: function.parameters.count)
                inner.bound[0] = [.seriesList(groups[key]!)]
                combined = try function.implementation(&inner)
            } else {
                let name = Invocation.withoutSeriesSuffix(callback)
                combined = aggregate(
                    groups[key]!, function: AggregationFunction(graphiteName: name) ?? .average, name: name,
                    xFilesFactor: nil, context: invocation.context)
            }
            guard var first = combined.first else { continue }
            first.name = key
            result.append(first)
        }
        return result
    }
}
