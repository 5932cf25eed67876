import DrainpipeCore
import DrainpipePostgres
import Synchronization

/// Writes summaries into the day-schema tables of one database.
///
/// All the summaries of one UTC day are written in one transaction, so one commit (one WAL flush) covers them: per
/// type, `COPY` in chunks of ``rowsPerCopy`` rows into the session's temporary staging table of the type (created on
/// first use, not WAL-logged, emptied by every commit), then one upsert that replaces a stored row only with a newer
/// version of the same summary. Writing the same summaries again, or older versions of them, changes nothing, so
/// replays and the retry path are idempotent.
///
/// Use one writer per database: it remembers which day schemas it has created there.
package final class SummaryTableWriter: Sendable {
    /// Where the time of the writer's transactions went, summed over every transaction since the writer was made.
    package struct PhaseTimes: Sendable {
        /// Transactions committed.
        package var transactions = 0
        /// From `BEGIN` to the end of the last `COPY` (staging tables included).
        package var copy: Duration = .zero
        /// The upserts from staging into the day tables.
        package var upsert: Duration = .zero
        /// `COMMIT`, which waits for the WAL flush.
        package var commit: Duration = .zero
    }

    /// Rows sent per `COPY` statement; a larger group is sent in several, within the same transaction.
    package let rowsPerCopy: Int
    /// How rows are encoded for `COPY`: binary in production.
    package let copyFormat: any SummaryCopyFormat
    private let knownSchemas = Mutex<Set<DaySchema>>([])
    private let phaseTotals = Mutex(PhaseTimes())

    package init(rowsPerCopy: Int = 1024, copyFormat: any SummaryCopyFormat = BinaryCopyFormat()) {
        precondition(rowsPerCopy > 0, "rowsPerCopy must be positive")
        self.rowsPerCopy = rowsPerCopy
        self.copyFormat = copyFormat
    }

    /// The time spent in each phase of the committed transactions so far.
    package var phaseTimes: PhaseTimes { phaseTotals.withLock { $0 } }

    /// Stores `summaries` with `COPY` and one upsert per (day, type) group, one transaction per day.
    ///
    /// Blocks on the connection. Every summary is validated before anything is sent.
    /// - Returns: how many rows were inserted or replaced (not counting summaries that were not newer).
    /// - Throws: `.invalidValue` for a summary the tables cannot hold, else `PostgresError` from the connection;
    ///   days committed before a failure stay committed, the failed day's transaction writes nothing.
    @discardableResult
    package func write(_ summaries: [Summary], on connection: PQConnection) throws(PostgresError) -> Int {
        let days = SummaryBatch.split(summaries, summary: { $0 }, route: { _ in Self.oneTarget }).values.joined()
        let encoded = try days.map { batch throws(PostgresError) in
            (
                day: batch.day,
                groups: try Self.byType(batch.items).map { (layout, members) throws(PostgresError) in
                    (layout: layout, copies: try copyChunks(of: members, layout: layout))
                }
            )
        }
        var changed = 0
        for (day, groups) in encoded {
            changed += try writingToExistingSchema(day, on: connection) { () throws(PostgresError) in
                try writeTransaction(of: groups, day: day, on: connection)
            }
        }
        return changed
    }

    /// The `COPY` data of `members`, summaries of `layout`'s type, ``rowsPerCopy`` rows per chunk.
    private func copyChunks(of members: [Summary], layout: SummaryTableLayout) throws(PostgresError) -> [[UInt8]] {
        var copies: [[UInt8]] = []
        var start = members.startIndex
        while start < members.endIndex {
            let end = min(start + rowsPerCopy, members.endIndex)
            copies.append(try copyFormat.encode(members[start..<end], layout: layout))
            start = end
        }
        return copies
    }

    /// One transaction: every group's chunks into its staging table, then one upsert per group, then one commit.
    private func writeTransaction(
        of groups: [(layout: SummaryTableLayout, copies: [[UInt8]])], day: DaySchema, on connection: PQConnection
    ) throws(PostgresError) -> Int {
        let clock = ContinuousClock()
        let began = clock.now
        var copied = began
        var upserted = began
        let changed = try connection.transaction { () throws(PostgresError) in
            for (layout, copies) in groups {
                let table = day.qualifiedTableName(for: layout.type)
                // One staging table per type and session, emptied by every commit: creating and dropping a
                // table per transaction would churn the catalog on every batch.
                try connection.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS staging_\(layout.type.tableName) (LIKE \(table) "
                        + "INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
                let columns = layout.writtenColumnNames.joined(separator: ", ")
                for data in copies {
                    try connection.copyIn(
                        "COPY pg_temp.staging_\(layout.type.tableName) (\(columns)) FROM STDIN"
                            + copyFormat.optionsClause,
                        table: table, data: data)
                }
            }
            copied = clock.now
            var changed = 0
            for (layout, _) in groups {
                let columns = layout.writtenColumnNames.joined(separator: ", ")
                let key = SummaryTableLayout.keyColumnNames.joined(separator: ", ")
                let rows = try connection.query(
                    """
                    INSERT INTO \(day.qualifiedTableName(for: layout.type)) AS target (\(columns))
                    SELECT DISTINCT ON (\(key)) \(columns) FROM pg_temp.staging_\(layout.type.tableName)
                    ORDER BY \(key), version DESC
                    \(Self.upsertConflictClause(for: layout))
                    """)
                changed += rows.affectedRowCount ?? 0
            }
            upserted = clock.now
            return changed
        }
        let committed = clock.now
        phaseTotals.withLock { totals in
            totals.transactions += 1
            totals.copy += copied - began
            totals.upsert += upserted - copied
            totals.commit += committed - upserted
        }
        return changed
    }

    // MARK: - Schemas

    /// Ensures `day`'s schema (once per writer), runs `body`, and if the schema turns out to have been dropped
    /// meanwhile (retention), recreates it and runs `body` once more.
    package func writingToExistingSchema(
        _ day: DaySchema, on connection: PQConnection, _ body: () throws(PostgresError) -> Int
    ) throws(PostgresError) -> Int {
        if !knownSchemas.withLock({ $0.contains(day) }) {
            try day.ensureExists(on: connection)
            knownSchemas.withLock { _ = $0.insert(day) }
        }
        do throws(PostgresError) {
            return try body()
        } catch {
            guard error.sqlState == .invalidSchemaName || error.sqlState == .undefinedTable else { throw error }
            knownSchemas.withLock { _ = $0.remove(day) }
            try day.ensureExists(on: connection)
            knownSchemas.withLock { _ = $0.insert(day) }
            return try body()
        }
    }

    // MARK: - Rows

    /// The one target of a writer: it writes to the one database of its connection.
    package static let oneTarget = ShardSession(shard: 0, session: 0)

    /// Groups one day's summaries by type, in type order, keeping each group's input order.
    package static func byType(_ summaries: [Summary]) -> [(SummaryTableLayout, [Summary])] {
        Dictionary(grouping: summaries, by: \.key.type).sorted { $0.key.rawValue < $1.key.rawValue }.map {
            (SummaryTableLayout($0.key), $0.value)
        }
    }

    /// The `ON CONFLICT` clause that lets only a newer version replace a stored summary.
    package static func upsertConflictClause(for layout: SummaryTableLayout) -> String {
        let key = SummaryTableLayout.keyColumnNames
        let replaced = layout.writtenColumnNames.filter { !key.contains($0) }
        let assignments = (replaced.map { "\($0) = EXCLUDED.\($0)" } + ["updated_at = now()"])
            .joined(separator: ", ")
        return """
            ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET \(assignments)
            WHERE target.version < EXCLUDED.version
            """
    }
}
