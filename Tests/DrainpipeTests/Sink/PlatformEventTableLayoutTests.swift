import Drainpipe
import DrainpipeCore
import DrainpipePostgres
import Testing

@Suite("SummaryTableLayout of PLATFORM_EVENTS")
struct PlatformEventTableLayoutTests {
    private static let windowStart = EventTime(secondsSinceEpoch: 1_706_745_600)  // 2024-02-01 00:00:00 UTC

    private static func summary(_ events: [PlatformEvent], overflow: UInt64 = 0) -> Summary {
        Summary(
            key: SeriesKey(
                type: .platformEvents, owner: "app", processType: "api", metric: "events", windowStart: windowStart,
                periodSeconds: 60),
            version: 7, counts: ["deploy": 1, "release": 1],
            platformEvents: PlatformEventLog(events: events, overflow: overflow))
    }

    @Test("adds the events as a JSON array and the overflow after the counts and the sketch")
    func layout() throws {
        let layout = SummaryTableLayout(.platformEvents)
        #expect(layout.writtenColumnNames.suffix(4) == ["counts", "sketch", "events", "events_overflow"])
        #expect(!SummaryTableLayout(.dynoErrors).writtenColumnNames.contains("events"))
        let values = try layout.textValues(
            of: Self.summary(
                [
                    PlatformEvent(
                        time: Self.windowStart + .seconds(2), kind: .release, dyno: "", text: "v42 \"quoted\""),
                    PlatformEvent(time: Self.windowStart + .microseconds(1), kind: .deploy, dyno: "", text: "4f2a1c7"),
                ], overflow: 3))
        #expect(
            values == [
                "app", "api", "events", "60", "2024-02-01 00:00:00.000000+00", "7", #"{"deploy":1,"release":1}"#, nil,
                #"[{"time_us":1706745600000001,"kind":"deploy","dyno":"","text":"4f2a1c7"},"#
                    + #"{"time_us":1706745602000000,"kind":"release","dyno":"","text":"v42 \"quoted\""}]"#,
                "3",
            ])
        #expect(
            layout.createTableStatement(named: "metrics_20240201.platform_events").contains(
                "events jsonb NOT NULL DEFAULT '[]', events_overflow bigint NOT NULL DEFAULT 0"))
    }

    @Test("rejects an event text with a NUL character, which jsonb cannot hold, without quoting it")
    func rejectsNUL() {
        let bad = Self.summary([PlatformEvent(time: Self.windowStart, kind: .start, dyno: "web.1", text: "a\u{0}b")])
        #expect {
            try SummaryTableLayout(.platformEvents).textValues(of: bad)
        } throws: { error in
            guard case .invalidValue = error as? PostgresError else { return false }
            return !"\(error)".contains("a\u{0}b")
        }
    }
}
