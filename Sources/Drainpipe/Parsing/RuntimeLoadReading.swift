/// The values of one runtime-metrics load line (formats.md §3):
/// `source=web.2 dyno=heroku.… sample#load_avg_1m=0.42 sample#load_avg_5m=0.31 sample#load_avg_15m=0.27`.
///
/// `load_avg_1m` is required; the 5- and 15-minute averages are each optional. Values take no unit. The process type
/// is `source` up to its first `.`, or PROCID's when `source` is absent. Other keys are ignored; a key this reads may
/// appear only once.
struct RuntimeLoadReading {
    var processType: String
    /// `load_avg_1m`, then `load_avg_5m` and `load_avg_15m` when present.
    var fields: [MeasurementField]

    /// - Throws: the reason the whole line is rejected.
    init(parsing bytes: [UInt8], line: SyslogLine) throws(LineRejectionReason) {
        guard ASCIIBytes.isValidUTF8(bytes, in: line.message) else { throw .invalidUTF8 }
        var oneMinute: Double?
        var fiveMinutes: Double?
        var fifteenMinutes: Double?
        var source: Range<Int>?
        let (key1m, key5m, key15m, keySource) =
            (Literal.loadAverage1m, Literal.loadAverage5m, Literal.loadAverage15m, Literal.source)
        for pair in LogfmtScanner(bytes, in: line.message) {
            if ASCIIBytes.bytes(bytes, in: pair.key, equal: key1m) {
                try Self.store(Self.loadAverage(bytes, pair), in: &oneMinute)
            } else if ASCIIBytes.bytes(bytes, in: pair.key, equal: key5m) {
                try Self.store(Self.loadAverage(bytes, pair), in: &fiveMinutes)
            } else if ASCIIBytes.bytes(bytes, in: pair.key, equal: key15m) {
                try Self.store(Self.loadAverage(bytes, pair), in: &fifteenMinutes)
            } else if ASCIIBytes.bytes(bytes, in: pair.key, equal: keySource) {
                guard source == nil else { throw .duplicateField }
                guard let value = pair.value else { throw .invalidSource }
                source = value
            }
        }
        guard let oneMinute else { throw .missingField }

        var fields: [MeasurementField] = []
        fields.reserveCapacity(3)
        fields.append(MeasurementField(name: "load_avg_1m", value: oneMinute))
        if let fiveMinutes { fields.append(MeasurementField(name: "load_avg_5m", value: fiveMinutes)) }
        if let fifteenMinutes { fields.append(MeasurementField(name: "load_avg_15m", value: fifteenMinutes)) }
        self.fields = fields
        self.processType = try Self.processType(bytes, in: source ?? line.processID)
    }

    private static func loadAverage(_ bytes: [UInt8], _ pair: LogfmtPair) throws(LineRejectionReason) -> Double {
        guard let valueRange = pair.value else { throw .missingField }
        let value = try MetricValue(parsing: bytes, in: valueRange)
        guard value.unit.isEmpty else { throw .unknownUnit }
        return value.number
    }

    private static func store(_ value: Double, in slot: inout Double?) throws(LineRejectionReason) {
        guard slot == nil else { throw .duplicateField }
        slot = value
    }

    /// The bytes before the first `.` of a dyno name; they must be a non-empty process type.
    private static func processType(_ bytes: [UInt8], in range: Range<Int>) throws(LineRejectionReason) -> String {
        var end = range.lowerBound
        while end < range.upperBound, bytes[end] != ASCIIBytes.dot {
            guard ASCIIBytes.isProcessTypeByte(bytes[end]) else { throw .invalidSource }
            end += 1
        }
        guard end > range.lowerBound else { throw .invalidSource }
        return String(decoding: bytes[range.lowerBound..<end], as: UTF8.self)
    }

    private enum Literal {
        static let loadAverage1m = Array("sample#load_avg_1m".utf8)
        static let loadAverage5m = Array("sample#load_avg_5m".utf8)
        static let loadAverage15m = Array("sample#load_avg_15m".utf8)
        static let source = Array("source".utf8)
    }
}
