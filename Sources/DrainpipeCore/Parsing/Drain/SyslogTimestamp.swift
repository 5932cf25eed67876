/// Reads the RFC 3339 timestamps of syslog headers (RFC 5424 `TIMESTAMP`) into UTC `EventTime`s.
///
/// Accepts `YYYY-MM-DDTHH:MM:SS`, then 0–6 fraction digits, then `Z` or a `±hh:mm` offset, which is converted to
/// UTC. Upper-case `T` and `Z` only, no leap second, every field range-checked (February 29 only in leap years).
package enum SyslogTimestamp {
    /// The time in `range` of `bytes`, or nil when it is not a valid timestamp.
    package static func parse(_ bytes: [UInt8], in range: Range<Int>) -> EventTime? {
        let start = range.lowerBound
        let end = range.upperBound
        guard end - start >= 20,
            let year = number(bytes, at: start, digits: 4), bytes[start + 4] == ASCIIBytes.minus,
            let month = number(bytes, at: start + 5, digits: 2), bytes[start + 7] == ASCIIBytes.minus,
            let day = number(bytes, at: start + 8, digits: 2), bytes[start + 10] == ASCIIBytes.upperT,
            let hour = number(bytes, at: start + 11, digits: 2), bytes[start + 13] == ASCIIBytes.colon,
            let minute = number(bytes, at: start + 14, digits: 2), bytes[start + 16] == ASCIIBytes.colon,
            let second = number(bytes, at: start + 17, digits: 2)
        else { return nil }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year), hour < 24, minute < 60,
            second < 60
        else { return nil }

        var index = start + 19
        var microseconds: Int64 = 0
        if bytes[index] == ASCIIBytes.dot {
            index += 1
            let fractionStart = index
            while index < end, ASCIIBytes.isDigit(bytes[index]) {
                guard index - fractionStart < 6 else { return nil }
                microseconds = microseconds * 10 + Int64(bytes[index] &- ASCIIBytes.zero)
                index += 1
            }
            let fractionDigits = index - fractionStart
            guard fractionDigits > 0 else { return nil }
            for _ in fractionDigits..<6 { microseconds *= 10 }
        }

        guard index < end else { return nil }
        var offsetSeconds: Int64 = 0
        switch bytes[index] {
        case ASCIIBytes.upperZ:
            index += 1
        case ASCIIBytes.plus, ASCIIBytes.minus:
            guard end - index >= 6, let offsetHours = number(bytes, at: index + 1, digits: 2),
                bytes[index + 3] == ASCIIBytes.colon, let offsetMinutes = number(bytes, at: index + 4, digits: 2),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = offsetHours * 3600 + offsetMinutes * 60
            if bytes[index] == ASCIIBytes.minus { offsetSeconds = -offsetSeconds }
            index += 6
        default:
            return nil
        }
        guard index == end else { return nil }

        let localSeconds =
            CivilDate(year: year, month: month, day: day).daysSinceEpoch * 86_400 + hour * 3600 + minute * 60
            + second
        return EventTime(microsecondsSinceEpoch: (localSeconds - offsetSeconds) * 1_000_000 + microseconds)
    }

    // MARK: - Helpers

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
