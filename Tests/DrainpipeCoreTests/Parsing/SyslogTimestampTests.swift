import DrainpipeCore
import Testing

@Suite("SyslogTimestamp")
struct SyslogTimestampTests {
    static func parse(_ text: String) -> EventTime? {
        let bytes = Array(text.utf8)
        return UTCDateTime.parse(bytes, in: bytes.indices)
    }

    @Test(
        "converts valid timestamps to UTC microseconds",
        arguments: [
            ("2024-03-05T14:02:07.412387+00:00", 1_709_647_327_412_387),
            ("2024-03-05T14:02:13+00:00", 1_709_647_333_000_000),
            ("2024-03-05T14:02:13Z", 1_709_647_333_000_000),
            ("2024-03-05T07:02:10.551902-07:00", 1_709_647_330_551_902),
            ("2024-03-05T19:32:10.5+05:30", 1_709_647_330_500_000),
            ("2024-03-05T14:02:13.000001+00:00", 1_709_647_333_000_001),
            ("2024-03-05T14:02:13.12Z", 1_709_647_333_120_000),
            ("2024-03-05T14:02:13-00:00", 1_709_647_333_000_000),
            ("2024-02-29T00:00:00Z", 1_709_164_800_000_000),
            ("2000-02-29T00:00:00Z", 951_782_400_000_000),
            ("1970-01-01T00:00:00Z", 0),
            ("1970-01-01T00:00:00+01:00", -3_600_000_000),
            ("1969-12-31T23:59:59.999999Z", -1),
            ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
            ("2024-12-31T23:59:59+23:59", 1_735_603_259_000_000),
        ] as [(String, Int64)])
    func valid(_ text: String, microseconds: Int64) {
        #expect(Self.parse(text) == EventTime(microsecondsSinceEpoch: microseconds))
    }

    @Test(
        "rejects malformed or out-of-range timestamps",
        arguments: [
            "", "-", "2024-03-05", "2024-03-05T14:02:13", "2024-03-05 14:02:13Z", "2024-03-05t14:02:13Z",
            "2024-03-05T14:02:13z", "2024-13-05T14:02:13Z", "2024-00-05T14:02:13Z", "2024-03-00T14:02:13Z",
            "2024-03-32T14:02:13Z", "2023-02-29T14:02:13Z", "1900-02-29T00:00:00Z", "2024-04-31T00:00:00Z",
            "2024-03-05T24:00:00Z", "2024-03-05T14:60:00Z", "2024-03-05T14:02:60Z", "2024-03-05T14:02:13.Z",
            "2024-03-05T14:02:13.1234567Z", "2024-03-05T14:02:13+24:00", "2024-03-05T14:02:13+05:60",
            "2024-03-05T14:02:13+0530", "2024-03-05T14:02:13+05:3", "2024-03-05T14:02:13Z ", "2024-03-05T14:02:13ZZ",
            "2024-03-05T14:02:13.5", "+024-03-05T14:02:13Z", "2024-3-05T14:02:13Z", "2024-03-05T14:02:1aZ",
            "2024-03-05T14:02:13.1a3Z",
        ])
    func invalid(_ text: String) {
        #expect(Self.parse(text) == nil)
    }

    @Test("reads only the given range of a larger buffer")
    func range() {
        let bytes = Array("xx2024-03-05T14:02:13Zyy".utf8)
        #expect(UTCDateTime.parse(bytes, in: 2..<22) == EventTime(secondsSinceEpoch: 1_709_647_333))
    }

    @Test("gives every time the same result with the date and hour of the previous ones remembered")
    func reusedHour() {
        let texts = [
            "2024-03-05T14:02:07.412387+00:00", "2024-03-05T14:59:59.999999Z", "2024-03-05T14:60:00Z",
            "2024-03-05T14:02:60Z", "2024-03-05T14:02:13.1234567Z", "2024-03-05T14-02:13Z", "2024-03-05T14:02:13",
            "2024-03-05T14:02:13+05:30", "2024-03-05T15:00:00Z", "2024-03-05T24:00:00Z", "2024-02-29T14:02:13Z",
            "2023-02-29T14:02:13Z", "2024-03-06T14:02:13Z", "1969-12-31T23:59:59.999999Z", "2024-03-05T14:0a:13Z",
        ]
        var generator = SplitMix64(seed: 0x7140_0C0C)
        var hour = UTCDateTime.HourCache()
        for _ in 0..<2_000 {
            let bytes = Array(texts[Int(generator.next() % UInt64(texts.count))].utf8)
            #expect(
                UTCDateTime.parse(bytes, in: bytes.indices, reusing: &hour)
                    == UTCDateTime.parse(bytes, in: bytes.indices))
        }
    }

    @Test("agrees with year-by-year counting for 20,000 seeded random dates")
    func civilDates() {
        let yearStarts = Self.yearStartDays()
        var generator = SplitMix64(seed: 0x5EED_DA7E)
        for _ in 0..<20_000 {
            let year = Int64.random(in: 0...9999, using: &generator)
            let month = Int64.random(in: 1...12, using: &generator)
            let day = Int64.random(in: 1...28, using: &generator)
            var expected = yearStarts[Int(year)] + day - 1
            for earlier in 1..<month { expected += Self.monthLength(earlier, year: year) }
            #expect(CivilDate(year: year, month: month, day: day).daysSinceEpoch == expected)
        }
    }

    /// A slow, obviously correct reference: the day number of January 1 of every year 0...9999, counted from 1970
    /// one whole year at a time.
    static func yearStartDays() -> [Int64] {
        var starts = [Int64](repeating: 0, count: 10_000)
        for year in 1971...9999 { starts[year] = starts[year - 1] + (isLeap(Int64(year - 1)) ? 366 : 365) }
        for year in stride(from: 1969, through: 0, by: -1) {
            starts[year] = starts[year + 1] - (isLeap(Int64(year)) ? 366 : 365)
        }
        return starts
    }

    static func isLeap(_ year: Int64) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func monthLength(_ month: Int64, year: Int64) -> Int64 {
        [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][Int(month) - 1]
    }
}
