/// A UTC calendar date and time of day to the microsecond: the one place times become text and text becomes times.
///
/// Renders syslog headers, the read API's times, Postgres `timestamptz` literals and day-schema names, and parses
/// RFC 3339 for the drain parser (``Syntax/strict``) and the read API (``Syntax/relaxed``). Proleptic Gregorian
/// calendar, no leap seconds; exact for every `EventTime`.
package struct UTCDateTime: Sendable, Hashable {
    package var date: CivilDate
    package var hour: Int64
    package var minute: Int64
    package var second: Int64
    package var microsecond: Int64

    /// The fields as given; ``eventTime`` is meaningful only when each is in its calendar range.
    package init(date: CivilDate, hour: Int64, minute: Int64, second: Int64, microsecond: Int64) {
        self.date = date
        self.hour = hour
        self.minute = minute
        self.second = second
        self.microsecond = microsecond
    }

    /// The UTC date and time of `time`.
    package init(_ time: EventTime) {
        let micros = time.microsecondsSinceEpoch
        var days = micros / Self.microsecondsPerDay
        var microsecondOfDay = micros % Self.microsecondsPerDay
        if microsecondOfDay < 0 {
            microsecondOfDay += Self.microsecondsPerDay
            days -= 1
        }
        let secondOfDay = microsecondOfDay / 1_000_000
        self.init(
            date: CivilDate(daysSinceEpoch: days), hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60, microsecond: microsecondOfDay % 1_000_000)
    }

    /// The instant these fields name; wraps around for dates beyond the range `EventTime` holds.
    package var eventTime: EventTime {
        let seconds = date.daysSinceEpoch &* 86_400 &+ hour &* 3600 &+ minute &* 60 &+ second
        return EventTime(microsecondsSinceEpoch: seconds &* 1_000_000 &+ microsecond)
    }

    private static let microsecondsPerDay: Int64 = 86_400_000_000

    // MARK: - Rendering

    /// A text form of a UTC time. Years 0–9999 take four digits, others the digits they need and a `-` before
    /// year 0.
    package enum Format: Sendable {
        /// `2024-03-05T14:02:07Z`, the fraction dropped (rounded down): the read API's times.
        case rfc3339Seconds
        /// `2024-03-05T14:02:07.412387+00:00`: syslog header timestamps as Logplex writes them.
        case rfc3339Microseconds
        /// `2024-03-05 14:02:07.412387+00`: a Postgres `timestamptz` literal.
        case postgresTimestamp
        /// `2024-03-05`.
        case date
        /// `20240305`: the date in day-schema names.
        case compactDate
    }

    package func formatted(_ format: Format) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(32)
        switch format {
        case .compactDate:
            appendDate(separator: nil, to: &text)
        case .date:
            appendDate(separator: ASCIIBytes.minus, to: &text)
        case .rfc3339Seconds:
            appendDate(separator: ASCIIBytes.minus, to: &text)
            text.append(ASCIIBytes.upperT)
            appendTimeOfDay(to: &text)
            text.append(ASCIIBytes.upperZ)
        case .rfc3339Microseconds:
            appendDate(separator: ASCIIBytes.minus, to: &text)
            text.append(ASCIIBytes.upperT)
            appendTimeOfDay(to: &text)
            appendFraction(to: &text)
            text.append(contentsOf: "+00:00".utf8)
        case .postgresTimestamp:
            appendDate(separator: ASCIIBytes.minus, to: &text)
            text.append(ASCIIBytes.space)
            appendTimeOfDay(to: &text)
            appendFraction(to: &text)
            text.append(contentsOf: "+00".utf8)
        }
        return String(decoding: text, as: UTF8.self)
    }

    private func appendDate(separator: UInt8?, to text: inout [UInt8]) {
        if date.year < 0 { text.append(ASCIIBytes.minus) }
        Self.append(date.year.magnitude, digits: 4, to: &text)
        if let separator { text.append(separator) }
        Self.append(date.month.magnitude, digits: 2, to: &text)
        if let separator { text.append(separator) }
        Self.append(date.day.magnitude, digits: 2, to: &text)
    }

    private func appendTimeOfDay(to text: inout [UInt8]) {
        Self.append(hour.magnitude, digits: 2, to: &text)
        text.append(ASCIIBytes.colon)
        Self.append(minute.magnitude, digits: 2, to: &text)
        text.append(ASCIIBytes.colon)
        Self.append(second.magnitude, digits: 2, to: &text)
    }

    private func appendFraction(to text: inout [UInt8]) {
        text.append(ASCIIBytes.dot)
        Self.append(microsecond.magnitude, digits: 6, to: &text)
    }

    /// Appends `value` in decimal, zero-padded to at least `digits` digits.
    private static func append(_ value: UInt64, digits: Int, to text: inout [UInt8]) {
        var width = 1
        var rest = value / 10
        while rest > 0 {
            width += 1
            rest /= 10
        }
        text.append(contentsOf: repeatElement(ASCIIBytes.zero, count: max(width, digits)))
        var index = text.count - 1
        rest = value
        while rest > 0 {
            text[index] = ASCIIBytes.zero + UInt8(rest % 10)
            rest /= 10
            index -= 1
        }
    }

    // MARK: - Parsing

    /// Which spellings of RFC 3339 a parser accepts. Both take `YYYY-MM-DDTHH:MM:SS`, an optional fraction and a
    /// zone, range-check every field (February 29 only in leap years, no hour 24, no leap second) and accept nothing
    /// before or after the time.
    package enum Syntax: Sendable {
        /// RFC 5424's `TIMESTAMP`, as syslog headers carry it: upper-case `T` and `Z`, 1–6 fraction digits, and
        /// `Z` or a `±hh:mm` offset below 24 hours.
        case strict
        /// What the read API accepts in `from`/`to`: also any number of fraction digits (read to the microsecond,
        /// the rest ignored), a lower-case `z`, and `±hhmm` or `±hh` offsets.
        case relaxed
    }

    /// The UTC time `text` names, or nil when it is not a valid time in `syntax`.
    package static func parse(_ text: String, syntax: Syntax = .strict) -> EventTime? {
        let bytes = Array(text.utf8)
        return parse(bytes, in: bytes.indices, syntax: syntax)
    }

    /// The UTC time in `range` of `bytes`, or nil when the range is not a valid time in `syntax`.
    package static func parse(_ bytes: [UInt8], in range: Range<Int>, syntax: Syntax = .strict) -> EventTime? {
        var hour = HourCache()
        return parse(bytes, in: range, syntax: syntax, reusing: &hour)
    }

    /// The date and hour (`YYYY-MM-DDTHH`) the last parse read, valid, and the instant they start at: the lines of
    /// one drain body nearly always share them, so each line after the first reads only minutes and seconds.
    package struct HourCache: Sendable {
        /// The first 13 bytes of the last time read, as two words (`ByteWord.load`), the second cut to 5 bytes.
        fileprivate var leadingBytes: (UInt64, UInt64) = (0, 0)
        fileprivate var startSeconds: Int64 = 0
        fileprivate var isFilled = false

        package init() {}

        fileprivate init(leadingBytes: (UInt64, UInt64), startSeconds: Int64) {
            self.leadingBytes = leadingBytes
            self.startSeconds = startSeconds
            isFilled = true
        }

        fileprivate func holds(_ leading: (UInt64, UInt64)) -> Bool {
            isFilled && leadingBytes == leading
        }
    }

    /// Like `parse(_:in:syntax:)`, but reads the date and hour only when they differ from the last ones `hour`
    /// holds, and leaves the new ones there.
    package static func parse(
        _ bytes: [UInt8], in range: Range<Int>, syntax: Syntax = .strict, reusing hour: inout HourCache
    ) -> EventTime? {
        let start = range.lowerBound
        let end = range.upperBound
        guard end - start >= 20 else { return nil }
        let span = bytes.span
        let leading = (ByteWord.load(span, at: start), ByteWord.load(span, at: start + 8) & 0xFF_FFFF_FFFF)
        if !hour.holds(leading) {
            guard let year = number(bytes, at: start, digits: 4), bytes[start + 4] == ASCIIBytes.minus,
                let month = number(bytes, at: start + 5, digits: 2), bytes[start + 7] == ASCIIBytes.minus,
                let day = number(bytes, at: start + 8, digits: 2), bytes[start + 10] == ASCIIBytes.upperT,
                let hours = number(bytes, at: start + 11, digits: 2),
                (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hours < 24
            else { return nil }
            let days = CivilDate(year: year, month: month, day: day).daysSinceEpoch
            hour = HourCache(leadingBytes: leading, startSeconds: days &* 86_400 &+ hours &* 3600)
        }
        guard bytes[start + 13] == ASCIIBytes.colon, let minute = number(bytes, at: start + 14, digits: 2),
            bytes[start + 16] == ASCIIBytes.colon, let second = number(bytes, at: start + 17, digits: 2),
            minute < 60, second < 60
        else { return nil }

        var index = start + 19
        var microsecond: Int64 = 0
        if bytes[index] == ASCIIBytes.dot {
            index += 1
            let fractionStart = index
            while index < end, ASCIIBytes.isDigit(bytes[index]) {
                if index - fractionStart < 6 {
                    microsecond = microsecond * 10 + Int64(bytes[index] &- ASCIIBytes.zero)
                } else if syntax == .strict {
                    return nil
                }
                index += 1
            }
            let fractionDigits = index - fractionStart
            guard fractionDigits > 0 else { return nil }
            for _ in min(fractionDigits, 6)..<6 { microsecond *= 10 }
        }

        guard index < end, let offsetSeconds = zoneOffsetSeconds(bytes, in: index..<end, syntax: syntax) else {
            return nil
        }
        let seconds = hour.startSeconds &+ minute &* 60 &+ second
        return EventTime(microsecondsSinceEpoch: (seconds &* 1_000_000 &+ microsecond) - offsetSeconds * 1_000_000)
    }

    /// The offset from UTC the zone designator filling `range` names, in seconds; nil when it is not one.
    @inline(__always)
    private static func zoneOffsetSeconds(_ bytes: [UInt8], in range: Range<Int>, syntax: Syntax) -> Int64? {
        let start = range.lowerBound
        let sign = bytes[start]
        if range.count == 1 {
            let isUTC = sign == ASCIIBytes.upperZ || (syntax == .relaxed && sign == lowerZ)
            return isUTC ? 0 : nil
        }
        guard sign == ASCIIBytes.plus || sign == ASCIIBytes.minus else { return nil }
        let minutesStart: Int?
        switch range.count {
        case 6 where bytes[start + 3] == ASCIIBytes.colon: minutesStart = start + 4
        case 5 where syntax == .relaxed: minutesStart = start + 3
        case 3 where syntax == .relaxed: minutesStart = nil
        default: return nil
        }
        guard let hours = number(bytes, at: start + 1, digits: 2), hours < 24 else { return nil }
        var minutes: Int64 = 0
        if let minutesStart {
            guard let value = number(bytes, at: minutesStart, digits: 2), value < 60 else { return nil }
            minutes = value
        }
        let seconds = hours * 3600 + minutes * 60
        return sign == ASCIIBytes.minus ? -seconds : seconds
    }

    private static let lowerZ = UInt8(ascii: "z")

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// The decimal number made of exactly `digits` digits at `start`; the caller has checked the bounds.
    @inline(__always)
    private static func number(_ bytes: [UInt8], at start: Int, digits: Int) -> Int64? {
        var value: Int64 = 0
        for index in start..<(start + digits) {
            let byte = bytes[index]
            guard ASCIIBytes.isDigit(byte) else { return nil }
            value = value * 10 + Int64(byte &- ASCIIBytes.zero)
        }
        return value
    }
}
