/// Functions that pick series, rename them or make them up: graphite-web's `Filter Series`, `Alias` and `Special`
/// groups.
extension FunctionCatalog {
    static let filterFunctions: [GraphiteFunction] = [
        ranking("highest", highest: true, fixed: nil), ranking("lowest", highest: false, fixed: nil),
        ranking("highestCurrent", highest: true, fixed: .last), ranking("highestMax", highest: true, fixed: .max),
        ranking("highestAverage", highest: true, fixed: .average),
        ranking("lowestAverage", highest: false, fixed: .average),
        ranking("lowestCurrent", highest: false, fixed: .last),
    ]

    static let aliasFunctions: [GraphiteFunction] = [
        GraphiteFunction(
            "alias", group: "Alias", signature: "alias(seriesList, newName)", summary: "Names every series newName.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("newName", .string, required: true),
            ]
        ) { (invocation: inout Invocation) throws(QueryError) in
            let newName = invocation.string(1)!
            return invocation.seriesList(0).map { series in
                var result = series
                result.name = newName
                return result
            }
        },
        GraphiteFunction(
            "aliasByNode", group: "Alias", signature: "aliasByNode(seriesList, *nodes)",
            summary: "Names each series by the given nodes of its path (0-based, negative from the end), joined by "
                + "dots; a string node names a tag.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("nodes", .nodeOrTag, required: true, multiple: true),
            ]
        ) { (invocation: inout Invocation) throws(QueryError) in
            let nodes = invocation.bound[1]
            return invocation.seriesList(0).map { series in
                var result = series
                result.name = nodeKey(series, nodes: nodes)
                return result
            }
        },
        GraphiteFunction(
            "aliasSub", group: "Alias", signature: "aliasSub(seriesList, search, replace)",
            summary: "Renames each series by replacing every match of the regular expression search with replace, "
                + "where \\1 or \\g<name> insert a group.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter("search", .string, required: true),
                FunctionParameter("replace", .string, required: true),
            ]
        ) { (invocation: inout Invocation) throws(QueryError) in
            let substitution = try RegexSubstitution(pattern: invocation.string(1)!, template: invocation.string(2)!)
            var result = invocation.seriesList(0)
            for index in result.indices { result[index].name = try substitution.apply(to: result[index].name) }
            return result
        },
    ]

    static let specialFunctions: [GraphiteFunction] = [
        GraphiteFunction(
            "consolidateBy", group: "Special", signature: "consolidateBy(seriesList, consolidationFunc)",
            summary: "Sets how steps combine when a series has more points than maxDataPoints; this asks for "
                + "graphite's consolidation of values, so exact summaries are no longer merged.",
            parameters: [
                FunctionParameter("seriesList", .seriesList, required: true),
                FunctionParameter(
                    "consolidationFunc", .string, required: true,
                    options: ["sum", "average", "avg", "avg_zero", "min", "max", "first", "last"]),
            ]
        ) { (invocation: inout Invocation) throws(QueryError) in
            let name = invocation.string(1)!
            let function = ConsolidationFunction(graphiteName: name)!
            return invocation.seriesList(0).map { series in
                var result = series
                result.consolidation = function
                result.dropExactPoints()
                result.tags["consolidateBy"] = name
                result.name = "consolidateBy(\(series.name),\"\(name)\")"
                result.pathExpression = result.name
                return result
            }
        },
        GraphiteFunction(
            "constantLine", group: "Special", signature: "constantLine(value)",
            summary: "A series of the value across the requested window (three points).",
            parameters: [FunctionParameter("value", .float, required: true)]
        ) { (invocation: inout Invocation) throws(QueryError) in
            let value = invocation.float(0)!
            let text = PythonNumberFormat.repr(value)
            let start = invocation.window.from
            let end = invocation.window.until
            return [
                RenderSeries(
                    name: text, pathExpression: "constantLine(\(text))", start: start, end: end,
                    step: max(1, (end - start) / 2), values: [value, value, value],
                    xFilesFactor: invocation.context.xFilesFactor)
            ]
        },
    ]

    /// highest/lowest: the n series with the greatest (least) value of an aggregation over their values, in that
    /// order, ties in input order; a series whose aggregate is nil ranks below every number.
    private static func ranking(_ name: String, highest: Bool, fixed: AggregationFunction?) -> GraphiteFunction {
        var parameters = [
            FunctionParameter("seriesList", .seriesList, required: true),
            FunctionParameter("n", .integer, required: true, defaultValue: fixed == nil ? .integer(1) : nil),
        ]
        if fixed == nil { parameters.append(FunctionParameter("func", .aggFunc, defaultValue: .string("average"))) }
        let signature = fixed == nil ? "\(name)(seriesList, n=1, func='average')" : "\(name)(seriesList, n)"
        let measure =
            switch fixed {
            case .last?: "latest value"
            case .max?: "maximum"
            case .average?: "average"
            default: "aggregate (func)"
            }
        return GraphiteFunction(
            name, group: "Filter Series", signature: signature,
            summary: "The n series with the \(highest ? "highest" : "lowest") \(measure), in that order.",
            parameters: parameters
        ) { (invocation: inout Invocation) throws(QueryError) in
            let function = fixed ?? invocation.aggregation(2, default: "average").function
            let keyed = invocation.seriesList(0).enumerated().map { offset, series in
                (offset: offset, key: function.apply(series.values) ?? -.infinity, series: series)
            }
            let sorted = keyed.sorted { left, right in
                if left.key != right.key { return highest ? left.key > right.key : left.key < right.key }
                return left.offset < right.offset
            }
            return pythonPrefix(sorted.map(\.series), invocation.integer(1)!)
        }
    }
}
