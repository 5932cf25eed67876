/// Reads Graphite plaintext lines (`path value timestamp`, formats.md §6) under Drainpipe's stricter rules.
///
/// Like Carbon, a line is stripped of surrounding whitespace (a trailing CR included) and split on runs of spaces
/// and tabs; blank lines are skipped silently. Unlike Carbon, every line that is not a clean datapoint is dropped
/// and counted by reason (`GraphiteLineRejectionReason`): exactly three fields; a path of non-empty dot-separated
/// segments of `[A-Za-z0-9_-:]` (so tagged series `a.b;tag=v` are refused) at most `maximumPathBytes` long; a
/// finite decimal value (optional sign, fraction and exponent) of magnitude at most `maximumMagnitude`; a
/// timestamp of whole Unix seconds (`-1`, Carbon's "now", means the receive time) no earlier than `pastWindow`
/// before and no later than `futureWindow` after the receive time. With `requiresNamingConvention` the path must
/// also follow `env.region.service.category.host.component….measurement`: at least seven lower-case
/// `[a-z0-9_-]` segments whose fourth is `sys` or `app`.
package struct GraphiteLineParser: Sendable {
    /// How far before the receive time a timestamp may lie (the aggregator's late bound by default).
    package var pastWindow: Duration
    /// How far after the receive time a timestamp may lie.
    package var futureWindow: Duration
    /// Longest accepted path in bytes.
    package var maximumPathBytes: Int
    /// Largest accepted absolute value; squares of it still add up in a `Double` summary.
    package var maximumMagnitude: Double
    /// Whether paths must follow the naming convention (a per-tenant choice).
    package var requiresNamingConvention: Bool

    package init(
        pastWindow: Duration = .seconds(300), futureWindow: Duration = .seconds(300), maximumPathBytes: Int = 1024,
        maximumMagnitude: Double = 1e18, requiresNamingConvention: Bool = false
    ) {
        self.pastWindow = pastWindow
        self.futureWindow = futureWindow
        self.maximumPathBytes = maximumPathBytes
        self.maximumMagnitude = maximumMagnitude
        self.requiresNamingConvention = requiresNamingConvention
    }

    /// Parses every LF-separated line of `bytes[range]`; a last line without LF counts as a line too.
    package func parseLines(_ bytes: [UInt8], in range: Range<Int>, receivedAt: EventTime) -> GraphiteParseResult {
        var collector = PointCollector()
        let rejections = parseLines(bytes, in: range, receivedAt: receivedAt, into: &collector)
        return GraphiteParseResult(points: collector.points, rejections: rejections)
    }

    /// Parses every line of `bytes`.
    package func parseLines(_ bytes: [UInt8], receivedAt: EventTime) -> GraphiteParseResult {
        parseLines(bytes, in: bytes.indices, receivedAt: receivedAt)
    }

    /// Parses every LF-separated line of `bytes[range]` (a last line without LF counts as a line too), handing each
    /// datapoint to `sink` as it is read, with no `String` or array per line; returns the dropped lines by reason.
    package func parseLines(
        _ bytes: [UInt8], in range: Range<Int>, receivedAt: EventTime, into sink: inout some GraphiteDatapointSink
    ) -> [GraphiteLineRejectionReason: Int] {
        var rejections: [GraphiteLineRejectionReason: Int] = [:]
        let window = window(around: receivedAt)
        var lineStart = range.lowerBound
        var lineIndex: UInt32 = 0
        while lineStart < range.upperBound {
            var lineEnd = lineStart
            while lineEnd < range.upperBound, bytes[lineEnd] != ASCIIBytes.lineFeed { lineEnd += 1 }
            defer { lineIndex &+= 1 }
            switch datapoint(bytes, in: lineStart..<lineEnd, receivedAt: receivedAt, window: window) {
            case .success(let datapoint?):
                sink.append(
                    path: datapoint.path, of: bytes, value: datapoint.value, time: datapoint.time,
                    lineIndex: lineIndex)
            case .success(nil): break
            case .failure(let reason): rejections[reason, default: 0] += 1
            }
            lineStart = lineEnd + 1
        }
        return rejections
    }

    /// Parses one line (without its LF); `.success(nil)` for a blank line.
    package func parseLine(
        _ bytes: [UInt8], in range: Range<Int>, receivedAt: EventTime
    ) -> Result<GraphiteParseResult.Point?, GraphiteLineRejectionReason> {
        datapoint(bytes, in: range, receivedAt: receivedAt, window: window(around: receivedAt)).map { datapoint in
            datapoint.map { datapoint in
                GraphiteParseResult.Point(
                    path: String(decoding: bytes[datapoint.path], as: UTF8.self), value: datapoint.value,
                    time: datapoint.time)
            }
        }
    }

    /// A clean line's fields: where its path lies, its value and its time.
    private struct Datapoint {
        var path: Range<Int>
        var value: Double
        var time: EventTime
    }

    /// The datapoints of `parseLines(_:in:receivedAt:)`, with their paths as strings.
    private struct PointCollector: GraphiteDatapointSink {
        var points: [GraphiteParseResult.Point] = []

        mutating func append(path: Range<Int>, of bytes: [UInt8], value: Double, time: EventTime, lineIndex: UInt32) {
            points.append(
                GraphiteParseResult.Point(
                    path: String(decoding: bytes[path], as: UTF8.self), value: value, time: time, lineIndex: lineIndex))
        }
    }

    /// The earliest and latest timestamps accepted at `receivedAt`, computed once per batch of lines.
    private func window(around receivedAt: EventTime) -> (earliest: EventTime, latest: EventTime) {
        (receivedAt - pastWindow, receivedAt + futureWindow)
    }

    private func datapoint(
        _ bytes: [UInt8], in range: Range<Int>, receivedAt: EventTime,
        window: (earliest: EventTime, latest: EventTime)
    ) -> Result<Datapoint?, GraphiteLineRejectionReason> {
        // The three fields, found without an array: this runs once per datapoint.
        var fields = (path: 0..<0, value: 0..<0, timestamp: 0..<0)
        var fieldCount = 0
        var index = range.lowerBound
        while index < range.upperBound {
            while index < range.upperBound, Self.isWhitespace(bytes[index]) { index += 1 }
            guard index < range.upperBound else { break }
            let start = index
            while index < range.upperBound, !Self.isWhitespace(bytes[index]) { index += 1 }
            switch fieldCount {
            case 0: fields.path = start..<index
            case 1: fields.value = start..<index
            case 2: fields.timestamp = start..<index
            default: return .failure(.wrongFieldCount)
            }
            fieldCount += 1
        }
        if fieldCount == 0 { return .success(nil) }
        guard fieldCount == 3 else { return .failure(.wrongFieldCount) }
        if let problem = pathProblem(bytes, in: fields.path) { return .failure(problem) }
        let value: Double
        switch Self.decimal(bytes, in: fields.value) {
        case nil: return .failure(.badValue)
        case let parsed?:
            guard parsed.isFinite else { return .failure(.badValue) }
            guard parsed.magnitude <= maximumMagnitude else { return .failure(.valueOutOfRange) }
            value = parsed
        }
        let time: EventTime
        switch Self.wholeSeconds(bytes, in: fields.timestamp) {
        case nil: return .failure(.timestampNotInteger)
        case Int64(-1)?: time = receivedAt
        case let seconds?:
            time = EventTime(secondsSinceEpoch: seconds)
            guard time >= window.earliest, time <= window.latest else {
                return .failure(.timestampOutOfWindow)
            }
        }
        return .success(Datapoint(path: fields.path, value: value, time: time))
    }

    // MARK: - Fields

    @inline(__always)
    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == ASCIIBytes.space || byte == ASCIIBytes.tab || byte == ASCIIBytes.carriageReturn
    }

    private static func isSegmentByte(_ byte: UInt8) -> Bool {
        ASCIIBytes.isLetter(byte) || ASCIIBytes.isDigit(byte) || byte == ASCIIBytes.underscore
            || byte == ASCIIBytes.minus || byte == ASCIIBytes.colon
    }

    private static func isConventionByte(_ byte: UInt8) -> Bool {
        byte &- 0x61 < 26 || ASCIIBytes.isDigit(byte) || byte == ASCIIBytes.underscore || byte == ASCIIBytes.minus
    }

    private func pathProblem(_ bytes: [UInt8], in range: Range<Int>) -> GraphiteLineRejectionReason? {
        guard range.count <= maximumPathBytes else { return .pathTooLong }
        // Segments are checked as they end, without collecting them: this runs once per datapoint.
        var segmentCount = 0
        var followsConvention = true
        var category = 0..<0
        var segmentStart = range.lowerBound
        for index in range.lowerBound...range.upperBound {
            guard index == range.upperBound || bytes[index] == ASCIIBytes.dot else {
                if !Self.isSegmentByte(bytes[index]) { return .invalidPathCharacter }
                continue
            }
            guard index > segmentStart else { return .emptyPathSegment }
            if requiresNamingConvention {
                followsConvention =
                    followsConvention && bytes[segmentStart..<index].allSatisfy { Self.isConventionByte($0) }
                if segmentCount == 3 { category = segmentStart..<index }
            }
            segmentCount += 1
            segmentStart = index + 1
        }
        guard requiresNamingConvention else { return nil }
        guard segmentCount >= 7, followsConvention else { return .namingConvention }
        guard
            ASCIIBytes.bytes(bytes, in: category, equal: Self.system)
                || ASCIIBytes.bytes(bytes, in: category, equal: Self.application)
        else { return .namingConvention }
        return nil
    }

    private static let system = Array("sys".utf8)
    private static let application = Array("app".utf8)

    /// `[+-]? (DIGITS ['.' DIGITS*] | '.' DIGITS) ([eE] [+-]? DIGITS)?`, or nil. Numbers of up to 15 digits without
    /// an exponent are converted without a `String`: the digits as an integer (exact in a `Double` below 2^53),
    /// divided by a power of ten (exact up to 10^22), is the correctly rounded value, as `Double(String)` gives.
    static func decimal(_ bytes: [UInt8], in range: Range<Int>) -> Double? {
        var index = range.lowerBound
        var isNegative = false
        if index < range.upperBound, bytes[index] == ASCIIBytes.minus || bytes[index] == ASCIIBytes.plus {
            isNegative = bytes[index] == ASCIIBytes.minus
            index += 1
        }
        // Integer and fraction digits, as one integer while there are at most 15 of them.
        var significand: Int64 = 0
        var digits = 0
        while index < range.upperBound, ASCIIBytes.isDigit(bytes[index]) {
            if digits < 15 { significand = significand * 10 + Int64(bytes[index] - ASCIIBytes.zero) }
            digits += 1
            index += 1
        }
        if index == range.upperBound {
            guard digits > 0 else { return nil }
            if digits <= 15 { return isNegative ? -Double(significand) : Double(significand) }
            return Double(String(decoding: bytes[range], as: UTF8.self))
        }
        var fractionDigits = 0
        if bytes[index] == ASCIIBytes.dot {
            index += 1
            while index < range.upperBound, ASCIIBytes.isDigit(bytes[index]) {
                if digits + fractionDigits < 15 {
                    significand = significand * 10 + Int64(bytes[index] - ASCIIBytes.zero)
                }
                fractionDigits += 1
                index += 1
            }
        }
        guard digits + fractionDigits > 0 else { return nil }
        if index == range.upperBound, digits + fractionDigits <= 15 {
            let value = Double(significand) / Self.powersOfTen[fractionDigits]
            return isNegative ? -value : value
        }
        if index < range.upperBound, bytes[index] | 0x20 == 0x65 {  // e or E
            index += 1
            if index < range.upperBound, bytes[index] == ASCIIBytes.minus || bytes[index] == ASCIIBytes.plus {
                index += 1
            }
            var exponentDigits = 0
            while index < range.upperBound, ASCIIBytes.isDigit(bytes[index]) {
                exponentDigits += 1
                index += 1
            }
            guard exponentDigits > 0 else { return nil }
        }
        guard index == range.upperBound else { return nil }
        return Double(String(decoding: bytes[range], as: UTF8.self))
    }

    /// 10^0 through 10^15, each exact in a `Double`.
    private static let powersOfTen: [Double] = (0...15).map { exponent in
        (0..<exponent).reduce(1.0) { power, _ in power * 10 }
    }

    /// `DIGITS` or `-1`, or nil; more than 12 digits (milliseconds, far beyond any window) saturate to `Int64.max`.
    static func wholeSeconds(_ bytes: [UInt8], in range: Range<Int>) -> Int64? {
        if range.count == 2, bytes[range.lowerBound] == ASCIIBytes.minus, bytes[range.lowerBound + 1] == 0x31 {
            return -1
        }
        guard !range.isEmpty else { return nil }
        var seconds: Int64 = 0
        for index in range {
            guard ASCIIBytes.isDigit(bytes[index]) else { return nil }
            if seconds < 1_000_000_000_000 { seconds = seconds * 10 + Int64(bytes[index] - ASCIIBytes.zero) }
        }
        return range.count > 12 ? .max : seconds
    }
}
