/// The values of one router line (formats.md §2), request or error:
/// `at=info method=GET path="/" … dyno=web.2 connect=1ms service=48ms status=200 bytes=5121 protocol=https`.
///
/// Fields are only the ones measured on the line: an empty `connect=`, `service=` or `bytes=` means "not measured"
/// and is left out, never read as zero. Times are whole milliseconds with an optional `ms` unit, at most 7 days;
/// `bytes` is a whole number of at most 1 TiB. `status` must be present; empty it yields no status event, otherwise it
/// is 100...599. Events: the status class (`status_2xx`; 499 is 4xx), `method_<METHOD>` (unknown methods, which
/// clients choose, become `method_OTHER` so they cannot grow the counts), `protocol_<protocol>`, and the `code=`
/// (`H12`) when present. The process type is `dyno=` up to its first `.`, `web` when empty or absent. Unknown keys
/// are ignored; a key this reads may appear only once. The caller has checked that the line is UTF-8.
struct RouterRequestReading {
    var processType: String
    /// `H12` on error and warning lines.
    var errorCode: String?

    /// The longest connect or service time accepted.
    static let maximumMilliseconds: Int64 = 7 * 86_400_000
    /// The largest response size accepted.
    static let maximumBytes: Int64 = 1 << 40

    /// Appends the line's fields (`connect_ms`, `service_ms`, `bytes`, each only when measured) and events to the
    /// given arrays, which the caller empties first and discards when this throws.
    /// - Throws: the reason the whole line is rejected.
    init(
        parsing bytes: [UInt8], line: SyslogLine, fields: inout [MeasurementField], events: inout [String]
    ) throws(LineRejectionReason) {
        var seen = SeenKeys()
        var connect: Int64?
        var service: Int64?
        var responseBytes: Int64?
        var status: Range<Int>?
        var method: Range<Int>?
        var protocolName: Range<Int>?
        var code: Range<Int>?
        var dyno: Range<Int>?
        for pair in LogfmtScanner(bytes, in: line.message) {
            guard let packedKey = ASCIIBytes.packed(bytes, in: pair.key), let key = Key(rawValue: packedKey) else {
                continue
            }
            try seen.insert(key)
            let value = pair.value ?? pair.key.upperBound..<pair.key.upperBound
            switch key {
            case .connect: connect = try Self.milliseconds(bytes, value)
            case .service: service = try Self.milliseconds(bytes, value)
            case .bytes: responseBytes = try Self.byteCount(bytes, value)
            case .status: status = value
            case .method: method = value
            case .protocolName: protocolName = value
            case .code: code = value
            case .dyno: dyno = value
            }
        }

        guard let status else { throw .missingField }
        if !status.isEmpty { events.append(try Self.statusClass(bytes, status)) }
        if let method, !method.isEmpty { events.append(RouterVocabulary.methodEvent(bytes, method)) }
        if let protocolName, !protocolName.isEmpty {
            events.append(try RouterVocabulary.protocolEvent(bytes, protocolName))
        }
        if let code {
            let name = try HerokuErrorCode.name(bytes, in: code)
            events.append(name)
            errorCode = name
        } else {
            errorCode = nil
        }

        if let connect { fields.append(MeasurementField(name: "connect_ms", value: Double(connect))) }
        if let service { fields.append(MeasurementField(name: "service_ms", value: Double(service))) }
        if let responseBytes { fields.append(MeasurementField(name: "bytes", value: Double(responseBytes))) }
        if let dyno, !dyno.isEmpty {
            processType = try ProcessType.named(bytes, in: dyno)
        } else {
            processType = ProcessType.web
        }
    }

    // MARK: - Values

    /// A `connect`/`service` time: nil when empty, else whole milliseconds with an optional `ms`.
    private static func milliseconds(_ bytes: [UInt8], _ range: Range<Int>) throws(LineRejectionReason) -> Int64? {
        guard !range.isEmpty else { return nil }
        let (number, unit) = try MetricValue.integer(parsing: bytes, in: range)
        guard unit.isEmpty || ASCIIBytes.packed(bytes, in: unit) == RouterVocabulary.millisecondsUnit else {
            throw .unknownUnit
        }
        guard number <= maximumMilliseconds else { throw .badNumber }
        return number
    }

    /// A `bytes` value: nil when empty, else a whole number without unit.
    private static func byteCount(_ bytes: [UInt8], _ range: Range<Int>) throws(LineRejectionReason) -> Int64? {
        guard !range.isEmpty else { return nil }
        let (number, unit) = try MetricValue.integer(parsing: bytes, in: range)
        guard unit.isEmpty else { throw .unknownUnit }
        guard number <= maximumBytes else { throw .badNumber }
        return number
    }

    /// `status_1xx` … `status_5xx` for a three-digit status of 100...599.
    private static func statusClass(_ bytes: [UInt8], _ range: Range<Int>) throws(LineRejectionReason) -> String {
        guard range.count == 3, ASCIIBytes.isDigit(bytes[range.lowerBound + 1]),
            ASCIIBytes.isDigit(bytes[range.lowerBound + 2])
        else { throw .badNumber }
        switch bytes[range.lowerBound] {
        case UInt8(ascii: "1"): return "status_1xx"
        case UInt8(ascii: "2"): return "status_2xx"
        case UInt8(ascii: "3"): return "status_3xx"
        case UInt8(ascii: "4"): return "status_4xx"
        case UInt8(ascii: "5"): return "status_5xx"
        default: throw .badNumber
        }
    }

    // MARK: - Keys

    /// The keys this reads, as their bytes packed by `ASCIIBytes.packed`; every other key is skipped.
    private enum Key: UInt64 {
        case connect = 0x74_63_65_6E_6E_6F_63
        case service = 0x65_63_69_76_72_65_73
        case bytes = 0x73_65_74_79_62
        case status = 0x73_75_74_61_74_73
        case method = 0x64_6F_68_74_65_6D
        case protocolName = 0x6C_6F_63_6F_74_6F_72_70
        case code = 0x65_64_6F_63
        case dyno = 0x6F_6E_79_64

        /// A distinct bit per key.
        var bit: UInt8 {
            switch self {
            case .connect: 1 << 0
            case .service: 1 << 1
            case .bytes: 1 << 2
            case .status: 1 << 3
            case .method: 1 << 4
            case .protocolName: 1 << 5
            case .code: 1 << 6
            case .dyno: 1 << 7
            }
        }
    }

    /// Which keys a line has already used, to reject repeats.
    private struct SeenKeys {
        private var mask: UInt8 = 0

        mutating func insert(_ key: Key) throws(LineRejectionReason) {
            guard mask & key.bit == 0 else { throw .duplicateField }
            mask |= key.bit
        }
    }
}
