/// Summaries as InfluxDB line protocol (1.x; also what VictoriaMetrics, Telegraf and later InfluxDB versions
/// accept): one point per summary, `precision=s`.
///
/// ```
/// dyno_load,owner=app-1,process_type=web load_avg_1m_count=2i,load_avg_1m_sum=1.5,…,version=42i 1709650800
/// ```
///
/// - Measurement: one per type (``InfluxLineProtocol/series(of:)``, the only per-type decision).
/// - Tags: `owner`, `process_type`, and `metric` for types whose summaries carry their own metric name (custom
///   metrics). An empty name is left out (line protocol has no empty tag value).
/// - Fields, per statistics field `f`: `f_count` (integer), `f_sum`, `f_sum_of_squares`, `f_min`, `f_max`,
///   `f_mean`, and `f_p50`, `f_p95`, `f_p99` where the summary has a sketch of `f`; `event_<name>` (integer) per
///   event count; `version` and `period_seconds` (integers). A non-finite statistic is left out (line protocol
///   has no infinity).
/// - Timestamp: the window start in seconds, so a newer version of a summary is the same point and overwrites it.
///
/// Names are escaped so they survive exactly: in the measurement, tag keys, tag values and field keys a backslash
/// goes before every comma, space and equals sign, and nowhere else. InfluxDB 1.x takes any character after a
/// backslash as escaped and removes only the backslashes before those three, so the name `a\ b` (backslash,
/// space) is written `a\\ b` and reads back as itself, and `a\b` is written as is. Nothing makes a name end with
/// a backslash, though. Such a name, a line feed or carriage return in a name, or an integer beyond Int64 cannot
/// be written: the summary is refused with ``InfluxLineError`` instead of being stored under another name.
package enum InfluxLineProtocol {
    /// How a type's summaries become series: the measurement name and whether the metric name is a tag.
    package struct Series: Sendable, Hashable {
        package var measurement: String
        package var metricIsTag: Bool
    }

    /// The one per-type decision of the encoder. A new measurement type adds one case here.
    package static func series(of type: MeasurementType) -> Series {
        switch type {
        case .routerRequests: Series(measurement: "router_requests", metricIsTag: false)
        case .dynoLoad: Series(measurement: "dyno_load", metricIsTag: false)
        case .dynoMemory: Series(measurement: "dyno_memory", metricIsTag: false)
        case .dynoErrors: Series(measurement: "dyno_errors", metricIsTag: false)
        case .customMetrics: Series(measurement: "custom_metrics", metricIsTag: true)
        // Event counts become `event_<name>` fields like every type's; the bounded list of events is not written.
        case .platformEvents: Series(measurement: "platform_events", metricIsTag: false)
        }
    }

    /// The quantiles written for fields with a sketch, and their field-name suffixes.
    package static let quantiles: [(suffix: String, q: Double)] = [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)]

    /// Appends the line of `summary` (with its trailing line feed) to `output`; leaves `output` unchanged when the
    /// summary cannot be written.
    package static func append(_ summary: Summary, to output: inout [UInt8]) throws(InfluxLineError) {
        let key = summary.key
        let series = series(of: key.type)
        var line: [UInt8] = []
        line.reserveCapacity(256)
        appendEscaped(series.measurement, to: &line)
        // Tags in key order, as InfluxDB prefers: metric, owner, process_type.
        var tags: [(String, String)] = []
        if series.metricIsTag { tags.append(("metric", key.metric)) }
        tags.append(("owner", key.owner))
        tags.append(("process_type", key.processType))
        for (name, value) in tags where !value.isEmpty {
            line.append(UInt8(ascii: ","))
            line.append(contentsOf: name.utf8)
            line.append(UInt8(ascii: "="))
            try checkRepresentable(value, part: name)
            appendEscaped(value, to: &line)
        }
        var separator = UInt8(ascii: " ")
        func field(_ name: String, _ value: String) {
            line.append(separator)
            separator = UInt8(ascii: ",")
            appendEscaped(name, to: &line)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: value.utf8)
        }
        func float(_ name: String, _ value: Double?) {
            guard let value, value.isFinite else { return }
            field(name, "\(value)")
        }
        for (name, statistics) in summary.fields.sorted(by: { $0.key < $1.key }) {
            try checkRepresentable(name, part: "field")
            field("\(name)_count", try integer(statistics.count, field: name))
            float("\(name)_sum", statistics.sum)
            float("\(name)_sum_of_squares", statistics.sumOfSquares)
            float("\(name)_min", statistics.minimum)
            float("\(name)_max", statistics.maximum)
            float("\(name)_mean", statistics.mean)
            if let sketch = summary.sketches[name] {
                for (suffix, q) in quantiles { float("\(name)_\(suffix)", sketch.quantile(q)) }
            }
        }
        for (name, count) in summary.counts.sorted(by: { $0.key < $1.key }) {
            try checkRepresentable(name, part: "event")
            field("event_\(name)", try integer(count, field: "event_\(name)"))
        }
        field("version", "\(summary.version)i")
        field("period_seconds", "\(key.periodSeconds)i")
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: "\(key.windowStart.secondsSinceEpoch)".utf8)
        line.append(UInt8(ascii: "\n"))
        output.append(contentsOf: line)
    }

    /// The line of one summary, with its trailing line feed.
    package static func line(for summary: Summary) throws(InfluxLineError) -> String {
        var bytes: [UInt8] = []
        try append(summary, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The field names a summary of `type` with statistics field `field` is written under (for readers and tests).
    package static func statisticFieldNames(of field: String, sketched: Bool) -> [String] {
        ["count", "sum", "sum_of_squares", "min", "max", "mean"].map { "\(field)_\($0)" }
            + (sketched ? quantiles.map { "\(field)_\($0.suffix)" } : [])
    }

    /// The InfluxQL statement that reads the stored `version` of `key`'s point (no row when there is none).
    ///
    /// A tag left out of the line (an empty name) compares equal to `''` in InfluxQL, so the same statement fits.
    package static func versionQuery(_ key: SeriesKey) -> String {
        let series = series(of: key.type)
        var conditions = [
            "\"owner\" = \(quoted(key.owner))", "\"process_type\" = \(quoted(key.processType))",
        ]
        if series.metricIsTag { conditions.append("\"metric\" = \(quoted(key.metric))") }
        conditions.append("time = \(key.windowStart.secondsSinceEpoch)s")
        return "SELECT \"version\" FROM \"\(series.measurement)\" WHERE " + conditions.joined(separator: " AND ")
    }

    /// An InfluxQL string literal: single quotes, with backslash and single quote escaped.
    package static func quoted(_ text: String) -> String {
        var literal = "'"
        for character in text {
            if character == "\\" || character == "'" { literal.append("\\") }
            literal.append(character)
        }
        return literal + "'"
    }

    /// An InfluxQL identifier: double quotes, with backslash and double quote escaped.
    package static func quotedIdentifier(_ text: String) -> String {
        var identifier = "\""
        for character in text {
            if character == "\\" || character == "\"" { identifier.append("\\") }
            identifier.append(character)
        }
        return identifier + "\""
    }

    /// Appends `text` with a backslash before each comma, space and equals sign.
    ///
    /// Measurements need only comma and space escaped, but escaping all three everywhere reads back the same.
    package static func appendEscaped(_ text: String, to output: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "="):
                output.append(UInt8(ascii: "\\"))
                output.append(byte)
            default:
                output.append(byte)
            }
        }
    }

    private static func checkRepresentable(_ text: String, part: String) throws(InfluxLineError) {
        if text.utf8.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            throw .lineBreak(part: part, name: text)
        }
        if text.utf8.last == UInt8(ascii: "\\") { throw .trailingBackslash(part: part, name: text) }
    }

    private static func integer(_ value: UInt64, field: String) throws(InfluxLineError) -> String {
        guard value <= UInt64(Int64.max) else { throw .integerTooLarge(field: field, value: value) }
        return "\(value)i"
    }
}

/// Why a summary cannot be written as line protocol; retrying cannot help.
package enum InfluxLineError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A tag value or field name holds a line feed or carriage return, which line protocol cannot carry.
    case lineBreak(part: String, name: String)
    /// A tag value or field name ends with a backslash, which would escape the separator after it.
    case trailingBackslash(part: String, name: String)
    /// A count above Int64.max, InfluxDB 1.x's largest integer.
    case integerTooLarge(field: String, value: UInt64)

    package var description: String {
        switch self {
        case .lineBreak(let part, let name): "the \(part) \(name.debugDescription) holds a line break"
        case .trailingBackslash(let part, let name): "the \(part) \(name.debugDescription) ends with a backslash"
        case .integerTooLarge(let field, let value): "\(field) is \(value), above the largest InfluxDB integer"
        }
    }
}
