/// The Graphite path of every stored statistic (README, "Reading with Graphite clients").
///
/// Every path starts with the owner's segment: its `name` from the tenants file, or its id (the app UUID) when it has
/// no name usable as a segment. After it:
/// - platform series: `<process type>.<metric>.<field>.<statistic>`, where the metric is the type's platform name
///   (`router`, `load_avg`, `memory`) and the field drops the metric's prefix (`memory_rss` → `rss`):
///   `web.router.service_ms.p99`, `worker.memory.rss.max`, `web.load_avg.1m.mean`. Event counts are leaves of the
///   metric: `web.router.status.5xx`, `web.router.method.GET`, `web.router.protocol.https`, `web.router.errors.H12`
///   (router lines with an error code) and `web.errors.H12`, `worker.errors.R14` (dyno errors).
/// - l2met custom metrics: `<process type>.<metric>.<statistic>`, e.g. `web.jobs.processed.sum`.
/// - a Graphite tenant's own paths: `<path>` is the per-minute average (carbon's default aggregation) and
///   `<path>.<statistic>` the others (`count`, `sum`, `min`, `max`, `stddev`).
///
/// Statistics are `count`, `sum`, `min`, `max`, `mean`, `stddev`, and `p50`, `p95`, `p99` for the sketched router
/// timings. Characters a Graphite segment cannot hold (anything but letters, digits, `_`, `-` and `:`) become `_`.
/// When two stored series would give the same path, the platform's wins over l2met's, and l2met's over Graphite's.
package enum GraphiteNaming {
    /// The first segment of an owner's paths: its name when that is a usable segment, else its id.
    package static func ownerSegment(id: String, name: String?) -> String {
        if let name, isSegment(name) { return name }
        return segment(id)
    }

    /// Whether a stored custom-metrics series holds a Graphite tenant's datapoints: their process type is the
    /// path's first three segments (`GraphiteIngestor.processType(ofPath:)`), while an l2met metric's process type
    /// is a dyno's (no dot) and never equals that prefix of its metric name, except for a one-segment metric named
    /// like its process type, which counts as Graphite.
    package static func isGraphitePath(_ series: StoredSeries) -> Bool {
        series.type == .customMetrics && graphiteProcessType(ofPath: series.metric) == series.processType
    }

    /// The first three segments of a Graphite path, or the whole path when it has fewer (the process type ingress
    /// gives a Graphite datapoint).
    package static func graphiteProcessType(ofPath path: String) -> String {
        var dots = 0
        for index in path.utf8.indices where path.utf8[index] == UInt8(ascii: ".") {
            dots += 1
            if dots == 3 { return String(path[..<index]) }
        }
        return path
    }

    /// How sure a path is of its meaning when two series give the same path: the higher rank wins.
    package enum Precedence: Int, Comparable, Sendable {
        case graphite = 0
        case l2met = 1
        case platform = 2

        package static func < (lhs: Precedence, rhs: Precedence) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// One path of a series below the owner's segment, with its segments and what it reads.
    package struct NamedReading: Hashable, Sendable {
        package var segments: [String]
        package var reading: SummaryReading
        package var precedence: Precedence

        package var path: String { segments.joined(separator: ".") }
    }

    /// Every path of `series` below the owner's segment.
    ///
    /// - Parameter eventNames: the event counts the series' summaries hold (`status_5xx`, `H12`).
    package static func readings(
        of series: StoredSeries, eventNames: some Sequence<String> = [String]()
    ) -> [NamedReading] {
        if series.type == .customMetrics {
            if isGraphitePath(series) {
                let path = pathSegments(series.metric)
                let average = NamedReading(segments: path, reading: .field("value", .mean), precedence: .graphite)
                return [average]
                    + PointStatistic.plain.filter { $0 != .mean }.map { statistic in
                        NamedReading(
                            segments: path + [statistic.segment], reading: .field("value", statistic),
                            precedence: .graphite)
                    }
            }
            let base = [segment(series.processType)] + pathSegments(series.metric)
            return PointStatistic.plain.map { statistic in
                NamedReading(
                    segments: base + [statistic.segment], reading: .field("value", statistic), precedence: .l2met)
            }
        }
        let base = [segment(series.processType), series.type.platformMetricName]
        let sketched = Set(series.type.sketchedFieldNames)
        var named: [NamedReading] = []
        for field in series.type.summaryFieldNames {
            let statistics = PointStatistic.plain + (sketched.contains(field) ? PointStatistic.quantiles : [])
            let fieldSegment = fieldSegment(field, metric: series.type.platformMetricName)
            for statistic in statistics {
                named.append(
                    NamedReading(
                        segments: base + [fieldSegment, statistic.segment], reading: .field(field, statistic),
                        precedence: .platform))
            }
        }
        for event in Set(eventNames).sorted() {
            named.append(
                NamedReading(
                    segments: base + eventSegments(event, type: series.type), reading: .eventCount(event),
                    precedence: .platform))
        }
        return named
    }

    /// A field's segment: its name without the metric's prefix (`memory_rss` → `rss`, `load_avg_1m` → `1m`).
    static func fieldSegment(_ field: String, metric: String) -> String {
        let prefix = metric + "_"
        return field.hasPrefix(prefix) && field.count > prefix.count ? String(field.dropFirst(prefix.count)) : field
    }

    /// An event's segments below the metric: `status_5xx` → `status.5xx`, `method_GET` → `method.GET`,
    /// `protocol_http1.1` → `protocol.http1_1`; an error code is `errors.H12` on router lines and just `H12` on
    /// dyno errors, whose metric already is `errors`.
    static func eventSegments(_ event: String, type: MeasurementType) -> [String] {
        for group in ["status", "method", "protocol"] where event.hasPrefix(group + "_") {
            return [group, segment(String(event.dropFirst(group.count + 1)))]
        }
        return type == .dynoErrors ? [segment(event)] : ["errors", segment(event)]
    }

    /// The segments of a dotted name, each made a valid segment.
    static func pathSegments(_ name: String) -> [String] {
        name.split(separator: ".", omittingEmptySubsequences: false).map { segment(String($0)) }
    }

    /// `text` with every byte a segment cannot hold replaced by `_`; `_` when empty.
    static func segment(_ text: String) -> String {
        if isSegment(text) { return text }
        if text.isEmpty { return "_" }
        return String(text.map { isSegmentCharacter($0) ? $0 : "_" })
    }

    /// Whether `text` is a non-empty run of letters, digits, `_`, `-` and `:`.
    package static func isSegment(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy(isSegmentCharacter)
    }

    private static func isSegmentCharacter(_ character: Character) -> Bool {
        guard character.isASCII else { return false }
        return character.isLetter || character.isNumber || character == "_" || character == "-" || character == ":"
    }
}
