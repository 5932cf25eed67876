/// The metrics of one l2met app line (formats.md §5): `count#jobs.processed=3 measure#job.duration=412ms`.
///
/// Each `count#`, `sample#` and `measure#` key is one metric named by what follows the `#`. Values follow
/// `MetricValue`'s grammar (digits with at most one `.`, an optional letters-only unit, which is dropped, below
/// 10¹⁵); `count#` with no or an empty value counts 1, the others need a value. `unique#` keys are not supported
/// (Decision 5): they are skipped and counted. A metric name may appear once per line, whatever its prefix, so no two
/// measurements of a line share a metric. `source=` and other keys are ignored. The caller has checked that the line
/// is UTF-8.
struct CustomMetricsReading {
    /// One metric of the line.
    struct Metric {
        var name: String
        var value: Double
    }

    /// The metrics in line order.
    var metrics: [Metric]
    /// `unique#` keys skipped.
    var skippedUniqueKeys: Int

    /// The longest metric name accepted, in bytes.
    static let maximumNameLength = 128

    /// - Throws: the reason the whole line is rejected.
    init(parsing bytes: [UInt8], line: SyslogLine) throws(LineRejectionReason) {
        var metrics: [Metric] = []
        var names: [Range<Int>] = []
        var skippedUniqueKeys = 0
        for pair in LogfmtScanner(bytes, in: line.message) {
            guard let (prefix, name) = Self.metricKey(bytes, pair.key) else { continue }
            if prefix == .unique {
                skippedUniqueKeys += 1
                continue
            }
            try Self.validateName(bytes, name)
            names.append(name)
            let value: Double
            if let valueRange = pair.value, !valueRange.isEmpty {
                value = try MetricValue(parsing: bytes, in: valueRange).number
            } else if prefix == .count {
                value = 1
            } else {
                throw .missingField
            }
            metrics.append(Metric(name: String(decoding: bytes[name], as: UTF8.self), value: value))
        }
        guard !Self.hasDuplicate(names, in: bytes) else { throw .duplicateMetric }
        self.metrics = metrics
        self.skippedUniqueKeys = skippedUniqueKeys
    }

    /// Whether two of `names` hold the same bytes: pairwise for the usual handful, by sorting for the hundreds a
    /// hostile 10 000-byte line can hold, so no line costs quadratic time.
    private static func hasDuplicate(_ names: [Range<Int>], in bytes: [UInt8]) -> Bool {
        if names.count <= 16 {
            for (offset, name) in names.enumerated() {
                for earlier in names[..<offset] where ASCIIBytes.bytes(bytes, in: earlier, equalBytesIn: name) {
                    return true
                }
            }
            return false
        }
        let sorted = names.sorted { bytes[$0].lexicographicallyPrecedes(bytes[$1]) }
        return zip(sorted, sorted.dropFirst()).contains { ASCIIBytes.bytes(bytes, in: $0, equalBytesIn: $1) }
    }

    private enum Prefix { case count, sample, measure, unique }

    /// The prefix and the name range of a `prefix#name` key, or nil for any other key.
    private static func metricKey(_ bytes: [UInt8], _ key: Range<Int>) -> (Prefix, Range<Int>)? {
        guard let first = key.first else { return nil }
        let prefix: Prefix
        let literal: [UInt8]
        switch bytes[first] {
        case UInt8(ascii: "c"): (prefix, literal) = (.count, Literal.count)
        case UInt8(ascii: "s"): (prefix, literal) = (.sample, Literal.sample)
        case UInt8(ascii: "m"): (prefix, literal) = (.measure, Literal.measure)
        case UInt8(ascii: "u"): (prefix, literal) = (.unique, Literal.unique)
        default: return nil
        }
        guard ASCIIBytes.bytes(bytes, in: key, startWith: literal) else { return nil }
        return (prefix, (key.lowerBound + literal.count)..<key.upperBound)
    }

    /// - Throws: `.badMetricName` unless the name is 1–128 bytes of letters, digits, `.`, `_`, `-`, `:` and `/`.
    private static func validateName(_ bytes: [UInt8], _ name: Range<Int>) throws(LineRejectionReason) {
        guard !name.isEmpty, name.count <= maximumNameLength else { throw .badMetricName }
        for byte in bytes[name] {
            guard
                ASCIIBytes.isLetter(byte) || ASCIIBytes.isDigit(byte) || byte == ASCIIBytes.dot
                    || byte == ASCIIBytes.underscore || byte == ASCIIBytes.minus || byte == ASCIIBytes.colon
                    || byte == UInt8(ascii: "/")
            else { throw .badMetricName }
        }
    }

    private enum Literal {
        static let count = Array("count#".utf8)
        static let sample = Array("sample#".utf8)
        static let measure = Array("measure#".utf8)
        static let unique = Array("unique#".utf8)
    }
}
