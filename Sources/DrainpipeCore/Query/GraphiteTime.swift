/// Graphite's time syntax, read as graphite-web 1.1.8 reads it, in UTC: `from`/`until` values and the interval
/// strings functions take.
///
/// A `from`/`until` value is lowercased and stripped of `_`, `,` and spaces, then is either Unix seconds (digits,
/// unless it looks like `YYYYMMDD`) or a reference followed by an offset starting at its first `+` or `-`:
/// `now-5min`, `-6h`, `12:30_20240305`, `noon yesterday`, `midnight+1h`, `8am`, `20240305`, `03/05/24`, `march5`,
/// `monday`. References: empty or `now` (the injected time); an optional time of day (`HH:MM`, `Xam`, `Xpm`, `noon`,
/// `midnight`, `teatime`) then an optional day (`today`, `yesterday`, `tomorrow`, `MM/DD/YY[YY]`, `YYYYMMDD`, a month
/// name and day, a weekday, which goes back to its latest occurrence); a time of day without a day means today.
package enum GraphiteTime {
    /// Parses a `from`/`until` value relative to `now`.
    package static func parse(_ text: String, now: EventTime) throws(QueryError) -> EventTime {
        let cleaned = String(
            String.UnicodeScalarView(
                text.lowercased().unicodeScalars.filter { !["_", ",", " ", "\t", "\n", "\r"].contains($0) }))
        if !cleaned.isEmpty, cleaned.utf8.allSatisfy(isDigit), !looksLikeCompactDate(cleaned) {
            guard cleaned.utf8.count <= 12, let seconds = Int64(cleaned), seconds <= maximumSeconds else {
                throw QueryError(.malformedTime, "time '\(text)' is out of range")
            }
            return EventTime(secondsSinceEpoch: seconds)
        }
        let reference: Substring
        let offset: Substring
        if let sign = cleaned.firstIndex(of: "+") ?? cleaned.firstIndex(of: "-") {
            reference = cleaned[..<sign]
            offset = cleaned[sign...]
        } else {
            reference = cleaned[...]
            offset = ""
        }
        let base = try referenceTime(reference, now: now, original: text)
        let shift = try offsetSeconds(offset, original: text)
        let result = base + .seconds(shift)
        guard result <= EventTime.latestPlausible, result.secondsSinceEpoch >= earliestSeconds else {
            throw QueryError(.malformedTime, "time '\(text)' is out of range")
        }
        return result
    }

    /// The signed length in seconds of an interval string as functions take it (`'5min'`, `'1h'`, `'-1d'`,
    /// `'1h30min'`, `'10s'`): case-sensitive, without a leading sign it is positive, each number needs a unit
    /// (`s…`, `min…`, `h…`, `d…`, `w…`, `mon…` = 30 days, `y…` = 365 days; a bare `m` is no unit).
    package static func intervalSeconds(_ text: String) throws(QueryError) -> Int64 {
        try offsetSeconds(text[...], original: text)
    }

    // MARK: - Offsets

    private static let maximumSeconds: Int64 = 253_402_300_799
    /// 0001-01-01T00:00:00Z, the earliest time graphite-web's dates reach.
    private static let earliestSeconds: Int64 = -62_135_596_800

    private static func offsetSeconds(_ text: Substring, original: String) throws(QueryError) -> Int64 {
        guard let first = text.first else { return 0 }
        var remaining = text
        var sign: Int64 = 1
        if first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            remaining = remaining.dropFirst()
        } else if !first.isASCII || !first.isNumber {
            throw QueryError(.malformedTime, "invalid offset '\(text)' in '\(original)'")
        }
        var total: Int64 = 0
        while !remaining.isEmpty {
            let digits = remaining.prefix { $0.isASCII && $0.isNumber }
            remaining = remaining.dropFirst(digits.count)
            let unit = remaining.prefix { $0.isASCII && $0.isLetter }
            remaining = remaining.dropFirst(unit.count)
            guard !digits.isEmpty, digits.count <= 12, let number = Int64(digits) else {
                throw QueryError(.malformedTime, "expected a number in offset '\(text)' of '\(original)'")
            }
            guard let unitSeconds = secondsPerUnit(unit) else {
                throw QueryError(.malformedTime, "invalid offset unit '\(unit)' in '\(original)'")
            }
            let (seconds, overflow) = number.multipliedReportingOverflow(by: unitSeconds)
            total = overflow ? .max : total.addingReportingOverflow(seconds).partialValue
            guard !overflow, total >= 0, total <= maximumSeconds * 2 else {
                throw QueryError(.malformedTime, "offset '\(text)' in '\(original)' is out of range")
            }
        }
        return sign * total
    }

    /// graphite-web's unit prefixes, in its order (so `min` is minutes and `mon` months).
    private static func secondsPerUnit(_ unit: Substring) -> Int64? {
        if unit.hasPrefix("s") { return 1 }
        if unit.hasPrefix("min") { return 60 }
        if unit.hasPrefix("h") { return 3600 }
        if unit.hasPrefix("d") { return 86_400 }
        if unit.hasPrefix("w") { return 7 * 86_400 }
        if unit.hasPrefix("mon") { return 30 * 86_400 }
        if unit.hasPrefix("y") { return 365 * 86_400 }
        return nil
    }

    // MARK: - References

    private static let monthNames = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]
    private static let weekdayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func looksLikeCompactDate(_ digits: String) -> Bool {
        let bytes = Array(digits.utf8)
        guard bytes.count == 8, let year = Int(digits.prefix(4)), let month = Int(digits.dropFirst(4).prefix(2)),
            let day = Int(digits.suffix(2))
        else { return false }
        return year > 1900 && month < 13 && day < 32
    }

    private static func referenceTime(
        _ text: Substring, now: EventTime, original: String
    ) throws(QueryError)
        -> EventTime
    {
        guard !text.isEmpty, text != "now" else { return now }
        func invalid() -> QueryError { QueryError(.malformedTime, "unknown time reference '\(text)' in '\(original)'") }
        var reference = text
        var hour: Int64 = 0
        var minute: Int64 = 0
        if let colon = reference.firstIndex(of: ":"),
            (1...2).contains(reference.distance(from: reference.startIndex, to: colon))
        {
            guard let parsedHour = Int64(reference[..<colon]) else { throw invalid() }
            let minuteText = reference[reference.index(after: colon)...].prefix(2)
            guard let parsedMinute = Int64(minuteText) else { throw invalid() }
            hour = parsedHour
            minute = parsedMinute
            reference = reference[reference.index(after: colon)...].dropFirst(2)
            if reference.hasPrefix("am") {
                reference = reference.dropFirst(2)
            } else if reference.hasPrefix("pm") {
                hour = (hour + 12) % 24
                reference = reference.dropFirst(2)
            }
        }
        for (marker, addsNoon) in [("am", false), ("pm", true)] {
            if let range = reference.firstRange(of: marker),
                (1...2).contains(reference.distance(from: reference.startIndex, to: range.lowerBound))
            {
                guard let parsedHour = Int64(reference[..<range.lowerBound]) else { throw invalid() }
                hour = addsNoon ? (parsedHour + 12) % 24 : parsedHour
                reference = reference[range.upperBound...]
            }
        }
        for (word, wordHour) in [("noon", Int64(12)), ("midnight", 0), ("teatime", 16)] where reference.hasPrefix(word)
        {
            hour = wordHour
            minute = 0
            reference = reference.dropFirst(word.count)
            break
        }
        guard (0..<24).contains(hour), (0..<60).contains(minute) else { throw invalid() }
        let today = UTCDateTime(now).date
        var date = today
        if reference.isEmpty || reference == "today" {
        } else if reference == "yesterday" {
            date = CivilDate(daysSinceEpoch: today.daysSinceEpoch - 1)
        } else if reference == "tomorrow" {
            date = CivilDate(daysSinceEpoch: today.daysSinceEpoch + 1)
        } else if reference.count(where: { $0 == "/" }) == 2 {
            let parts = reference.split(separator: "/", omittingEmptySubsequences: false).map { Int64($0) }
            guard let month = parts[0], let day = parts[1], var year = parts[2] else { throw invalid() }
            if year < 1900 { year += 1900 }
            if year < 1970 { year += 100 }
            date = CivilDate(year: year, month: month, day: day)
        } else if reference.count == 8, reference.utf8.allSatisfy(isDigit) {
            date = CivilDate(
                year: Int64(reference.prefix(4))!, month: Int64(reference.dropFirst(4).prefix(2))!,
                day: Int64(reference.suffix(2))!)
        } else if let month = monthNames.firstIndex(of: String(reference.prefix(3))) {
            let lastTwo = reference.suffix(2)
            let trailingDigits = lastTwo.allSatisfy { $0.isASCII && $0.isNumber } ? lastTwo : reference.suffix(1)
            guard let day = Int64(trailingDigits) else {
                throw QueryError(.malformedTime, "day of month required after month name in '\(original)'")
            }
            date = CivilDate(year: today.year, month: Int64(month) + 1, day: day)
        } else if let weekday = weekdayNames.firstIndex(of: String(reference.prefix(3))) {
            // 1970-01-01 was a Thursday (index 4 with Sunday = 0).
            let todayWeekday = Int((today.daysSinceEpoch % 7 + 7 + 4) % 7)
            let daysBack = (todayWeekday - weekday + 7) % 7
            date = CivilDate(daysSinceEpoch: today.daysSinceEpoch - Int64(daysBack))
        } else {
            throw invalid()
        }
        guard isValid(date) else { throw QueryError(.malformedTime, "invalid date in '\(original)'") }
        return UTCDateTime(date: date, hour: hour, minute: minute, second: 0, microsecond: 0).eventTime
    }

    private static func isValid(_ date: CivilDate) -> Bool {
        guard (1...9999).contains(date.year), (1...12).contains(date.month), (1...31).contains(date.day) else {
            return false
        }
        return CivilDate(daysSinceEpoch: date.daysSinceEpoch) == date
    }
}
