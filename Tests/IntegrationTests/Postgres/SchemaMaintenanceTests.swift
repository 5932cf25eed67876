import Drainpipe
import DrainpipeCore
import DrainpipePostgres
import DrainpipeTestSupport
import Logging
import Testing

/// Retention as the postgres-sink runs it, with an injected wall clock, in a database of the test's own.
@Suite("SchemaMaintenanceService against Postgres", .timeLimit(.minutes(1)))
struct SchemaMaintenanceTests {
    @Test("keeps today and the retention window, creates the days ahead, and drops exactly the expired days")
    func retentionFollowsTheClock() async throws {
        let scratch = try ScratchDatabase.create("retention")
        defer { try? scratch.drop() }
        let connection = try scratch.connect()
        let today = try #require(DaySchema(year: 2026, month: 3, day: 1))  // across February's end
        let existing = (-30...3).map { today.advanced(by: Int64($0)) }
        for day in existing { try day.ensureExists(on: connection) }
        try connection.execute("CREATE SCHEMA metrics_archive; CREATE TABLE public.keep_me (id int)")

        // A stored summary on the oldest kept day and on the newest expired day.
        let writer = SummaryTableWriter()
        let kept = Self.summary(on: today.advanced(by: -20))
        let expired = Self.summary(on: today.advanced(by: -21))
        try writer.write([kept, expired], on: connection)

        let clock = ManualWallClock(today.start + .seconds(23 * 3600 + 59 * 60))  // 23:59 UTC: still `today`
        var logger = Logger(label: "retention-test")
        logger.logLevel = .critical
        let maintenance = SchemaMaintenanceService(
            database: ShardedDatabase(shards: [scratch.url], logger: logger), retentionDays: 21, daysAhead: 2,
            clock: clock, logger: logger)

        let first = try await maintenance.maintain(shard: 0)
        #expect(first.dropped == (-30 ... -21).map { today.advanced(by: Int64($0)) })
        #expect(first.ensured == (0...2).map { today.advanced(by: Int64($0)) })
        #expect(try Self.daySchemas(on: connection) == (-20...3).map { today.advanced(by: Int64($0)) })
        #expect(try Self.read(kept, on: connection) == [kept])
        #expect(try Self.read(expired, on: connection).isEmpty)

        // Same day again: nothing more to drop.
        #expect(try await maintenance.maintain(shard: 0).dropped.isEmpty)

        // One minute later it is the next day: exactly one more day expires, one more is created ahead.
        clock.advance(by: .seconds(60))
        let next = try await maintenance.maintain(shard: 0)
        #expect(next.dropped == [today.advanced(by: -20)])
        #expect(try Self.daySchemas(on: connection) == (-19...3).map { today.advanced(by: Int64($0)) })
        #expect(try Self.read(kept, on: connection).isEmpty)

        // Schemas that are not day schemas, and other tables, are never touched.
        #expect(try connection.query("SELECT 1 FROM pg_namespace WHERE nspname = 'metrics_archive'").count == 1)
        #expect(try connection.query("SELECT 1 FROM pg_tables WHERE tablename = 'keep_me'").count == 1)
    }

    private static func summary(on day: DaySchema) -> Summary {
        Summary(
            key: SeriesKey(
                type: .dynoLoad, owner: "retention", processType: "web", metric: "load_avg",
                windowStart: day.start + .seconds(3600), periodSeconds: 60),
            version: 1, fields: ["load_avg_1m": FieldStatistics(value: 0.5)])
    }

    private static func read(_ summary: Summary, on connection: PQConnection) throws -> [Summary] {
        try SummaryReader().summaries(
            type: .dynoLoad, owner: summary.key.owner, from: summary.key.windowStart,
            to: summary.key.windowStart + .seconds(60), on: connection)
    }

    /// Every day schema of the database, oldest first.
    private static func daySchemas(on connection: PQConnection) throws -> [DaySchema] {
        try connection.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'metrics\\_%'").rows
            .compactMap { $0.first.flatMap { $0 }.flatMap(DaySchema.init(schemaName:)) }.sorted()
    }
}
