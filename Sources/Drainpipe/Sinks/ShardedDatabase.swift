import Logging

/// The Postgres shards of the metrics store, one serial session each; shard = jump-consistent-hash(owner).
package final class ShardedDatabase: SummaryStore {
    private let sessions: [PostgresSession]
    private let router: ShardRouter

    package init(shards: [DatabaseURL], logger: Logger) {
        precondition(!shards.isEmpty, "configuration guarantees at least one shard")
        sessions = shards.enumerated().map { index, url in
            var shardLogger = logger
            shardLogger[metadataKey: "shard"] = "\(index)"
            return PostgresSession(url: url, logger: shardLogger)
        }
        router = ShardRouter(shardCount: shards.count)
    }

    package var shardCount: Int { sessions.count }

    package func shard(forOwner owner: String) -> Int {
        router.shard(forOwner: owner)
    }

    /// Upserts summaries that all belong to `shard` (COPY into staging, then one upsert per day and type).
    package func write(_ summaries: [Summary], toShard shard: Int) async throws {
        try await sessions[shard].run { connection in
            try SummaryTableWriter().write(summaries, on: connection)
        }
    }

    /// Runs `body` with the connection of one shard, on that shard's own thread.
    package func withShard<Value: Sendable>(
        _ shard: Int, _ body: @escaping @Sendable (PQConnection) throws -> Value
    ) async throws -> Value {
        try await sessions[shard].run(body)
    }

    package func summaries(
        type: MeasurementType, owner: String, processType: String?, metric: String?, from: EventTime, to: EventTime
    ) async throws -> [Summary] {
        try await sessions[shard(forOwner: owner)].run { connection in
            try SummaryReader().summaries(
                type: type, owner: owner, processType: processType, metric: metric, from: from, to: to, on: connection)
        }
    }
}
