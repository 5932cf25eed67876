import DrainpipeCore
import DrainpipePostgres

/// One UTC day's schema, `metrics_YYYYMMDD`, holding one summary table per measurement type.
///
/// Summaries live in the schema of the UTC day their window starts in. Retention drops whole schemas.
package struct DaySchema: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before it).
    package var daysSinceEpoch: Int64

    /// Years whose days have a schema name (`metrics_` and eight digits).
    package static let supportedYears: ClosedRange<Int> = 1...9999

    package init(daysSinceEpoch: Int64) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// The UTC day that contains `time`.
    package init(containing time: EventTime) {
        let micros = time.microsecondsSinceEpoch
        let quotient = micros / Self.microsecondsPerDay
        daysSinceEpoch = micros % Self.microsecondsPerDay < 0 ? quotient - 1 : quotient
    }

    /// The given calendar day; nil unless it exists and its year is in ``supportedYears``.
    package init?(year: Int, month: Int, day: Int) {
        guard Self.supportedYears.contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        let candidate = DaySchema(
            daysSinceEpoch: CivilDate(year: Int64(year), month: Int64(month), day: Int64(day)).daysSinceEpoch)
        guard candidate.year == year, candidate.month == month, candidate.day == day else { return nil }
        self = candidate
    }

    /// Parses a schema name such as `metrics_20240131`; nil for anything else.
    package init?(schemaName: String) {
        let digits = schemaName.utf8.dropFirst(Self.namePrefix.utf8.count)
        guard schemaName.hasPrefix(Self.namePrefix), digits.count == 8,
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let number = Int(String(decoding: digits, as: UTF8.self))
        else { return nil }
        self.init(year: number / 10_000, month: number / 100 % 100, day: number % 100)
    }

    // MARK: - Calendar

    package var year: Int { civil.year }
    package var month: Int { civil.month }
    package var day: Int { civil.day }

    /// Whether the day has a schema name; writers reject summaries outside ``supportedYears``.
    package var isSupported: Bool { Self.supportedYears.contains(year) }

    /// Midnight UTC at the start of the day.
    package var start: EventTime { EventTime(microsecondsSinceEpoch: daysSinceEpoch * Self.microsecondsPerDay) }

    /// Midnight UTC at the start of the next day.
    package var end: EventTime { advanced(by: 1).start }

    package func advanced(by days: Int64) -> DaySchema {
        DaySchema(daysSinceEpoch: daysSinceEpoch + days)
    }

    // MARK: - Names

    package static let namePrefix = "metrics_"

    /// `metrics_YYYYMMDD`.
    package var name: String {
        Self.namePrefix + UTCDateTime(start).formatted(.compactDate)
    }

    /// `metrics_YYYYMMDD.<table>`; both parts are plain lower-case identifiers, so no quoting is needed.
    package func qualifiedTableName(for type: MeasurementType) -> String {
        "\(name).\(type.tableName)"
    }

    package var description: String { UTCDateTime(start).formatted(.date) }

    package static func < (lhs: DaySchema, rhs: DaySchema) -> Bool {
        lhs.daysSinceEpoch < rhs.daysSinceEpoch
    }

    /// `time` as a Postgres `timestamptz` literal in UTC with microseconds: `2024-01-31 23:59:00.000000+00`.
    ///
    /// Exact for every time in ``supportedYears``.
    package static func timestampText(_ time: EventTime) -> String {
        UTCDateTime(time).formatted(.postgresTimestamp)
    }

    // MARK: - Tables

    /// The columns a writer fills in `type`'s tables, in column order (`SummaryTableLayout.writtenColumnNames`).
    package static func writtenColumns(for type: MeasurementType) -> [String] {
        SummaryTableLayout(type).writtenColumnNames
    }

    /// `CREATE TABLE IF NOT EXISTS` for one type's table in this schema, with the columns of its
    /// ``SummaryTableLayout``.
    package func createTableStatement(for type: MeasurementType) -> String {
        SummaryTableLayout(type).createTableStatement(named: qualifiedTableName(for: type))
    }

    // MARK: - Maintenance

    /// Creates the schema and every type's table unless they exist, in one transaction.
    ///
    /// Safe to run concurrently from several sessions: a lost creation race is retried.
    /// - Throws: `PostgresError` from the connection.
    package func ensureExists(on connection: PQConnection) throws(PostgresError) {
        let statements =
            ["CREATE SCHEMA IF NOT EXISTS \(name)"] + MeasurementType.allCases.map(createTableStatement(for:))
        var attempt = 1
        while true {
            do throws(PostgresError) {
                try connection.execute(statements.joined(separator: ";\n"))
                return
            } catch {
                // Two sessions creating the same schema or table at once: the loser sees a duplicate error.
                let raced: Set<SQLState> = [.uniqueViolation, .duplicateSchema, .duplicateTable]
                guard attempt < 3, let state = error.sqlState, raced.contains(state) else { throw error }
                attempt += 1
            }
        }
    }

    /// The day schemas that exist and hold a table for `type`, oldest first; other `metrics_` schemas are ignored.
    package static func existing(
        holding type: MeasurementType, on connection: PQConnection
    ) throws(PostgresError) -> [DaySchema] {
        let rows = try connection.query(
            """
            SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname LIKE 'metrics\\_%' AND c.relname = $1 AND c.relkind IN ('r', 'p')
            """,
            parameters: [type.tableName])
        return rows.rows.compactMap { $0.first.flatMap { $0 }.flatMap(DaySchema.init(schemaName:)) }.sorted()
    }

    /// Drops every day schema strictly before `day`, with its tables (`DROP SCHEMA … CASCADE`), one at a time.
    ///
    /// - Returns: the days dropped, oldest first. Schemas another session dropped meanwhile are skipped.
    /// - Throws: `PostgresError`; days dropped before the failure stay dropped.
    @discardableResult
    package static func dropSchemas(
        olderThan day: DaySchema, on connection: PQConnection
    ) throws(PostgresError) -> [DaySchema] {
        let rows = try connection.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'metrics\\_%'")
        let expired = rows.rows.compactMap { $0.first.flatMap { $0 }.flatMap(DaySchema.init(schemaName:)) }
            .filter { $0 < day }.sorted()
        for schema in expired {
            try connection.execute("DROP SCHEMA IF EXISTS \(schema.name) CASCADE")
        }
        return expired
    }

    // MARK: - Calendar arithmetic

    private static let microsecondsPerDay: Int64 = 86_400_000_000

    private var civil: (year: Int, month: Int, day: Int) {
        let date = CivilDate(daysSinceEpoch: daysSinceEpoch)
        return (Int(date.year), Int(date.month), Int(date.day))
    }
}
