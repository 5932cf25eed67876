import DrainpipeCore
import DrainpipePostgres
import Logging
import ServiceLifecycle

/// Creates day schemas ahead of time and drops expired ones, on every shard, at start and then every hour.
///
/// Writers also create a missing schema on demand; creating ahead keeps that DDL off the write path at midnight.
package struct SchemaMaintenanceService: Service {
    package var database: ShardedDatabase
    package var retentionDays: Int
    package var daysAhead: Int
    package var clock: any WallClock
    package var logger: Logger

    package init(
        database: ShardedDatabase, retentionDays: Int, daysAhead: Int = 1, clock: any WallClock, logger: Logger
    ) {
        self.database = database
        self.retentionDays = retentionDays
        self.daysAhead = daysAhead
        self.clock = clock
        self.logger = logger
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully {
            await maintainAllShards()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
        }
    }

    /// One pass over every shard; a shard that fails is logged and tried again on the next pass.
    package func maintainAllShards() async {
        for shard in 0..<database.shardCount {
            do {
                let (created, dropped) = try await maintain(shard: shard)
                logger.info(
                    "day schemas maintained",
                    metadata: [
                        "shard": "\(shard)", "ensured": "\(created.map(\.name))", "dropped": "\(dropped.map(\.name))",
                    ])
            } catch {
                logger.warning(
                    "day schema maintenance failed; retrying next hour",
                    metadata: ["shard": "\(shard)", "error": "\(error)"])
            }
        }
    }

    /// Ensures today's and the next `daysAhead` schemas, and drops those older than `retentionDays`.
    package func maintain(shard: Int) async throws(PostgresError) -> (ensured: [DaySchema], dropped: [DaySchema]) {
        let today = DaySchema(containing: clock.now())
        let ensured = (0...Int64(daysAhead)).map { today.advanced(by: $0) }
        let oldestKept = today.advanced(by: -Int64(retentionDays - 1))
        let dropped = try await database.withShard(shard) { connection throws(PostgresError) in
            for day in ensured { try day.ensureExists(on: connection) }
            return try DaySchema.dropSchemas(olderThan: oldestKept, on: connection)
        }
        return (ensured, dropped)
    }
}
