import Drainpipe
import DrainpipeCore
import DrainpipePostgres
import Logging
import Synchronization
import Testing

/// Timeouts and the reconnect gate against a real server.
@Suite("ShardedDatabase and statement timeouts against Postgres", .timeLimit(.minutes(1)))
struct ShardedDatabaseTests {
    @Test(
        """
        a statement running past the statement timeout is cancelled \
        with a retryable error, and the timeout survives a reset
        """
    )
    func statementTimeout() throws {
        let connection = try PQConnection(
            url: PostgresTestDatabase.url(), connectTimeout: .seconds(5), statementTimeout: .milliseconds(300),
            logger: Logger(label: "test"))
        for attempt in 0..<2 {
            #expect {
                try connection.query("SELECT pg_sleep(5)")
            } throws: { error in
                guard let error = error as? PostgresError else { return false }
                return error.sqlState == .queryCanceled && error.isRetryable
            }
            #expect(try connection.query("SHOW statement_timeout").rows == [["300ms"]])
            if attempt == 0 { try connection.reset() }
        }
    }

    @Test("after a shard refused a session, its calls fail without trying until the reconnect interval has passed")
    func failsFastWhileAShardIsDown() async throws {
        let scratch = try ScratchDatabase.create("gate")
        defer { try? scratch.drop() }
        var logger = Logger(label: "gate-test")
        logger.logLevel = .critical
        let database = ShardedDatabase(shards: [scratch.url], reconnectInterval: .seconds(2), logger: logger)
        let probe: @Sendable (PQConnection) throws(PostgresError) -> Int = { connection throws(PostgresError) in
            try connection.query("SELECT 1").count
        }
        try scratch.refuseConnections()
        await #expect(throws: PostgresError.self) { try await database.withShard(0, probe) }

        // The database is back, but the gate is still closed: the call fails at once, naming the wait.
        try scratch.allowConnections()
        await #expect {
            try await database.withShard(0, probe)
        } throws: { error in
            guard let error = error as? PostgresError, case .connectFailed(_, let reason) = error else { return false }
            return reason.contains("next one is in")
        }

        try await Task.sleep(for: .milliseconds(2100))
        #expect(try await database.withShard(0, probe) == 1)
    }

    @Test("a shard's owners are spread over its two sessions, and each session writes while the other is busy")
    func twoSessionsPerShard() async throws {
        var logger = Logger(label: "sessions-test")
        logger.logLevel = .critical
        let database = ShardedDatabase(shards: [try PostgresTestDatabase.url()], sessionsPerShard: 2, logger: logger)
        let prefix = PostgresTestDatabase.uniqueOwner("sessions")
        let owners = (0..<64).map { "\(prefix)-\($0)" }
        #expect(Set(owners.map(database.session(forOwner:))) == [0, 1])
        #expect(owners.allSatisfy { database.session(forOwner: $0) == database.session(forOwner: $0) })

        // Session 0 is busy for 5 s; a write on session 1 must not wait for it.
        let slept = Mutex(false)
        let sleeper = Task {
            try await database.withShard(0) { connection throws(PostgresError) in
                _ = try connection.query("SELECT pg_sleep(5)")
            }
            slept.withLock { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(300))
        let windowStart = EventTime(secondsSinceEpoch: 1_930_435_140)
        let summaries = owners.filter { database.session(forOwner: $0) == 1 }.map { owner in
            Summary(
                key: SeriesKey(
                    type: .customMetrics, owner: owner, processType: "web", metric: "m", windowStart: windowStart,
                    periodSeconds: 60),
                version: 1, fields: ["value": FieldStatistics(value: 1)])
        }
        #expect(try await database.write(summaries, toShard: 0, session: 1) == summaries.count)
        #expect(!slept.withLock { $0 })
        try await sleeper.value
        let stored = try await database.summaries(
            type: .customMetrics, owner: summaries[0].key.owner, processType: nil, metric: nil,
            from: windowStart, to: windowStart + .seconds(60))
        #expect(stored == [summaries[0]])
    }

    @Test("reads run on their own sessions: a read neither waits for a busy read nor for a busy writing session")
    func readsRunSideBySide() async throws {
        var logger = Logger(label: "read-sessions-test")
        logger.logLevel = .critical
        let database = ShardedDatabase(
            shards: [try PostgresTestDatabase.url()], sessionsPerShard: 1, readSessionsPerShard: 2, logger: logger)
        #expect(database.readSessionsPerShard == 2)
        // The writing session and the first reading session are busy for 5 s each.
        let writerDone = Mutex(false)
        let writer = Task {
            try await database.withShard(0) { connection throws(PostgresError) in
                _ = try connection.query("SELECT pg_sleep(5)")
            }
            writerDone.withLock { $0 = true }
        }
        let readerDone = Mutex(false)
        let reader = Task {
            try await database.withReadSession(0) { connection throws(PostgresError) in
                _ = try connection.query("SELECT pg_sleep(5)")
            }
            readerDone.withLock { $0 = true }
        }
        try await Task.sleep(for: .milliseconds(300))
        let backend = try await database.withReadSession(0) { connection throws(PostgresError) in
            try connection.query("SELECT pg_backend_pid()").rows.first?.first ?? nil
        }
        #expect(backend != nil)
        // Answered while both sleepers were still running: neither had been waited for.
        #expect(!writerDone.withLock { $0 })
        #expect(!readerDone.withLock { $0 })
        try await writer.value
        try await reader.value
    }
}
