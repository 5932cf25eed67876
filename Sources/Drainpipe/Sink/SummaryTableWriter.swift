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
    /// The data format of the `COPY` statements.
    package enum CopyFormat: String, Sendable, CaseIterable {
        /// `FORMAT binary` (``CopyBinaryEncoder``): about twice as fast to encode and for the server to read.
        case binary
        /// The text format (``CopyTextEncoder``), escaped; kept for comparison in `drainpipe bench-sink`.
        case text
    }

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
    package let copyFormat: CopyFormat
    private let knownSchemas = Mutex<Set<DaySchema>>([])
    private let phaseTotals = Mutex(PhaseTimes())

    package init(rowsPerCopy: Int = 1024, copyFormat: CopyFormat = .binary) {
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
        let encoded = try Self.grouped(summaries).map { (group, members) throws(PostgresError) in
            (group: group, copies: try copyChunks(of: members))
        }
        var changed = 0
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let day = encoded[start].group.day
            let end = encoded[start...].firstIndex { $0.group.day != day } ?? encoded.endIndex
            let groups = Array(encoded[start..<end])
            changed += try writingToExistingSchema(day, on: connection) { () throws(PostgresError) in
                try writeTransaction(of: groups, on: connection)
            }
            start = end
        }
        return changed
    }

    /// The `COPY` data of `members`, ``rowsPerCopy`` rows per chunk.
    private func copyChunks(of members: [Summary]) throws(PostgresError) -> [[UInt8]] {
        var copies: [[UInt8]] = []
        var start = members.startIndex
        while start < members.endIndex {
            let end = min(start + rowsPerCopy, members.endIndex)
            switch copyFormat {
            case .binary:
                var encoder = CopyBinaryEncoder()
                for summary in members[start..<end] {
                    try Self.appendBinaryRow(of: summary, to: &encoder)
                }
                copies.append(encoder.finished)
            case .text:
                var encoder = CopyTextEncoder()
                for summary in members[start..<end] {
                    encoder.appendRow(try Self.columnValues(of: summary))
                }
                copies.append(encoder.bytes)
            }
            start = end
        }
        return copies
    }

    /// One transaction: every group's chunks into its staging table, then one upsert per group, then one commit.
    private func writeTransaction(
        of groups: [(group: Group, copies: [[UInt8]])], on connection: PQConnection
    ) throws(PostgresError) -> Int {
        let clock = ContinuousClock()
        let began = clock.now
        var copied = began
        var upserted = began
        let changed = try connection.transaction { () throws(PostgresError) in
            for (group, copies) in groups {
                // One staging table per type and session, emptied by every commit: creating and dropping a
                // table per transaction would churn the catalog on every batch.
                try connection.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS staging_\(group.type.tableName) (LIKE \(group.table) "
                        + "INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
                let columns = DaySchema.writtenColumns(for: group.type).joined(separator: ", ")
                for data in copies {
                    try connection.copyIn(
                        "COPY pg_temp.staging_\(group.type.tableName) (\(columns)) FROM STDIN"
                            + (copyFormat == .binary ? " (FORMAT binary)" : ""),
                        table: group.table, data: data)
                }
            }
            copied = clock.now
            var changed = 0
            for (group, _) in groups {
                let columns = DaySchema.writtenColumns(for: group.type).joined(separator: ", ")
                let key = DaySchema.keyColumns.joined(separator: ", ")
                let rows = try connection.query(
                    """
                    INSERT INTO \(group.table) AS target (\(columns))
                    SELECT DISTINCT ON (\(key)) \(columns) FROM pg_temp.staging_\(group.type.tableName)
                    ORDER BY \(key), version DESC
                    \(Self.conflictClause(for: group.type))
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

    /// Stores each summary with its own parameterised `INSERT … ON CONFLICT` (no staging, no transaction).
    ///
    /// Same result as ``write(_:on:)``, one round trip per summary; the baseline that benchmarks compare against.
    @discardableResult
    package func insertOneByOne(_ summaries: [Summary], on connection: PQConnection) throws(PostgresError) -> Int {
        let groups = Self.grouped(summaries)
        let rows = try groups.map { (group, members) throws(PostgresError) in
            (group, try members.map { summary throws(PostgresError) in try Self.columnValues(of: summary) })
        }
        var changed = 0
        for (group, values) in rows {
            let columns = DaySchema.writtenColumns(for: group.type)
            let placeholders = columns.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
            let sql = """
                INSERT INTO \(group.table) AS target (\(columns.joined(separator: ", "))) VALUES (\(placeholders))
                \(Self.conflictClause(for: group.type))
                """
            for parameters in values {
                changed += try writingToExistingSchema(group.day, on: connection) { () throws(PostgresError) in
                    try connection.query(sql, parameters: parameters).affectedRowCount ?? 0
                }
            }
        }
        return changed
    }

    // MARK: - Schemas

    /// Ensures `day`'s schema (once per writer), runs `body`, and if the schema turns out to have been dropped
    /// meanwhile (retention), recreates it and runs `body` once more.
    private func writingToExistingSchema(
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

    /// Summaries of one type whose windows start on one UTC day share a table.
    private struct Group: Hashable, Comparable {
        var day: DaySchema
        var type: MeasurementType

        var table: String { day.qualifiedTableName(for: type) }

        static func < (lhs: Group, rhs: Group) -> Bool {
            (lhs.day, lhs.type.rawValue) < (rhs.day, rhs.type.rawValue)
        }
    }

    /// Groups by table, oldest day first, keeping each group's input order.
    private static func grouped(_ summaries: [Summary]) -> [(Group, [Summary])] {
        var groups: [Group: [Summary]] = [:]
        for summary in summaries {
            let group = Group(day: DaySchema(containing: summary.key.windowStart), type: summary.key.type)
            groups[group, default: []].append(summary)
        }
        return groups.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The `ON CONFLICT` clause that lets only a newer version replace a stored summary.
    private static func conflictClause(for type: MeasurementType) -> String {
        let replaced = DaySchema.writtenColumns(for: type).filter { !DaySchema.keyColumns.contains($0) }
        let assignments = (replaced.map { "\($0) = EXCLUDED.\($0)" } + ["updated_at = now()"])
            .joined(separator: ", ")
        return """
            ON CONFLICT (\(DaySchema.keyColumns.joined(separator: ", "))) DO UPDATE SET \(assignments)
            WHERE target.version < EXCLUDED.version
            """
    }

    /// The text of every column a writer fills (`DaySchema.writtenColumns(for:)`), NULL as nil: what the text COPY
    /// and the one-by-one INSERT send.
    ///
    /// Doubles use Swift's shortest round-trip digits; min and max are NULL for a field without values; counts are a
    /// JSON object with sorted keys; the sketches are `QuantileSketch.encode`'s bytes in bytea hex form, NULL when
    /// the summary has none.
    /// - Throws: `.invalidValue` as ``validate(_:)``.
    package static func columnValues(of summary: Summary) throws(PostgresError) -> [String?] {
        let fieldNames = try validate(summary)
        let key = summary.key
        var values: [String?] = [
            key.owner, key.processType, key.metric, String(key.periodSeconds),
            DaySchema.timestampText(key.windowStart), String(summary.version),
        ]
        for name in fieldNames {
            let statistics = summary.fields[name] ?? .empty
            let hasValues = statistics.count > 0
            values += [
                String(statistics.count), text(statistics.sum), text(statistics.sumOfSquares),
                hasValues ? text(statistics.minimum) : nil, hasValues ? text(statistics.maximum) : nil,
            ]
        }
        values.append(countsJSON(summary.counts))
        let sketch = QuantileSketch.encode(summary.sketches)
        let hexDigits = sketch.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        values.append(sketch.isEmpty ? nil : "\\x" + hexDigits)  // bytea's hex input form
        return values
    }

    /// Appends the row of every column a writer fills, as ``columnValues(of:)`` but in COPY's binary format.
    /// - Throws: `.invalidValue` as ``validate(_:)``; nothing is appended then.
    package static func appendBinaryRow(
        of summary: Summary, to encoder: inout CopyBinaryEncoder
    ) throws(PostgresError) {
        let fieldNames = try validate(summary)
        let key = summary.key
        encoder.beginRow(fieldCount: DaySchema.keyColumns.count + 1 + 5 * fieldNames.count + 2)
        encoder.appendText(key.owner)
        encoder.appendText(key.processType)
        encoder.appendText(key.metric)
        encoder.appendInt32(key.periodSeconds)
        encoder.appendTimestamp(microsecondsSinceUnixEpoch: key.windowStart.microsecondsSinceEpoch)
        encoder.appendInt64(summary.version)
        for name in fieldNames {
            let statistics = summary.fields[name] ?? .empty
            encoder.appendInt64(Int64(statistics.count))
            encoder.appendDouble(statistics.sum)
            encoder.appendDouble(statistics.sumOfSquares)
            if statistics.count > 0 {
                encoder.appendDouble(statistics.minimum)
                encoder.appendDouble(statistics.maximum)
            } else {
                encoder.appendNull()
                encoder.appendNull()
            }
        }
        encoder.appendJSONB(countsJSON(summary.counts))
        let sketch = QuantileSketch.encode(summary.sketches)
        if sketch.isEmpty { encoder.appendNull() } else { encoder.appendBytes(sketch) }
    }

    /// Checks that the tables can hold `summary` and returns its type's field names, in column order.
    /// - Throws: `.invalidValue` for a field the table has no columns for, a count beyond `bigint`, a NUL character
    ///   (which Postgres text cannot hold) or a window outside `DaySchema.supportedYears`. Messages never quote
    ///   values.
    @discardableResult
    package static func validate(_ summary: Summary) throws(PostgresError) -> [String] {
        let key = summary.key
        let table = key.type.tableName
        guard DaySchema(containing: key.windowStart).isSupported else {
            throw .invalidValue(
                table: table,
                reason: "a window starts outside the years \(DaySchema.supportedYears) that day schemas cover")
        }
        let fieldNames = key.type.summaryFieldNames
        if let unknown = summary.fields.keys.first(where: { !fieldNames.contains($0) }) {
            throw .invalidValue(
                table: table,
                reason: "a summary has a field (\(unknown.utf8.count) bytes long) that is not one of the table's "
                    + "fields [\(fieldNames.joined(separator: ", "))]")
        }
        let texts = [key.owner, key.processType, key.metric] + Array(summary.counts.keys)
        guard !texts.contains(where: { $0.utf8.contains(0) }) else {
            throw .invalidValue(
                table: table, reason: "a name contains a NUL character, which Postgres text cannot hold")
        }
        if let name = fieldNames.first(where: { (summary.fields[$0]?.count ?? 0) > UInt64(Int64.max) }) {
            throw .invalidValue(table: table, reason: "the count of field \(name) exceeds a bigint")
        }
        return fieldNames
    }

    /// A double as Postgres `double precision` input: Swift's shortest round-trip digits, or `Infinity`,
    /// `-Infinity`, `NaN` (which sums that overflowed can hold).
    private static func text(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }

    /// Counts as a JSON object with sorted keys: `{"H12":3,"R14":1}`.
    private static func countsJSON(_ counts: [String: UInt64]) -> String {
        var json = "{"
        for (index, (name, count)) in counts.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { json += "," }
            json += jsonString(name) + ":" + String(count)
        }
        return json + "}"
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, everything else verbatim.
    private static func jsonString(_ text: String) -> String {
        var literal = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": literal += "\\\""
            case "\\": literal += "\\\\"
            case "\n": literal += "\\n"
            case "\r": literal += "\\r"
            case "\t": literal += "\\t"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                literal += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: literal.unicodeScalars.append(scalar)
            }
        }
        return literal + "\""
    }
}
