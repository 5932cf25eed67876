import DrainpipeCore
import DrainpipePostgres
import Foundation

/// What the Graphite API reads beyond ``SummaryStore``: which series an owner has, and many series at once.
package protocol SeriesCatalogStore: SummaryStore {
    /// The series of `owner` with a summary whose window starts in `[from, to)`, each with the event names its
    /// summaries count (empty for gauge-only types).
    func storedSeries(owner: String, from: EventTime, to: EventTime) async throws -> [StoredSeries: Set<String>]

    /// The summaries of the given series of `owner` whose windows start in `[from, to)`, oldest first, holding at
    /// least `parts` (a store may leave the other parts empty).
    func summaries(
        owner: String, series: [StoredSeries], parts: SummaryParts, from: EventTime, to: EventTime
    ) async throws -> [Summary]
}

extension SeriesCatalogStore {
    /// The whole summaries of the given series of `owner` whose windows start in `[from, to)`, oldest first.
    package func summaries(
        owner: String, series: [StoredSeries], from: EventTime, to: EventTime
    ) async throws -> [Summary] {
        try await summaries(owner: owner, series: series, parts: .everything, from: from, to: to)
    }
}

extension ShardedDatabase: SeriesCatalogStore {
    package func storedSeries(
        owner: String, from: EventTime, to: EventTime
    ) async throws -> [StoredSeries: Set<String>] {
        try await withReadSession(shard(forOwner: owner)) { connection throws(PostgresError) in
            try SummaryReader().storedSeries(owner: owner, from: from, to: to, on: connection)
        }
    }

    package func summaries(
        owner: String, series: [StoredSeries], parts: SummaryParts, from: EventTime, to: EventTime
    ) async throws -> [Summary] {
        try await withReadSession(shard(forOwner: owner)) { connection throws(PostgresError) in
            try SummaryReader().summaries(
                owner: owner, series: series, parts: parts, from: from, to: to, on: connection)
        }
    }
}

extension SummaryReader {
    /// The distinct series of `owner` with a window starting in `[from, to)`, with the names their counts hold,
    /// in one statement over every type's tables of the days the range touches.
    package func storedSeries(
        owner: String, from: EventTime, to: EventTime, on connection: PQConnection
    ) throws(PostgresError) -> [StoredSeries: Set<String>] {
        try withDayTables(from: from, to: to, on: connection) { (tables, from, to) throws(PostgresError) in
            let branches = tables.map { day, type in
                let eventName =
                    type == .routerRequests || type == .dynoErrors
                    ? "event FROM \(day.qualifiedTableName(for: type)) "
                        + "LEFT JOIN LATERAL jsonb_object_keys(counts) AS event ON true"
                    : "NULL::text FROM \(day.qualifiedTableName(for: type))"
                return """
                    SELECT DISTINCT '\(type.rawValue)', process_type, metric, \(eventName)
                    WHERE owner = $1 AND window_start >= $2::timestamptz AND window_start < $3::timestamptz
                    """
            }
            let rows = try connection.query(
                branches.joined(separator: "\nUNION\n"),
                parameters: [owner, DaySchema.timestampText(from), DaySchema.timestampText(to)])
            var series: [StoredSeries: Set<String>] = [:]
            for row in rows.rows {
                guard row.count == 4, let typeName = row[0], let type = MeasurementType(rawValue: typeName),
                    let processType = row[1], let metric = row[2]
                else { throw .invalidValue(table: "series listing", reason: "a row lacks its type or key") }
                let key = StoredSeries(type: type, processType: processType, metric: metric)
                series[key, default: []].formUnion(row[3].map { [$0] } ?? [])
            }
            return series
        } ?? [:]
    }

    /// The summaries of several series of one owner with windows starting in `[from, to)`, in one statement per
    /// type, ordered by window start; only the columns of `parts` are read.
    package func summaries(
        owner: String, series: [StoredSeries], parts: SummaryParts = .everything, from: EventTime, to: EventTime,
        on connection: PQConnection
    ) throws(PostgresError) -> [Summary] {
        let byType = Dictionary(grouping: series, by: \.type)
        guard !byType.isEmpty else { return [] }
        return try withDayTables(from: from, to: to, on: connection) { (tables, from, to) throws(PostgresError) in
            var summaries: [Summary] = []
            for (type, wanted) in byType.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let days = tables.filter { $0.type == type }.map(\.day)
                guard !days.isEmpty else { continue }
                let selected = Self.selectedParts(of: type, parts)
                let columns = selected.flatMap(Self.selectedColumns(of:))
                let branches = days.map { day in
                    """
                    SELECT \(columns.joined(separator: ", ")) FROM \(day.qualifiedTableName(for: type))
                    WHERE owner = $1 AND (process_type, metric) IN (SELECT * FROM unnest($2::text[], $3::text[]))
                    AND window_start >= $4::timestamptz AND window_start < $5::timestamptz
                    """
                }
                let statement =
                    branches.joined(separator: "\nUNION ALL\n")
                    + "\nORDER BY window_start_us, process_type, metric, period_seconds"
                let rows = try connection.query(
                    statement,
                    parameters: [
                        owner, Self.arrayLiteral(wanted.map(\.processType)), Self.arrayLiteral(wanted.map(\.metric)),
                        DaySchema.timestampText(from), DaySchema.timestampText(to),
                    ])
                let decoder = JSONDecoder()
                for row in rows.rows {
                    summaries.append(try Self.summary(type: type, parts: selected, row: row, decoder: decoder))
                }
            }
            return summaries.sorted { $0.key.windowStart < $1.key.windowStart }
        } ?? []
    }

    /// The written parts of `type`'s layout that hold `parts`, with the key and version, in layout order.
    static func selectedParts(of type: MeasurementType, _ parts: SummaryParts) -> [SummaryTableLayout.Part] {
        SummaryTableLayout(type).writtenParts.filter { part in
            switch part {
            case .statistics(let field): parts.includes(field: field)
            case .counts: parts.counts
            case .sketch: parts.sketches
            case .events: parts.platformEvents
            case .owner, .processType, .metric, .periodSeconds, .windowStart, .version, .updatedAt: true
            }
        }
    }

    /// Runs `body` with the (day, type) tables that exist for the days `[from, to)` touches, and the range clamped
    /// to the days a schema can have; nil when the range is empty or no table exists. Retries when retention drops
    /// a day between listing and reading.
    private func withDayTables<Value>(
        from: EventTime, to: EventTime, on connection: PQConnection,
        _ body: ([(day: DaySchema, type: MeasurementType)], EventTime, EventTime) throws(PostgresError) -> Value
    ) throws(PostgresError) -> Value? {
        let from = max(from, Self.supportedRange.lowerBound)
        let to = min(to, Self.supportedRange.upperBound)
        guard from < to else { return nil }
        let days = DaySchema(containing: from)...DaySchema(containing: to - .microseconds(1))
        var attempt = 1
        while true {
            let tables = try Self.existingTables(on: connection).filter { days.contains($0.day) }
            guard !tables.isEmpty else { return nil }
            do throws(PostgresError) {
                return try body(tables, from, to)
            } catch {
                let dropped = error.sqlState == .invalidSchemaName || error.sqlState == .undefinedTable
                guard dropped, attempt < 3 else { throw error }
                attempt += 1
            }
        }
    }

    /// Every (day schema, type) table that exists, in one catalog query.
    private static func existingTables(
        on connection: PQConnection
    ) throws(PostgresError) -> [(day: DaySchema, type: MeasurementType)] {
        let typeByTable = Dictionary(uniqueKeysWithValues: MeasurementType.allCases.map { ($0.tableName, $0) })
        let rows = try connection.query(
            """
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname LIKE 'metrics\\_%' AND c.relkind IN ('r', 'p') AND c.relname = ANY($1::text[])
            """,
            parameters: [arrayLiteral(MeasurementType.allCases.map(\.tableName))])
        return rows.rows.compactMap { row in
            guard row.count == 2, let schema = row[0].flatMap(DaySchema.init(schemaName:)),
                let type = row[1].flatMap({ typeByTable[$0] })
            else { return nil }
            return (schema, type)
        }
    }

    /// A Postgres text-array literal of `elements`, each quoted with `"` and `\` escaped.
    static func arrayLiteral(_ elements: [String]) -> String {
        let quoted = elements.map { element in
            "\"" + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}
