import DrainpipeCore
import Testing

@Suite("UTCDateTime")
struct UTCDateTimeTests {
    static func parse(_ text: String, _ syntax: UTCDateTime.Syntax) -> EventTime? {
        UTCDateTime.parse(text, syntax: syntax)
    }

    static func time(_ microseconds: Int64) -> UTCDateTime {
        UTCDateTime(EventTime(microsecondsSinceEpoch: microseconds))
    }

    // MARK: - Rendering

    @Test(
        "renders every format",
        arguments: [
            (UTCDateTime.Format.rfc3339Seconds, "2024-03-05T14:02:07Z"),
            (.rfc3339Microseconds, "2024-03-05T14:02:07.412387+00:00"),
            (.postgresTimestamp, "2024-03-05 14:02:07.412387+00"),
            (.date, "2024-03-05"),
            (.compactDate, "20240305"),
        ])
    func formats(format: UTCDateTime.Format, expected: String) {
        #expect(Self.time(1_709_647_327_412_387).formatted(format) == expected)
    }

    @Test(
        "renders whole seconds rounded down, before 1970 too",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00Z"), (999_999, "1970-01-01T00:00:00Z"), (1_000_000, "1970-01-01T00:00:01Z"),
            (-1, "1969-12-31T23:59:59Z"), (-1_000_000, "1969-12-31T23:59:59Z"), (-1_000_001, "1969-12-31T23:59:58Z"),
        ])
    func wholeSeconds(microseconds: Int64, expected: String) {
        #expect(Self.time(microseconds).formatted(.rfc3339Seconds) == expected)
    }

    @Test(
        "renders leap days, year ends and the bounds of four-digit years",
        arguments: [
            (Int64(951_782_400_000_000), "2000-02-29T00:00:00.000000+00:00"),
            (4_107_542_400_000_000, "2100-03-01T00:00:00.000000+00:00"),
            (1_709_251_199_999_999, "2024-02-29T23:59:59.999999+00:00"),
            (1_735_689_599_000_001, "2024-12-31T23:59:59.000001+00:00"),
            (-62_167_219_200_000_000, "0000-01-01T00:00:00.000000+00:00"),
            (-62_135_596_800_000_000, "0001-01-01T00:00:00.000000+00:00"),
            (-61_851_600_000_000_000, "0010-01-01T00:00:00.000000+00:00"),
            (253_402_300_799_999_999, "9999-12-31T23:59:59.999999+00:00"),
        ])
    func calendarEdges(microseconds: Int64, expected: String) {
        #expect(Self.time(microseconds).formatted(.rfc3339Microseconds) == expected)
    }

    @Test("renders years beyond four digits with the digits they need and a sign before year 0")
    func extremeYears() {
        #expect(Self.time(253_402_300_800_000_000).formatted(.date) == "10000-01-01")
        #expect(Self.time(-62_167_219_200_000_001).formatted(.date) == "-0001-12-31")
        #expect(Self.time(.max).formatted(.rfc3339Microseconds) == "294247-01-10T04:00:54.775807+00:00")
        #expect(Self.time(.min).formatted(.rfc3339Microseconds) == "-290308-12-21T19:59:05.224192+00:00")
    }

    @Test("splits a time into calendar fields and back")
    func fields() {
        let time = Self.time(-1)
        #expect(time.date == CivilDate(year: 1969, month: 12, day: 31))
        #expect([time.hour, time.minute, time.second, time.microsecond] == [23, 59, 59, 999_999])
        #expect(time.eventTime == EventTime(microsecondsSinceEpoch: -1))
    }

    // MARK: - Parsing

    @Test(
        "parses RFC 3339 with fractions and offsets in both syntaxes",
        arguments: [
            ("2024-03-05T14:02:07.412387+00:00", Int64(1_709_647_327_412_387)),
            ("2024-03-05T14:02:07Z", 1_709_647_327_000_000),
            ("2024-03-05T14:02:07.5Z", 1_709_647_327_500_000),
            ("2024-03-05T19:32:07.000001+05:30", 1_709_647_327_000_001),
            ("2024-03-05T07:02:07-07:00", 1_709_647_327_000_000),
            ("2024-03-05T14:02:07-00:00", 1_709_647_327_000_000),
            ("2024-01-01T00:30:00+01:00", 1_704_065_400_000_000),
            ("2023-12-31T23:30:00-01:00", 1_704_069_000_000_000),
            ("2000-02-29T12:00:00Z", 951_825_600_000_000),
            ("2400-02-29T00:00:00Z", 13_574_563_200_000_000),
            ("0000-01-01T00:00:00Z", -62_167_219_200_000_000),
            ("0000-01-01T00:00:00+23:59", -62_167_305_540_000_000),
            ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
            ("9999-12-31T23:59:59.999999-23:59", 253_402_387_139_999_999),
        ])
    func parsesInBothSyntaxes(text: String, microseconds: Int64) {
        #expect(Self.parse(text, .strict) == EventTime(microsecondsSinceEpoch: microseconds))
        #expect(Self.parse(text, .relaxed) == EventTime(microsecondsSinceEpoch: microseconds))
    }

    @Test(
        "the relaxed syntax also reads long fractions, lower-case z and offsets without a colon",
        arguments: [
            ("2024-03-05T14:02:07.123456789Z", Int64(1_709_647_327_123_456)),
            ("2024-03-05T14:02:07.9999999999999999999999Z", 1_709_647_327_999_999),
            ("2024-03-05T14:02:07z", 1_709_647_327_000_000),
            ("2024-03-05T15:02:07+0100", 1_709_647_327_000_000),
            ("2024-03-05T08:32:07.5-0530", 1_709_647_327_500_000),
            ("2024-03-05T15:02:07+01", 1_709_647_327_000_000),
            ("2024-03-05T13:02:07-01", 1_709_647_327_000_000),
        ])
    func relaxedOnly(text: String, microseconds: Int64) {
        #expect(Self.parse(text, .relaxed) == EventTime(microsecondsSinceEpoch: microseconds))
        #expect(Self.parse(text, .strict) == nil)
    }

    @Test(
        "both syntaxes reject malformed or impossible times",
        arguments: [
            "", "2024", "2024-03-05", "2024-03-05T14:02", "2024-03-05T14:02:07", "2024-03-05T14:02:07.5",
            "2024-03-05 14:02:07Z", "2024-03-05t14:02:07Z", " 2024-03-05T14:02:07Z", "2024-03-05T14:02:07Z ",
            "2024-03-05T14:02:07Zjunk", "2024-03-05T14:02:07+01:00junk", "2024-03-05T14:02:07+01:00:00",
            "2024-03-05T14:02:07.Z", "2024-03-05T14:02:07,5Z", "2024-03-05T14:02:07.-5Z", "2024-3-5T14:02:07Z",
            "2024-03-05T4:02:07Z", "+2024-03-05T14:02:07Z", "20240305T140207Z", "2024-03-05T14:02:07GMT",
            "2024-13-05T14:02:07Z", "2024-00-05T14:02:07Z", "2024-03-00T14:02:07Z", "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
            "2024-03-05T24:00:00Z", "2024-03-05T14:60:00Z", "2024-03-05T14:02:60Z", "2024-03-05T14:02:07+24:00",
            "2024-03-05T14:02:07+05:60", "2024-03-05T14:02:07+99:99", "2024-03-05T14:02:07+1:00",
            "2024-03-05T14:02:07+05:3", "2024-03-05T14:02:07+053", "2024-03-05T14:02:07+5", "2024-03-05T14:02:07+",
            "2024-03-05T14:02:07ZZ", "2024-03-05T14:02:1aZ", "2024-03-05T14:02:07.1a3Z", "٢٠٢٤-03-05T14:02:07Z",
        ])
    func rejects(text: String) {
        #expect(Self.parse(text, .strict) == nil)
        #expect(Self.parse(text, .relaxed) == nil)
    }

    @Test("parses only the given range of a larger buffer")
    func range() {
        let bytes = Array("<1>2024-03-05T14:02:07+00:00 host".utf8)
        #expect(UTCDateTime.parse(bytes, in: 3..<28) == EventTime(secondsSinceEpoch: 1_709_647_327))
        #expect(UTCDateTime.parse(bytes, in: 3..<27) == nil)
        #expect(UTCDateTime.parse(bytes, in: 3..<27, syntax: .relaxed) == nil)
    }

    // MARK: - Round trips

    @Test("every rendered time parses back, for 20,000 seeded random microseconds in years 0000 to 9999")
    func roundTrips() {
        var generator = SplitMix64(seed: 0x7155_DA7E)
        for _ in 0..<20_000 {
            let time = EventTime(
                microsecondsSinceEpoch: Int64.random(
                    in: -62_167_219_200_000_000...253_402_300_799_999_999, using: &generator))
            let rendered = UTCDateTime(time)
            #expect(Self.parse(rendered.formatted(.rfc3339Microseconds), .strict) == time)
            #expect(
                Self.parse(rendered.formatted(.rfc3339Seconds), .strict)
                    == EventTime(secondsSinceEpoch: time.secondsSinceEpoch))
            #expect(rendered.eventTime == time)
        }
    }

    @Test("renders and parses the same instant at every minute offset of a day")
    func offsets() {
        let utc = EventTime(microsecondsSinceEpoch: 1_709_647_327_412_387)
        for offsetMinutes in stride(from: -(23 * 60 + 59), through: 23 * 60 + 59, by: 7) {
            let local = UTCDateTime(utc + .seconds(Int64(offsetMinutes) * 60)).formatted(.rfc3339Microseconds)
            let magnitude = abs(offsetMinutes)
            let hours = magnitude / 60 < 10 ? "0\(magnitude / 60)" : "\(magnitude / 60)"
            let minutes = magnitude % 60 < 10 ? "0\(magnitude % 60)" : "\(magnitude % 60)"
            let text = local.dropLast(6) + (offsetMinutes < 0 ? "-" : "+") + hours + ":" + minutes
            #expect(Self.parse(String(text), .strict) == utc, "\(text)")
        }
    }
}
