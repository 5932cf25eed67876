import DrainpipePostgres
import Logging

/// Each shard database remembers its position in `DATABASE_SHARD_URLS` and the length of that list, so a changed
/// list is refused at start instead of silently routing owners to shards that do not hold their data.
///
/// Series are placed by owner over the list by position (`ShardRouter`); adding, removing or reordering URLs moves
/// owners to other shards, where their history is not. The first sink to start on a shard records `(index, count)`
/// in `public.drainpipe_shard_layout`; every later start compares. To reshard on purpose, move the data first, then
/// `DELETE FROM public.drainpipe_shard_layout` on every shard.
package struct ShardLayout: Sendable, Equatable, CustomStringConvertible {
    package var index: Int
    package var count: Int

    package init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    package var description: String { "shard \(index + 1) of \(count)" }

    /// The list given at start disagrees with what a shard recorded.
    package struct Mismatch: Error, CustomStringConvertible {
        package var shard: String
        package var expected: ShardLayout
        package var recorded: ShardLayout

        package var description: String {
            "DATABASE_SHARD_URLS names \(shard) as \(expected), but it was written as \(recorded). Owners are "
                + "placed on shards by position, so a changed list would hide their stored summaries. Restore the "
                + "previous list, or move the data and then run DELETE FROM public.drainpipe_shard_layout on "
                + "every shard."
        }
    }

    /// Records this layout on a shard that has none, and returns what the shard holds (its first record).
    package func record(on connection: PQConnection) throws(PostgresError) -> ShardLayout {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS public.drainpipe_shard_layout (
                singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                shard_index integer NOT NULL,
                shard_count integer NOT NULL,
                recorded_at timestamptz NOT NULL DEFAULT now())
            """)
        _ = try connection.query(
            "INSERT INTO public.drainpipe_shard_layout (shard_index, shard_count) VALUES ($1, $2) "
                + "ON CONFLICT (singleton) DO NOTHING",
            parameters: [String(index), String(count)])
        guard let recorded = try Self.storedRow(on: connection) else {
            throw .invalidValue(table: "drainpipe_shard_layout", reason: "the layout row is missing or malformed")
        }
        return recorded
    }
}

extension ShardLayout {
    /// The layout a shard recorded, without recording one: nil when no sink has started on it yet.
    package static func recorded(on connection: PQConnection) throws(PostgresError) -> ShardLayout? {
        let table = try connection.query("SELECT to_regclass('public.drainpipe_shard_layout') IS NOT NULL")
        guard table.rows.first?.first == "t" else { return nil }
        return try storedRow(on: connection)
    }

    /// The row of `public.drainpipe_shard_layout`, which must exist; nil when it holds none or a malformed one.
    private static func storedRow(on connection: PQConnection) throws(PostgresError) -> ShardLayout? {
        let rows = try connection.query("SELECT shard_index, shard_count FROM public.drainpipe_shard_layout")
        guard let row = rows.rows.first, let index = row[0].flatMap({ Int($0) }),
            let count = row[1].flatMap({ Int($0) })
        else { return nil }
        return ShardLayout(index: index, count: count)
    }
}

extension ShardedDatabase {
    /// Checks every shard against its position in the list, recording the layout where none is recorded yet, one
    /// shard after another (a shard that hangs costs one connect timeout).
    ///
    /// A shard that cannot be reached is logged and left unchecked (a sink must start while a shard is down; its
    /// batches then go to RETRY as usual).
    /// - Parameter names: how to name each shard in a message (`host:port/database`, never the password).
    /// - Throws: ``ShardLayout/Mismatch`` naming the first shard whose recorded position or list length differs.
    package func verifyLayout(names: [String], logger: Logger) async throws {
        var outcomes: [Int: Result<ShardLayout, PostgresError>] = [:]
        for shard in 0..<shardCount {
            outcomes[shard] = await recordLayout(ShardLayout(index: shard, count: shardCount))
        }
        for shard in 0..<shardCount {
            switch outcomes[shard] {
            case .success(let recorded) where recorded != ShardLayout(index: shard, count: shardCount):
                throw ShardLayout.Mismatch(
                    shard: names[shard], expected: ShardLayout(index: shard, count: shardCount), recorded: recorded)
            case .failure(let error):
                logger.warning(
                    "shard layout not verified: the shard did not answer",
                    metadata: ["shard": "\(shard)", "database": "\(names[shard])", "error": "\(error)"])
            default: break
            }
        }
    }

    /// Records `layout` on its shard unless one is recorded, and returns what the shard holds.
    private func recordLayout(_ layout: ShardLayout) async -> Result<ShardLayout, PostgresError> {
        do {
            return .success(
                try await withShard(layout.index) { connection throws(PostgresError) in
                    try layout.record(on: connection)
                })
        } catch {
            return .failure(error)
        }
    }
}
