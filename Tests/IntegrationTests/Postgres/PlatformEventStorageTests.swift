import Drainpipe
import DrainpipeCore
import DrainpipePostgres
import Testing

/// `PLATFORM_EVENTS` summaries in their own day-schema table: written by every write path, read back whole.
@Suite("Platform event storage against Postgres", .timeLimit(.minutes(1)))
struct PlatformEventStorageTests {
    /// 2031-03-04 23:59:00 UTC, as in SummaryTableWriterTests.
    private static let window = EventTime(secondsSinceEpoch: 1_930_435_140)

    private static func summary(owner: String, version: Int64, events: [PlatformEvent], overflow: UInt64) -> Summary {
        var counts: [String: UInt64] = [:]
        for event in events { counts[event.kind.rawValue, default: 0] += 1 }
        counts["restart", default: 0] += overflow
        return Summary(
            key: SeriesKey(
                type: .platformEvents, owner: owner, processType: "web", metric: "events", windowStart: window,
                periodSeconds: 60),
            version: version, counts: counts, platformEvents: PlatformEventLog(events: events, overflow: overflow))
    }

    @Test("events, texts with quotes and non-ASCII, and the overflow round-trip exactly", arguments: WritePath.allCases)
    func roundTrip(path: WritePath) throws {
        let connection = try PostgresTestDatabase.connect()
        let owner = PostgresTestDatabase.uniqueOwner("events")
        let events = [
            PlatformEvent(time: Self.window + .microseconds(1), kind: .restart, dyno: "web.1", text: ""),
            PlatformEvent(
                time: Self.window + .seconds(3), kind: .start, dyno: "web.1",
                text: "bash -c \"echo 'héllo' \\ ✓\" tab\tend"),
            PlatformEvent(time: Self.window + .seconds(59), kind: .state, dyno: "web.2", text: "up -> crashed"),
        ]
        let stored = Self.summary(owner: owner, version: 5, events: events, overflow: 12)
        try path.write([stored], with: path.makeWriter(), on: connection)
        let read = try SummaryReader().summaries(
            type: .platformEvents, owner: owner, from: Self.window, to: Self.window + .seconds(60), on: connection)
        #expect(read == [stored])
    }

    @Test("a newer version replaces the stored events; an older one does not", arguments: WritePath.allCases)
    func versions(path: WritePath) throws {
        let connection = try PostgresTestDatabase.connect()
        let owner = PostgresTestDatabase.uniqueOwner("events-versions")
        let writer = path.makeWriter()
        let early = PlatformEvent(time: Self.window, kind: .deploy, dyno: "", text: "4f2a1c7")
        let late = PlatformEvent(time: Self.window + .seconds(2), kind: .release, dyno: "", text: "v42")
        let newer = Self.summary(owner: owner, version: 9, events: [early, late], overflow: 0)
        try path.write(
            [Self.summary(owner: owner, version: 3, events: [early], overflow: 0)], with: writer, on: connection)
        try path.write([newer], with: writer, on: connection)
        try path.write([Self.summary(owner: owner, version: 4, events: [], overflow: 0)], with: writer, on: connection)
        let read = try SummaryReader().summaries(
            type: .platformEvents, owner: owner, from: Self.window, to: Self.window + .seconds(60), on: connection)
        #expect(read == [newer])
    }
}
