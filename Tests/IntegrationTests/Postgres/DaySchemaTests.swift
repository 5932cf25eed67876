import Drainpipe
import DrainpipeCore
import DrainpipePostgres
import Testing

@Suite("DaySchema against Postgres", .timeLimit(.minutes(1)))
struct DaySchemaIntegrationTests {
    @Test("ensureExists is idempotent and safe when several sessions race to create the same day")
    func concurrentEnsure() async throws {
        // A day only this test uses, dropped first so the race really creates it.
        let day = try #require(DaySchema(year: 2038, month: 1, day: 1))
        let setup = try PostgresTestDatabase.connect()
        try setup.execute("DROP SCHEMA IF EXISTS \(day.name) CASCADE")
        var sessions: [PostgresSession] = []
        for _ in 0..<4 { sessions.append(try await PostgresTestDatabase.session()) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for session in sessions {
                group.addTask {
                    try await session.run { connection throws(PostgresError) in try day.ensureExists(on: connection) }
                }
            }
            try await group.waitForAll()
        }
        try day.ensureExists(on: setup)
        for type in MeasurementType.allCases {
            #expect(try DaySchema.existing(holding: type, on: setup).contains(day))
        }
    }

    @Test("dropSchemas drops exactly the days before the cutoff and leaves other schemas alone")
    func retention() throws {
        let connection = try PostgresTestDatabase.connect()
        // Year 1000: no other test writes there, so the days before the cutoff are exactly this test's.
        let days = (1...7).compactMap { DaySchema(year: 1000, month: 1, day: $0) }
        try #require(days.count == 7)
        for day in days { try day.ensureExists(on: connection) }
        try connection.execute("CREATE SCHEMA IF NOT EXISTS metrics_unrelated")
        defer { try? connection.execute("DROP SCHEMA IF EXISTS metrics_unrelated CASCADE") }

        let dropped = try DaySchema.dropSchemas(olderThan: days[4], on: connection)
        #expect(dropped == Array(days[0..<4]))
        let remaining = try DaySchema.existing(holding: .dynoLoad, on: connection)
        #expect(remaining.filter { $0.year == 1000 } == Array(days[4...]))
        #expect(try connection.query("SELECT 1 FROM pg_namespace WHERE nspname = 'metrics_unrelated'").count == 1)
        #expect(try DaySchema.dropSchemas(olderThan: days[4], on: connection).isEmpty)

        #expect(try DaySchema.dropSchemas(olderThan: days[6].advanced(by: 1), on: connection) == Array(days[4...]))
    }
}
