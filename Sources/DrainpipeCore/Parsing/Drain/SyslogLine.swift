/// The header fields of one Heroku drain message (formats.md §1.4), as byte ranges into the body it came from.
///
/// `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID MSG`: Logplex sends no STRUCTURED-DATA, so MSG is everything
/// after MSGID's space, minus one leading `- ` that log-shuttle-style senders add as the NILVALUE. `[…]` is never
/// parsed as structured data. The ranges are only meaningful for the array the line was parsed from.
package struct SyslogLine: Sendable, Hashable {
    /// Facility × 8 + severity, 0...191.
    package var priority: Int
    /// TIMESTAMP converted to UTC.
    package var timestamp: EventTime
    /// `host` on HTTPS drains; ignored.
    package var hostname: Range<Int>
    /// `heroku` for platform lines, `app` for the app's own output.
    package var appName: Range<Int>
    /// The writer: `router`, a dyno name such as `web.1`, `logplex`, an add-on name.
    package var processID: Range<Int>
    /// Always `-` from Heroku.
    package var messageID: Range<Int>
    /// MSG without its trailing LF (the frame reader strips it) and without a leading `- `.
    package var message: Range<Int>

    /// Parses the header of the message in `frame`.
    ///
    /// Header fields must be non-empty runs of printable ASCII; only MSG may hold other bytes, and this does not
    /// validate it.
    /// - Throws: `.badSyslogHeader` or `.badTimestamp`.
    package init(parsing bytes: [UInt8], frame: Range<Int>) throws(LineRejectionReason) {
        var hour = UTCDateTime.HourCache()
        try self.init(parsing: bytes, frame: frame, reusing: &hour)
    }

    /// Parses the header of the message in `frame` like `init(parsing:frame:)`, reading the timestamp's date and
    /// hour only when they differ from those `hour` holds from the previous line.
    package init(
        parsing bytes: [UInt8], frame: Range<Int>, reusing hour: inout UTCDateTime.HourCache
    ) throws(LineRejectionReason) {
        let end = frame.upperBound
        var index = frame.lowerBound
        guard index < end, bytes[index] == ASCIIBytes.lessThan else { throw .badSyslogHeader }
        index += 1
        let priorityStart = index
        var priority = 0
        while index < end, ASCIIBytes.isDigit(bytes[index]), index - priorityStart < 3 {
            priority = priority * 10 + Int(bytes[index] &- ASCIIBytes.zero)
            index += 1
        }
        guard index > priorityStart, priority <= 191, index + 2 < end, bytes[index] == ASCIIBytes.greaterThan,
            bytes[index + 1] == UInt8(ascii: "1"), bytes[index + 2] == ASCIIBytes.space
        else { throw .badSyslogHeader }
        index += 3

        let span = bytes.span
        let timestampField = try Self.field(span, from: &index, end: end)
        let hostname = try Self.field(span, from: &index, end: end)
        let appName = try Self.field(span, from: &index, end: end)
        let processID = try Self.field(span, from: &index, end: end)
        let messageID = try Self.field(span, from: &index, end: end)
        guard let timestamp = UTCDateTime.parse(bytes, in: timestampField, reusing: &hour) else {
            throw .badTimestamp
        }

        var messageStart = index
        if end - messageStart >= 2, bytes[messageStart] == ASCIIBytes.minus,
            bytes[messageStart + 1] == ASCIIBytes.space
        {
            messageStart += 2
        }
        self.priority = priority
        self.timestamp = timestamp
        self.hostname = hostname
        self.appName = appName
        self.processID = processID
        self.messageID = messageID
        self.message = messageStart..<end
    }

    /// Reads one header field and the space after it (or the end of the frame).
    @inline(__always)
    private static func field(
        _ bytes: Span<UInt8>, from index: inout Int, end: Int
    ) throws(LineRejectionReason)
        -> Range<Int>
    {
        let start = index
        index = ByteWord.firstNonPrintableIndex(in: bytes, from: index, end: end)
        while index < end, ASCIIBytes.isPrintable(bytes[index]) { index += 1 }
        let field = start..<index
        guard !field.isEmpty else { throw .badSyslogHeader }
        if index < end {
            guard bytes[index] == ASCIIBytes.space else { throw .badSyslogHeader }
            index += 1
        }
        return field
    }
}
