import DrainpipeCore
import DrainpipePostgres
import Logging
import Synchronization

/// The Postgres shards of the metrics store; shard = jump-consistent-hash(owner).
///
/// Each shard has `sessionsPerShard` writing sessions and `readSessionsPerShard` reading ones (each one connection on
/// its own serial queue), opened on first use and reopened by the session after a failure; writers spread a shard's
/// owners over the writing sessions (``session(forOwner:)``), so two sessions never write the same row at once;
/// readers (``withReadSession(_:_:)``) take the reading session with the fewest calls in progress, so concurrent reads
/// run side by side and never queue behind a write. A process that only writes (the sinks) or only reads (the web
/// process) opens only the sessions it uses. A shard's sessions share one ``ReconnectGate``, so a shard that is down
/// at start-up or later fails only its own calls. After a shard's connection failed (or a statement timed out),
/// calls to that shard fail at once, without touching the network, for `reconnectInterval`, doubling with every
/// further failure up to `maximumReconnectInterval` (``ReconnectGate``): a dead shard costs the callers one connect
/// timeout per interval, not one per call, so it cannot stall the work of the healthy shards.
package final class ShardedDatabase: SummaryStore {
    private let shards: [LazySession]
    /// One writer per shard, so each remembers which day schemas exist there.
    private let writers: [SummaryTableWriter]
    private let router: ShardRouter

    /// - Parameters:
    ///   - connectTimeout: how long opening a session may take (libpq counts whole seconds, at least 2).
    ///   - statementTimeout: the longest any statement may run before the server cancels it.
    ///   - reconnectInterval: how long calls to a shard fail fast after its connection failed.
    ///   - maximumReconnectInterval: the cap of that wait as it doubles while the shard keeps failing.
    ///   - rowsPerCopy: summaries per `COPY` statement (`SummaryTableWriter.rowsPerCopy`).
    ///   - sessionsPerShard: sessions that may write to one shard at the same time (2: while one waits for its
    ///     commit's WAL flush, the other's rows are being inserted).
    ///   - readSessionsPerShard: sessions that may read one shard at the same time (the read API's statements).
    package init(
        shards urls: [DatabaseURL], connectTimeout: Duration = .seconds(5), statementTimeout: Duration = .seconds(30),
        reconnectInterval: Duration = .seconds(2), maximumReconnectInterval: Duration = .seconds(60),
        rowsPerCopy: Int = 1024, sessionsPerShard: Int = 2,
        readSessionsPerShard: Int = ShardedDatabase.defaultReadSessionsPerShard, logger: Logger
    ) {
        precondition(!urls.isEmpty, "configuration guarantees at least one shard")
        precondition(sessionsPerShard > 0, "a shard needs at least one session")
        precondition(readSessionsPerShard > 0, "a shard needs at least one reading session")
        shards = urls.enumerated().map { index, url in
            var shardLogger = logger
            shardLogger[metadataKey: "shard"] = "\(index)"
            return LazySession(
                url: url, connectTimeout: connectTimeout, statementTimeout: statementTimeout,
                gate: ReconnectGate(interval: reconnectInterval, maximumInterval: maximumReconnectInterval),
                sessionCount: sessionsPerShard, readSessionCount: readSessionsPerShard, logger: shardLogger)
        }
        writers = urls.map { _ in SummaryTableWriter(rowsPerCopy: rowsPerCopy) }
        router = ShardRouter(shardCount: urls.count)
    }

    /// Reading sessions per shard when the caller names no number (`DATABASE_READ_SESSIONS` of the web process).
    package static let defaultReadSessionsPerShard = 4

    package var shardCount: Int { shards.count }

    package var sessionsPerShard: Int { shards[0].sessionCount }

    package var readSessionsPerShard: Int { shards[0].readSessionCount }

    package func shard(forOwner owner: String) -> Int {
        router.shard(forOwner: owner)
    }

    /// The session, in `0..<sessionsPerShard`, that writes `owner`'s summaries within its shard.
    package func session(forOwner owner: String) -> Int {
        Int(ShardRouter.fnv1a64(owner) % UInt64(sessionsPerShard))
    }

    /// Upserts summaries that all belong to `shard` on one of its sessions (the one ``session(forOwner:)`` names for
    /// all their owners, so that no other session writes their rows meanwhile): one transaction per day, COPY into
    /// staging, then one upsert per type.
    /// - Returns: the number of rows inserted or replaced (older versions are left alone).
    @discardableResult
    package func write(_ summaries: [Summary], toShard shard: Int, session: Int = 0) async throws(PostgresError) -> Int
    {
        let writer = writers[shard]
        return try await shards[shard].run(session: session) { connection throws(PostgresError) in
            try writer.write(summaries, on: connection)
        }
    }

    /// Runs `body` with the connection of one shard's first writing session, on that session's own queue (schema
    /// work and other statements that must not run beside one another).
    package func withShard<Value: Sendable>(
        _ shard: Int, _ body: @escaping @Sendable (PQConnection) throws(PostgresError) -> Value
    ) async throws(PostgresError) -> Value {
        try await shards[shard].run(body)
    }

    /// Runs `body`, which only reads, on the reading session of `shard` with the fewest calls in progress.
    package func withReadSession<Value: Sendable>(
        _ shard: Int, _ body: @escaping @Sendable (PQConnection) throws(PostgresError) -> Value
    ) async throws(PostgresError) -> Value {
        try await shards[shard].read(body)
    }

    package func summaries(
        type: MeasurementType, owner: String, processType: String?, metric: String?, from: EventTime, to: EventTime
    ) async throws -> [Summary] {
        try await withReadSession(shard(forOwner: owner)) { connection throws(PostgresError) in
            try SummaryReader().summaries(
                type: type, owner: owner, processType: processType, metric: metric, from: from, to: to, on: connection)
        }
    }
}

/// A shard's writing and reading sessions, each connected on first use, behind one ``ReconnectGate``.
private final class LazySession: Sendable {
    private let url: DatabaseURL
    private let connectTimeout: Duration
    private let statementTimeout: Duration
    private let logger: Logger
    /// The writing sessions, then the reading ones; nil until first used.
    private let sessions: Mutex<[PostgresSession?]>
    let sessionCount: Int
    let readSessionCount: Int
    /// Calls in progress (running or queued) per reading session.
    private let readsInProgress: Mutex<[Int]>
    private let gate: Mutex<ReconnectGate>
    private let clock = ContinuousClock()

    init(
        url: DatabaseURL, connectTimeout: Duration, statementTimeout: Duration, gate: ReconnectGate, sessionCount: Int,
        readSessionCount: Int, logger: Logger
    ) {
        self.url = url
        sessions = Mutex(Array(repeating: nil, count: sessionCount + readSessionCount))
        self.sessionCount = sessionCount
        self.readSessionCount = readSessionCount
        readsInProgress = Mutex(Array(repeating: 0, count: readSessionCount))
        self.connectTimeout = connectTimeout
        self.statementTimeout = statementTimeout
        self.logger = logger
        self.gate = Mutex(gate)
    }

    /// Runs `body` on writing session `index` (0 if out of range).
    func run<Value: Sendable>(
        session index: Int = 0, _ body: @escaping @Sendable (PQConnection) throws(PostgresError) -> Value
    ) async throws(PostgresError) -> Value {
        try await run(slot: (0..<sessionCount).contains(index) ? index : 0, body)
    }

    /// Runs `body` on the reading session with the fewest calls in progress (the lowest such number on a tie, so
    /// a lightly used shard keeps to one connection).
    func read<Value: Sendable>(
        _ body: @escaping @Sendable (PQConnection) throws(PostgresError) -> Value
    ) async throws(PostgresError) -> Value {
        let reader = readsInProgress.withLock { counts in
            let least = counts.indices.min { counts[$0] < counts[$1] } ?? 0
            counts[least] += 1
            return least
        }
        defer { readsInProgress.withLock { $0[reader] -= 1 } }
        return try await run(slot: sessionCount + reader, body)
    }

    /// Runs `body` on the session in `sessions[slot]`, connecting it first if need be.
    private func run<Value: Sendable>(
        slot index: Int, _ body: @escaping @Sendable (PQConnection) throws(PostgresError) -> Value
    ) async throws(PostgresError) -> Value {
        let now = clock.now
        if let retryAt = gate.withLock({ $0.closedUntil(now: now) }) {
            throw .connectFailed(
                host: url.endpoint,
                reason: "its last connection attempt failed; the next one is in \(retryAt - now) at the earliest")
        }
        do throws(PostgresError) {
            let connected: PostgresSession
            if let existing = sessions.withLock({ $0[index] }) {
                connected = existing
            } else {
                let opened = try await PostgresSession.connect(
                    to: url, connectTimeout: connectTimeout, statementTimeout: statementTimeout, logger: logger)
                connected = sessions.withLock { sessions in
                    if let current = sessions[index] { return current }
                    sessions[index] = opened
                    return opened
                }
            }
            let value = try await connected.run(body)
            gate.withLock { $0.recordSuccess() }
            return value
        } catch {
            if error.recovery == .waitForServer {
                let closed = gate.withLock { $0.recordFailure(at: clock.now) }
                if closed {
                    logger.warning("shard unavailable; failing its calls fast", metadata: ["error": "\(error)"])
                }
            }
            throw error
        }
    }
}

/// Decides whether a shard may be tried: after a failure that says the server is down or hung
/// (`PostgresError.Recovery.waitForServer`), the shard stays
/// closed for `interval`, then one call may try again; every further failure in a row doubles the wait, up to
/// `maximumInterval`, so a shard whose connection attempts hang costs its callers at most one connect timeout per
/// `maximumInterval`.
package struct ReconnectGate: Sendable {
    package let interval: Duration
    package let maximumInterval: Duration
    private var retryAt: ContinuousClock.Instant?
    private var currentInterval: Duration

    package init(interval: Duration, maximumInterval: Duration) {
        self.interval = interval
        self.maximumInterval = max(interval, maximumInterval)
        currentInterval = interval
    }

    /// When the gate is closed at `now`, the instant it opens again; nil when a call may go ahead.
    package func closedUntil(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard let retryAt, now < retryAt else { return nil }
        return retryAt
    }

    /// Closes the gate from `now`: for `interval` after a success, for twice the last wait (at most
    /// `maximumInterval`) after another failure. Returns true when it was open before (a new outage).
    @discardableResult
    package mutating func recordFailure(at now: ContinuousClock.Instant) -> Bool {
        let isNewOutage = retryAt == nil
        currentInterval = isNewOutage ? interval : min(currentInterval * 2, maximumInterval)
        retryAt = now.advanced(by: currentInterval)
        return isNewOutage
    }

    /// Forgets past failures once a call went through.
    package mutating func recordSuccess() {
        retryAt = nil
        currentInterval = interval
    }
}
