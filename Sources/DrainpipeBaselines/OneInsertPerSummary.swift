import Drainpipe
import DrainpipeCore
import DrainpipePostgres

extension SummaryTableWriter {
    /// Stores each summary with its own parameterised `INSERT … ON CONFLICT` (no staging, no transaction).
    ///
    /// Same result as `write(_:on:)`, one round trip per summary: the baseline `drainpipe bench-sink` compares the
    /// sink's `COPY` path against, and a third path the writer tests check for the same stored rows.
    @discardableResult
    package func insertOneByOne(_ summaries: [Summary], on connection: PQConnection) throws(PostgresError) -> Int {
        let days = SummaryBatch.split(summaries, summary: { $0 }, route: { _ in Self.oneTarget }).values.joined()
        var rows: [(day: DaySchema, layout: SummaryTableLayout, values: [[String?]])] = []
        for batch in days {
            for (layout, members) in Self.byType(batch.items) {
                let values = try members.map { summary throws(PostgresError) in try layout.textValues(of: summary) }
                rows.append((batch.day, layout, values))
            }
        }
        var changed = 0
        for (day, layout, values) in rows {
            let columns = layout.writtenColumnNames
            let placeholders = columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
            let sql = """
                INSERT INTO \(day.qualifiedTableName(for: layout.type)) AS target (\(columns.joined(separator: ", ")))
                VALUES (\(placeholders))
                \(Self.upsertConflictClause(for: layout))
                """
            for parameters in values {
                changed += try writingToExistingSchema(day, on: connection) { () throws(PostgresError) in
                    try connection.query(sql, parameters: parameters).affectedRowCount ?? 0
                }
            }
        }
        return changed
    }
}
