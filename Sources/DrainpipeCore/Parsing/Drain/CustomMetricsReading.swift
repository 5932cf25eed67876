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
        /// The name's bytes: what follows the `#`.
        var name: Range<Int>
        var value: Double
    }

    /// `unique#` keys skipped.
    var skippedUniqueKeys: Int

    /// The longest metric name accepted, in bytes.
    static let maximumNameLength = 128

    /// Appends the line's metrics, in line order, to `metrics`, which the caller empties first (and reuses from line
    /// to line) and discards when this throws.
    /// - Throws: the reason the whole line is rejected.
    init(parsing bytes: [UInt8], line: SyslogLine, metrics: inout [Metric]) throws(LineRejectionReason) {
        var skippedUniqueKeys = 0
        for pair in LogfmtScanner(bytes, in: line.message) {
            guard let (prefix, name) = Self.metricKey(bytes, pair.key) else { continue }
            if prefix == .unique {
                skippedUniqueKeys += 1
                continue
            }
            try Self.validateName(bytes, name)
            let value: Double
            if let valueRange = pair.value, !valueRange.isEmpty {
                value = try MetricValue(parsing: bytes, in: valueRange).number
            } else if prefix == .count {
                value = 1
            } else {
                throw .missingField
            }
            metrics.append(Metric(name: name, value: value))
        }
        guard !Self.hasDuplicate(metrics, in: bytes) else { throw .duplicateMetric }
        self.skippedUniqueKeys = skippedUniqueKeys
    }

    /// Whether two of `metrics` have names with the same bytes: pairwise for the usual handful, by sorting for the
    /// hundreds a hostile 10 000-byte line can hold, so no line costs quadratic time.
    private static func hasDuplicate(_ metrics: [Metric], in bytes: [UInt8]) -> Bool {
        if metrics.count <= 16 {
            for (offset, metric) in metrics.enumerated() {
                for earlier in metrics[..<offset]
                where ASCIIBytes.bytes(bytes, in: earlier.name, equalBytesIn: metric.name) {
                    return true
                }
            }
            return false
        }
        let sorted = metrics.map(\.name).sorted { bytes[$0].lexicographicallyPrecedes(bytes[$1]) }
        return zip(sorted, sorted.dropFirst()).contains { ASCIIBytes.bytes(bytes, in: $0, equalBytesIn: $1) }
    }

    private enum Prefix { case count, sample, measure, unique }

    /// The prefix and the name range of a `prefix#name` key, or nil for any other key.
    private static func metricKey(_ bytes: [UInt8], _ key: Range<Int>) -> (Prefix, Range<Int>)? {
        guard let first = key.first else { return nil }
        let prefix: Prefix
        let packedPrefix: UInt64
        let prefixLength: Int
        switch bytes[first] {
        case UInt8(ascii: "c"): (prefix, packedPrefix, prefixLength) = (.count, Packed.count, 6)
        case UInt8(ascii: "s"): (prefix, packedPrefix, prefixLength) = (.sample, Packed.sample, 7)
        case UInt8(ascii: "m"): (prefix, packedPrefix, prefixLength) = (.measure, Packed.measure, 8)
        case UInt8(ascii: "u"): (prefix, packedPrefix, prefixLength) = (.unique, Packed.unique, 7)
        default: return nil
        }
        guard ASCIIBytes.packedPrefix(bytes, of: key, length: prefixLength) == packedPrefix else { return nil }
        return (prefix, (key.lowerBound + prefixLength)..<key.upperBound)
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

    /// `count#`, `sample#`, `measure#` and `unique#`, packed by `ASCIIBytes.packed`.
    private enum Packed {
        static let count: UInt64 = 0x23_74_6E_75_6F_63
        static let sample: UInt64 = 0x23_65_6C_70_6D_61_73
        static let measure: UInt64 = 0x23_65_72_75_73_61_65_6D
        static let unique: UInt64 = 0x23_65_75_71_69_6E_75
    }
}
