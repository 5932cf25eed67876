import DrainpipeKafka
import DrainpipePostgres

extension ReadinessCheck {
    /// The broker answers a metadata request of `producer` within `timeout` (run on `worker`, as it blocks).
    package static func kafka(
        _ producer: KafkaProducer, worker: BlockingWorker, timeout: Duration = .seconds(2)
    ) -> ReadinessCheck {
        ReadinessCheck(name: "kafka") {
            do {
                let brokers = try await worker.run { try producer.brokerCount(timeout: timeout) }
                return brokers > 0 ? nil : "the cluster reported no broker"
            } catch {
                return "no broker answered a metadata request within \(timeout): \(error)"
            }
        }
    }

    /// One check per shard of `database`: each answers `SELECT 1` (a shard that failed recently fails at once,
    /// without a new connection attempt, until its reconnect interval has passed).
    package static func shards(_ database: ShardedDatabase) -> [ReadinessCheck] {
        (0..<database.shardCount).map { shard in
            ReadinessCheck(name: "shard \(shard)") {
                do {
                    try await database.withShard(shard) { connection throws(PostgresError) in
                        try connection.execute("SELECT 1")
                    }
                    return nil
                } catch {
                    return "\(error)"
                }
            }
        }
    }
}
