/// The pieces graphite-web's functions share: normalising steps, aggregating rows, node keys, "safe" arithmetic.
extension FunctionCatalog {
    static func greatestCommonDivisor(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : greatestCommonDivisor(b, a % b) }

    /// Saturates at `Int64.max` rather than overflowing for steps no store has.
    static func leastCommonMultiple(_ a: Int64, _ b: Int64) -> Int64 {
        guard a != b else { return a }
        let (product, overflow) = (max(a, b) / greatestCommonDivisor(max(a, b), min(a, b)))
            .multipliedReportingOverflow(by: min(a, b))
        return overflow ? .max : product
    }

    /// graphite's `normalize`: every series consolidated to the least common multiple of their steps (exactly where
    /// they carry exact points), the earliest start, and the latest end trimmed to whole steps.
    static func normalize(_ series: [RenderSeries]) -> (series: [RenderSeries], start: Int64, end: Int64, step: Int64)?
    {
        guard let first = series.first else { return nil }
        let step = series.dropFirst().reduce(first.step) { leastCommonMultiple($0, $1.step) }
        let consolidated = series.map { $0.consolidated(valuesPerPoint: Int(step / $0.step)) }
        let start = series.map(\.start).min()!
        var end = series.map(\.end).max()!
        end -= RenderSeries.floorModulo(end - start, step)
        return (consolidated, start, end, step)
    }

    /// Row `i` holds every series' `i`-th value, nil past a shorter series' end (Python's `zip_longest`).
    static func rows(_ series: [RenderSeries]) -> [[Double?]] {
        let count = series.map(\.values.count).max() ?? 0
        return (0..<count).map { index in series.map { index < $0.values.count ? $0.values[index] : nil } }
    }

    /// graphite's `xff`: some non-nil values, and at least `xFilesFactor` of the total.
    static func meetsXFilesFactor(nonNil: Int, total: Double, xFilesFactor: Double) -> Bool {
        nonNil > 0 && total > 0 && Double(nonNil) / total >= xFilesFactor
    }

    /// The distinct path expressions, joined by commas as graphite names aggregates.
    static func formatPathExpressions(_ series: [RenderSeries]) -> String {
        var seen: Set<String> = []
        return series.map(\.pathExpression).filter { seen.insert($0).inserted }.joined(separator: ",")
    }

    /// graphite's `aggregate`: one series of `function` over the rows of the normalised series, named
    /// `<name>Series(<paths>)`, with the tags all inputs share plus `aggregatedBy`.
    static func aggregate(
        _ series: [RenderSeries], function: AggregationFunction, name functionName: String, xFilesFactor: Double?,
        context: RenderContext
    ) -> [RenderSeries] {
        guard let normalized = normalize(series) else { return [] }
        let factor = xFilesFactor ?? context.xFilesFactor
        let name = "\(functionName)Series(\(formatPathExpressions(normalized.series)))"
        let values = rows(normalized.series).map { row -> Double? in
            let nonNil = row.count { $0 != nil }
            return meetsXFilesFactor(nonNil: nonNil, total: Double(row.count), xFilesFactor: factor)
                ? function.apply(row) : nil
        }
        var tags = normalized.series[0].tags
        for other in normalized.series.dropFirst() { tags = tags.filter { other.tags[$0.key] == $0.value } }
        if tags["name"] == nil { tags["name"] = name }
        tags["aggregatedBy"] = functionName
        return [
            RenderSeries(
                name: name, tags: tags, start: normalized.start, end: normalized.end, step: normalized.step,
                values: values, xFilesFactor: factor)
        ]
    }

    /// graphite's `aggKey`: the chosen nodes of the series' path (its first path expression when the name is a
    /// function call), joined by dots; a node past the end, or a string, reads a tag instead ("" when absent).
    static func nodeKey(_ series: RenderSeries, nodes: [ArgumentValue]) -> String {
        let path =
            series.name.last == ")" ? TargetExpression.firstPathExpression(in: series.name) ?? series.name : series.name
        let withoutTags = path.utf8.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
        let parts = (withoutTags.first ?? path.utf8[...]).split(
            separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return nodes.map { node -> String in
            switch node {
            case .integer(let index):
                let position = index < 0 ? parts.count + index : index
                if parts.indices.contains(position) { return String(Substring(parts[position])) }
                return series.tags[String(index)] ?? ""
            case .string(let tag): return series.tags[tag] ?? ""
            default: return ""
            }
        }.joined(separator: ".")
    }

    static func safeDivide(_ dividend: Double?, _ divisor: Double?) -> Double? {
        guard let dividend, let divisor, divisor != 0 else { return nil }
        return dividend / divisor
    }

    static func safeSum(_ row: [Double?]) -> Double? { AggregationFunction.sum.apply(row) }

    /// Python's `round(value, 6)` (half to even), to within one unit in the last place.
    static func roundedToMicros(_ value: Double) -> Double {
        guard value.isFinite, abs(value) < 1e15 else { return value }
        return (value * 1e6).rounded(.toNearestOrEven) / 1e6
    }

    /// Python's `list[:count]`.
    static func pythonPrefix<Element>(_ elements: [Element], _ count: Int) -> [Element] {
        count >= 0
            ? Array(elements.prefix(count))
            : Array(elements.dropLast(Int(clamping: min(count.magnitude, UInt(elements.count)))))
    }

    /// The text graphite puts in names and tags for a number argument: `str()` of the int or float.
    static func pythonText(_ value: ArgumentValue) -> String {
        switch value {
        case .integer(let integer): String(integer)
        case .float(let float): PythonNumberFormat.repr(float)
        case .string(let text): text
        case .boolean(let flag): flag ? "True" : "False"
        case .seriesList, .none: "None"
        }
    }
}

extension RenderSeries {
    /// Python's string order (by code point, which UTF-8 bytes preserve), which graphite sorts names by.
    static func nameOrder(_ left: RenderSeries, _ right: RenderSeries) -> Bool {
        left.name.utf8.lexicographicallyPrecedes(right.name.utf8)
    }

    static func floorModulo(_ value: Int64, _ divisor: Int64) -> Int64 {
        let remainder = value % divisor
        return remainder < 0 ? remainder + divisor : remainder
    }

    /// A copy with a new name (and path expression, as graphite's `copy` resets it) and new values.
    func copy(name: String, values: [Double?]) -> RenderSeries {
        var result = self
        result.name = name
        result.pathExpression = name
        result.values = values
        return result
    }
}
