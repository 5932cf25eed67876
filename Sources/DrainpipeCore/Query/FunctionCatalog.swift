/// One render function: what `/functions` lists about it and what the evaluator runs, from one table entry so the
/// two cannot drift.
package struct GraphiteFunction: Sendable {
    package let name: String
    /// graphite-web's group (`Combine`, `Transform`, `Calculate`, `Filter Series`, `Alias`, `Special`).
    package let group: String
    /// The Python signature graphite-web shows, e.g. `summarize(seriesList, intervalString, func='sum', …)`.
    package let signature: String
    package let summary: String
    package let parameters: [FunctionParameter]
    /// Whether `groupByNode` may name it as its callback.
    package let isAggregator: Bool
    let implementation: @Sendable (inout Invocation) throws(QueryError) -> [RenderSeries]

    init(
        _ name: String, group: String, signature: String, summary: String, parameters: [FunctionParameter],
        isAggregator: Bool = false,
        implementation: @escaping @Sendable (inout Invocation) throws(QueryError) -> [RenderSeries]
    ) {
        self.name = name
        self.group = group
        self.signature = signature
        self.summary = summary
        self.parameters = parameters
        self.isAggregator = isAggregator
        self.implementation = implementation
    }
}

/// One parameter of a render function, as graphite-web 1.1's `Param` describes it.
package struct FunctionParameter: Sendable {
    package let name: String
    package let type: ParameterType
    package let isRequired: Bool
    package let defaultValue: ParameterDefault?
    /// Whether it takes every remaining positional argument (`*seriesLists`, `*nodes`).
    package let allowsMultiple: Bool
    /// The values it accepts, when restricted.
    package let options: [String]
    package let suggestions: [ParameterDefault]

    init(
        _ name: String, _ type: ParameterType, required: Bool = false, defaultValue: ParameterDefault? = nil,
        multiple: Bool = false, options: [String] = [], suggestions: [ParameterDefault] = []
    ) {
        self.name = name
        self.type = type
        self.isRequired = required
        self.defaultValue = defaultValue
        self.allowsMultiple = multiple
        self.options = options.isEmpty && (type == .aggFunc || type == .aggOrSeriesFunc) ? [] : options
        self.suggestions = suggestions
    }

    /// The options `/functions` lists: the parameter's own, or every aggregation function for `aggFunc`, sorted.
    package var listedOptions: [String] {
        switch type {
        case .aggFunc: AggregationFunction.graphiteNames.sorted()
        case .aggOrSeriesFunc:
            (AggregationFunction.graphiteNames + FunctionCatalog.functions.filter(\.isAggregator).map(\.name)).sorted()
        default: options.sorted()
        }
    }
}

/// graphite-web's parameter type names.
package enum ParameterType: String, Sendable {
    case boolean, float, integer, interval, intOrInterval, intOrInf, node, nodeOrTag, seriesList, seriesLists
    case string, any, aggFunc, aggOrSeriesFunc
}

/// A default or suggested value in `/functions`.
package enum ParameterDefault: Sendable, Hashable {
    case integer(Int)
    case float(Double)
    case string(String)
    case boolean(Bool)

    /// JSON text; infinity as `1e9999`, as graphite-web writes it.
    var json: String {
        switch self {
        case .integer(let value): String(value)
        case .float(let value): value == .infinity ? "1e9999" : PythonNumberFormat.repr(value)
        case .string(let value): JSONStringLiteral.quoted(value)
        case .boolean(let value): value ? "true" : "false"
        }
    }
}

/// The render functions Drainpipe implements, by name.
package enum FunctionCatalog {
    /// Every function, sorted by name.
    package static let functions: [GraphiteFunction] =
        (combineFunctions + transformFunctions + filterFunctions
        + aliasFunctions + specialFunctions).sorted { $0.name < $1.name }

    private static let functionsByName: [String: GraphiteFunction] = Dictionary(
        functions.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })

    package static func function(named name: String) -> GraphiteFunction? { functionsByName[name] }

    /// graphite-web 1.1's `/functions` document: `{name: info}`, or `{group: {name: info}}` when `grouped`, limited
    /// to one group when `group` is given. Each info has `name`, `function`, `description`, `module`, `group` and
    /// `params` (`name`, `type`, then `required`, `default`, `multiple`, `options`, `suggestions` when set).
    package static func json(grouped: Bool = false, group: String? = nil) -> String {
        let selected = functions.filter { group == nil || $0.group == group }
        if grouped {
            let groups = Dictionary(grouping: selected, by: \.group).sorted { $0.key < $1.key }
            let entries = groups.map { name, members in
                JSONStringLiteral.quoted(name) + ":{"
                    + members.map { JSONStringLiteral.quoted($0.name) + ":" + info($0) }.joined(separator: ",")
                    + "}"
            }
            return "{" + entries.joined(separator: ",") + "}"
        }
        return "{" + selected.map { JSONStringLiteral.quoted($0.name) + ":" + info($0) }.joined(separator: ",") + "}"
    }

    /// One function's info object (graphite-web's `/functions/<name>`).
    package static func info(_ function: GraphiteFunction) -> String {
        let parameters = function.parameters.map { parameter in
            var fields = [
                "\"name\":" + JSONStringLiteral.quoted(parameter.name),
                "\"type\":" + JSONStringLiteral.quoted(parameter.type.rawValue),
            ]
            if parameter.isRequired { fields.append("\"required\":true") }
            if let defaultValue = parameter.defaultValue { fields.append("\"default\":" + defaultValue.json) }
            if parameter.allowsMultiple { fields.append("\"multiple\":true") }
            let options = parameter.listedOptions
            if !options.isEmpty {
                fields.append("\"options\":[" + options.map(JSONStringLiteral.quoted).joined(separator: ",") + "]")
            }
            if !parameter.suggestions.isEmpty {
                fields.append("\"suggestions\":[" + parameter.suggestions.map(\.json).joined(separator: ",") + "]")
            }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "{\"name\":" + JSONStringLiteral.quoted(function.name) + ",\"function\":"
            + JSONStringLiteral.quoted(function.signature)
            + ",\"description\":" + JSONStringLiteral.quoted(function.summary)
            + ",\"module\":\"graphite.render.functions\""
            + ",\"group\":" + JSONStringLiteral.quoted(function.group) + ",\"params\":["
            + parameters.joined(separator: ",") + "]}"
    }
}

/// One call being evaluated: its arguments bound to the function's parameters and checked against their types.
struct Invocation {
    let function: GraphiteFunction
    /// Per parameter, the values bound to it: none, one, or several for a multiple parameter.
    var bound: [[ArgumentValue]]
    /// The first argument as written, for the functions that evaluate it again over another window.
    let firstArgument: TargetExpression?
    let window: EvaluationWindow
    let evaluator: TargetEvaluator

    var context: RenderContext { evaluator.context }

    /// Binds as graphite-web's `validateParams` does: positional arguments in order (a multiple last parameter
    /// takes the rest), keyword arguments to the parameters after them; `none` leaves an optional parameter unset.
    init(
        function: GraphiteFunction, positional: [ArgumentValue], keywords: [(String, ArgumentValue)],
        firstArgument: TargetExpression?, window: EvaluationWindow, evaluator: TargetEvaluator
    ) throws(QueryError) {
        self.function = function
        self.firstArgument = firstArgument
        self.window = window
        self.evaluator = evaluator
        let parameters = function.parameters
        bound = Array(repeating: [], count: parameters.count)
        let name = function.name
        guard positional.count + keywords.count <= parameters.count || parameters.last?.allowsMultiple == true else {
            throw QueryError(.invalidCall(function: name), "too many arguments for function '\(name)'")
        }
        for (index, value) in positional.enumerated() {
            let parameterIndex = min(index, parameters.count - 1)
            guard index < parameters.count || parameters[parameterIndex].allowsMultiple else {
                throw QueryError(.invalidCall(function: name), "too many arguments for function '\(name)'")
            }
            bound[parameterIndex].append(try Self.check(value, for: parameters[parameterIndex], function: name))
        }
        for (keyword, value) in keywords {
            guard let parameterIndex = parameters.firstIndex(where: { $0.name == keyword }),
                parameterIndex >= positional.count
            else {
                throw QueryError(
                    .invalidCall(function: name), "unexpected keyword argument '\(keyword)' for function '\(name)'")
            }
            bound[parameterIndex] = [try Self.check(value, for: parameters[parameterIndex], function: name)]
        }
        for (index, parameter) in parameters.enumerated() where parameter.isRequired {
            if bound[index].isEmpty || bound[index].contains(where: { if case .none = $0 { true } else { false } }) {
                throw QueryError(
                    .invalidCall(function: name), "missing required argument '\(parameter.name)' for function '\(name)'"
                )
            }
        }
        for index in bound.indices {
            bound[index].removeAll { if case .none = $0 { true } else { false } }
        }
    }

    /// The value converted to what the parameter's type promises, or an error naming the function and parameter.
    static func check(
        _ value: ArgumentValue, for parameter: FunctionParameter, function: String
    ) throws(QueryError)
        -> ArgumentValue
    {
        if case .none = value { return value }
        func invalid() -> QueryError {
            QueryError(
                .invalidCall(function: function),
                "invalid \(parameter.type.rawValue) value for argument '\(parameter.name)' of function '\(function)': "
                    + "\(value)")
        }
        var checked: ArgumentValue
        switch (parameter.type, value) {
        case (.seriesList, .seriesList), (.seriesLists, .seriesList), (.any, _): checked = value
        case (.float, .integer(let integer)): checked = .float(Double(integer))
        case (.float, .float): checked = value
        case (.float, .string(let text)):
            guard let number = Double(text) else { throw invalid() }
            checked = .float(number)
        case (.integer, .integer), (.node, .integer), (.nodeOrTag, .integer), (.nodeOrTag, .string): checked = value
        case (.integer, .string(let text)), (.node, .string(let text)):
            guard let number = Int(text) else { throw invalid() }
            checked = .integer(number)
        case (.intOrInf, .integer): checked = value
        case (.intOrInf, .float(let number)) where number == .infinity: checked = value
        case (.boolean, .boolean): checked = value
        case (.boolean, .string(let text)) where ["true", "false"].contains(text.lowercased()):
            checked = .boolean(text.lowercased() == "true")
        case (.boolean, .integer(let number)) where number == 0 || number == 1: checked = .boolean(number == 1)
        case (.boolean, .float(let number)) where number == 0 || number == 1: checked = .boolean(number == 1)
        case (.interval, .string(let text)):
            do { _ = try GraphiteTime.intervalSeconds(text) } catch { throw invalid() }
            checked = value
        case (.intOrInterval, .integer), (.intOrInterval, .float): checked = value
        case (.intOrInterval, .string(let text)):
            do { _ = try GraphiteTime.intervalSeconds(text) } catch { throw invalid() }
            checked = value
        case (.string, .string): checked = value
        case (.aggFunc, .string(let text)):
            guard AggregationFunction(graphiteName: Self.withoutSeriesSuffix(text)) != nil else { throw invalid() }
            checked = value
        case (.aggOrSeriesFunc, .string(let text)):
            guard
                AggregationFunction(graphiteName: Self.withoutSeriesSuffix(text)) != nil
                    || FunctionCatalog.function(named: text)?.isAggregator == true
            else { throw invalid() }
            checked = value
        default: throw invalid()
        }
        if !parameter.options.isEmpty, case .string(let text) = checked, !parameter.options.contains(text) {
            throw QueryError(
                .invalidCall(function: function),
                "invalid option for argument '\(parameter.name)' of function '\(function)': '\(text)' (one of "
                    + parameter.options.joined(separator: ", ") + ")")
        }
        return checked
    }

    /// graphite accepts `sumSeries` for `sum` as an aggregation function name.
    static func withoutSeriesSuffix(_ name: String) -> String {
        name.hasSuffix("Series") && name.count > 6 ? String(name.dropLast(6)) : name
    }

    // MARK: - Reading bound arguments

    func error(_ message: String) -> QueryError {
        QueryError(.invalidCall(function: function.name), "\(function.name): \(message)")
    }

    func isSet(_ index: Int) -> Bool { !bound[index].isEmpty }

    func seriesList(_ index: Int) -> [RenderSeries] {
        if case .seriesList(let series)? = bound[index].first { return series }
        return []
    }

    /// Every series list bound to a multiple parameter, concatenated.
    func seriesLists(_ index: Int) -> [[RenderSeries]] {
        bound[index].map { if case .seriesList(let series) = $0 { series } else { [] } }
    }

    func float(_ index: Int) -> Double? {
        switch bound[index].first {
        case .float(let value)?: value
        case .integer(let value)?: Double(value)
        default: nil
        }
    }

    func integer(_ index: Int) -> Int? {
        if case .integer(let value)? = bound[index].first { return value }
        return nil
    }

    func string(_ index: Int) -> String? {
        if case .string(let value)? = bound[index].first { return value }
        return nil
    }

    func boolean(_ index: Int) -> Bool? {
        if case .boolean(let value)? = bound[index].first { return value }
        return nil
    }

    /// The aggregation a (validated) `aggFunc` argument names, with graphite's name for series names.
    func aggregation(_ index: Int, default defaultName: String) -> (function: AggregationFunction, name: String) {
        let name = Self.withoutSeriesSuffix(string(index) ?? defaultName)
        return (AggregationFunction(graphiteName: name) ?? .average, name)
    }

    /// Evaluates the first argument again over another window (graphite's re-evaluation of `args[0]`).
    func evaluateFirstArgument(from: Int64, until: Int64) throws(QueryError) -> [RenderSeries] {
        guard let firstArgument else { return [] }
        if case .seriesList(let series) = try evaluator.evaluate(
            firstArgument, window: EvaluationWindow(from: from, until: until))
        {
            return series
        }
        return []
    }
}
