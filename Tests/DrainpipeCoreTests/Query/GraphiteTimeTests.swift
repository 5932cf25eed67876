import DrainpipeCore
import Testing

@Suite("GraphiteTime")
struct GraphiteTimeTests {
    /// Tuesday 2024-03-05T14:02:07.5Z.
    static let now = EventTime(microsecondsSinceEpoch: 1_709_647_327_500_000)
    static let nowSeconds: Int64 = 1_709_647_327
    /// 2024-03-05T00:00:00Z.
    static let midnight: Int64 = 1_709_596_800

    static let relativeCases: [(text: String, offsetSeconds: Int64)] = [
        ("now", 0), ("", 0), ("NOW", 0), ("-6h", -21_600), ("-5min", -300), ("-5minutes", -300), ("-1d", -86_400),
        ("-2w", -1_209_600), ("-1mon", -2_592_000), ("-1y", -31_536_000), ("now-5min", -300), ("+1h", 3600),
        ("-1h30min", -5400), ("now - 10s", -10), ("-3days", -259_200),
    ]

    @Test("reads relative times against the injected now", arguments: relativeCases)
    func relative(text: String, offsetSeconds: Int64) throws {
        let parsed = try GraphiteTime.parse(text, now: Self.now)
        #expect(parsed == Self.now + .seconds(offsetSeconds))
    }

    static let absoluteCases: [(text: String, seconds: Int64)] = [
        ("1709640000", Int64(1_709_640_000)), ("0", 0), ("20240305", midnight), ("20241301", 20_241_301),
        ("12:30_20240301", midnight - 4 * 86_400 + 45_000), ("00:00_20240305", midnight),
        ("midnight", midnight), ("noon", midnight + 43_200), ("teatime", midnight + 57_600),
        ("noon yesterday", midnight - 43_200), ("8am", midnight + 28_800), ("8pm tomorrow", midnight + 158_400),
        ("11:15pm", midnight + 83_700), ("today", midnight), ("monday", midnight - 86_400),
        ("tuesday", midnight), ("wednesday", midnight - 6 * 86_400), ("03/01/24", midnight - 4 * 86_400),
        ("3/1/2024", midnight - 4 * 86_400), ("mar1", midnight - 4 * 86_400), ("March 5", midnight),
        ("midnight+1h", midnight + 3600), ("20240305-1d", midnight - 86_400),
    ]

    @Test("reads absolute times and day references in UTC", arguments: absoluteCases)
    func absolute(text: String, seconds: Int64) throws {
        #expect(try GraphiteTime.parse(text, now: Self.now) == EventTime(secondsSinceEpoch: seconds))
    }

    @Test(
        "refuses malformed times",
        arguments: [
            ("-5m", "invalid offset unit 'm' in '-5m'"), ("-5", "invalid offset unit '' in '-5'"),
            ("banana", "unknown time reference 'banana' in 'banana'"),
            ("now-min", "expected a number in offset '-min' of 'now-min'"),
            ("25:00", "unknown time reference '25:00' in '25:00'"), ("02/30/2024", "invalid date in '02/30/2024'"),
            ("jan", "day of month required after month name in 'jan'"), ("-1x", "invalid offset unit 'x' in '-1x'"),
            ("99999999999999", "time '99999999999999' is out of range"),
            ("-999999999999y", "offset '-999999999999y' in '-999999999999y' is out of range"),
            ("12/9223372036854775807/2020", "invalid date in '12/9223372036854775807/2020'"),
        ])
    func malformed(text: String, message: String) {
        #expect(throws: QueryError(.malformedTime, message)) { try GraphiteTime.parse(text, now: Self.now) }
    }

    @Test(
        "reads function intervals",
        arguments: [
            ("5min", Int64(300)), ("1h", 3600), ("-1d", -86_400), ("10s", 10), ("1h30min", 5400), ("+2w", 1_209_600),
            ("1mon", 2_592_000), ("1y", 31_536_000), ("", 0),
        ])
    func intervals(text: String, seconds: Int64) throws {
        #expect(try GraphiteTime.intervalSeconds(text) == seconds)
    }

    @Test("refuses malformed intervals", arguments: ["5m", "5Min", "min", "5", "x5min", "1h-"])
    func malformedIntervals(text: String) {
        #expect(throws: QueryError.self) { try GraphiteTime.intervalSeconds(text) }
    }
}
