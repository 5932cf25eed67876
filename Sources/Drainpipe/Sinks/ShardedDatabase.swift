import Logging
import Synchronization

/// The Postgres shards of the metrics store; shard = jump-consistent-hash(owner).
///
/// Each shard has one session (one connection on its own serial queue), opened on first use and reopened by
/// the session after a failure, so a shard that is down at start-up or later fails only its own calls.
package final class ShardedDatabase: SummaryStore {
    private let shards: [LazySession]
    /// One writer per shard, so each remembers which day schemas exist there.
    private let writers: [SummaryTableWriter]
    private let router: ShardRouter

    package init(shards urls: [DatabaseURL], connectTimeout: Duration = .seconds(5), logger: Logger) {
        precondition(!urls.isEmpty, "configuration guarantees at least one shard")
        shards = urls.enumerated().map { index, url in
            var shardLogger = logger
            shardLogger[metadataKey: "shard"] = "\(index)"
            return LazySession(url: url, connectTimeout: connectTimeout, logger: shardLogger)
        }
        writers = urls.map { _ in SummaryTableWriter() }
        router = ShardRouter(shardCount: urls.count)
    }

    package var shardCount: Int { shards.count }

    package func shard(forOwner owner: String) -> Int {
        router.shard(forOwner: owner)
    }

    /// Upserts summaries that all belong to `shard`: COPY into staging, then one upsert per day and type.
    /// - Returns: the number of rows inserted or replaced (older versions are left alone).
    @discardableResult
    package func write(_ summaries: [Summary], toShard shard: Int) async throws(PostgresError) -> Int {
        let writer = writers[shard]
        return try await shards[shard].run { connection throws(PostgresError) in
            try writer.write(summaries, on: connection)
        }
    }

    /// Runs `body` with the connection of one shard, on that shard's own queue.
    package func withShard<Value: Sendable>(
        _ shard: Int, _ body: @escaping @Sendable (PQConnection) throws(PostgresError) -> Value
    ) async throws(PostgresError) -> Value {
        try await shards[shard].run(body)
    }

    package func summaries(
        type: MeasurementType, owner: String, processType: String?, metric: String?, from: EventTime, to: EventTime
    ) async throws -> [Summary] {
        try await shards[shard(forOwner: owner)].run { connection throws(PostgresError) in
            try SummaryReader().summaries(
                type: type, owner: owner, processType: processType, metric: metric, from: from, to: to, on: connection)
        }
    }
}

/// A shard's session, connected on first use.
private final class LazySession: Sendable {
    private let url: DatabaseURL
    private let connectTimeout: Duration
    private let logger: Logger
    private let session = Mutex<PostgresSession?>(nil)

    init(url: DatabaseURL, connectTimeout: Duration, logger: Logger) {
        self.url = url
        self.connectTimeout = connectTimeout
        self.logger = logger
    }

    func run<Value: Sendable>(_ body: @escaping @Sendable (PQConnection) throws(PostgresError) -> Value) async throws(PostgresError) -> Value {
        let connected: PostgresSession
        if let existing = session.withLock({ $0 }) {
            connected = existing
        } else {
            let opened = try await PostgresSession.connect(to: url, connectTimeout: connectTimeout, logger: logger)
            connected = session.withLock { current in
                if let current { return current }
                current = opened
                return opened
            }
        }
        return try await connected.run(body)
    }
}
