import DrainpipeCore

/// The `from`/`until` values `/events/get_data` accepts, the subset of graphite-web's time syntax that Grafana sends
/// for annotations: `now`, Unix seconds, and offsets from now such as `-6h`, `-30min`, `-7d` or `now-2h`.
///
/// Offset units, as graphite spells them: `s`/`sec`/`seconds`, `min`/`minutes`, `h`/`hours`, `d`/`days`,
/// `w`/`weeks`, `mon`/`months` (30 days), `y`/`years` (365 days).
enum GraphiteEventsTime {
    /// The time `text` names, or nil when it is none of the accepted forms or lies outside 1970…9999.
    static func parse(_ text: String, now: EventTime) -> EventTime? {
        let lowered = text.lowercased()
        if lowered == "now" { return now }
        if let seconds = Int64(lowered) {
            guard (0...SeriesRoutes.latestSeconds).contains(seconds) else { return nil }
            return EventTime(secondsSinceEpoch: seconds)
        }
        let offsetText = lowered.hasPrefix("now") ? lowered.dropFirst(3) : Substring(lowered)
        guard let sign = offsetText.first, sign == "-" || sign == "+" else { return nil }
        let digits = offsetText.dropFirst().prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 9, let count = Int64(digits),
            let unit = unitSeconds[String(offsetText.dropFirst(1 + digits.count))]
        else { return nil }
        // At most 9 digits times a year fits Int64; more than 10 000 years away is out of range anyway.
        let magnitude = count * unit
        guard magnitude <= 10_000 * 31_536_000 else { return nil }
        let time = now + .seconds(sign == "-" ? -magnitude : magnitude)
        guard (0...SeriesRoutes.latestSeconds).contains(time.secondsSinceEpoch) else { return nil }
        return time
    }

    private static let unitSeconds: [String: Int64] = {
        var units: [String: Int64] = [:]
        let spellings: [([String], Int64)] = [
            (["s", "sec", "secs", "second", "seconds"], 1),
            (["min", "mins", "minute", "minutes"], 60),
            (["h", "hour", "hours"], 3_600),
            (["d", "day", "days"], 86_400),
            (["w", "week", "weeks"], 604_800),
            (["mon", "month", "months"], 2_592_000),
            (["y", "year", "years"], 31_536_000),
        ]
        for (names, seconds) in spellings {
            for name in names { units[name] = seconds }
        }
        return units
    }()
}
