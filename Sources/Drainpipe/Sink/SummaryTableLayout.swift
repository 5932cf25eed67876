import DrainpipeCore
import DrainpipePostgres

/// The columns of one measurement type's summary table, in table order: the one description that the table's
/// `CREATE TABLE`, both `COPY` encodings and ``SummaryReader`` follow.
///
/// A table holds the key, `version`, `updated_at`, five statistics columns per field of the type
/// (`MeasurementType.summaryFieldNames`), `counts` (jsonb) and `sketch` (bytea); the `PLATFORM_EVENTS` table also
/// holds `events` (jsonb) and `events_overflow`. Writers fill every column but `updated_at`, which takes its default.
package struct SummaryTableLayout: Sendable {
    /// What one column, or a group of adjacent columns, of a summary table holds.
    package enum Part: Sendable, Hashable {
        case owner, processType, metric, periodSeconds, windowStart, version
        /// When the row was last written; filled by the server.
        case updatedAt
        /// A field's count, sum, sum of squares, minimum and maximum (NULL without values), in that order.
        case statistics(field: String)
        /// `Summary.counts` as a JSON object.
        case counts
        /// `QuantileSketch.encode(Summary.sketches)`, NULL when there is none.
        case sketch
        /// `Summary.platformEvents`: the events as a JSON array of `{"time_us","kind","dyno","text"}` objects in
        /// the log's order, then the overflow count. Only in the `PLATFORM_EVENTS` table.
        case events
    }

    /// One column: its name and its SQL type with constraints, as `CREATE TABLE` declares it.
    package struct Column: Sendable, Hashable {
        package var name: String
        package var definition: String
    }

    package let type: MeasurementType
    /// Every part of the table, in column order.
    package let parts: [Part]
    /// The parts writers fill and the reader reads, in column order: every part but ``Part/updatedAt``.
    package let writtenParts: [Part]
    /// How many columns ``writtenParts`` span: the field count of every binary `COPY` row.
    package let writtenColumnCount: Int

    package init(_ type: MeasurementType) {
        self.type = type
        writtenParts =
            Self.key + [.version] + type.summaryFieldNames.map { Part.statistics(field: $0) } + [.counts, .sketch]
            + (type == .platformEvents ? [.events] : [])
        parts = Self.key + [.version, .updatedAt] + writtenParts.dropFirst(Self.key.count + 1)
        writtenColumnCount = writtenParts.reduce(0) { $0 + $1.columns.count }
    }

    /// The primary key, in column order.
    package static let key: [Part] = [.owner, .processType, .metric, .periodSeconds, .windowStart]

    /// The names of the primary key's columns, in column order.
    package static let keyColumnNames = key.flatMap(\.columns).map(\.name)

    /// The names of the columns writers fill, in column order.
    package var writtenColumnNames: [String] { writtenParts.flatMap(\.columns).map(\.name) }

    /// `CREATE TABLE IF NOT EXISTS` for this type's table, named `qualifiedName`.
    package func createTableStatement(named qualifiedName: String) -> String {
        let definitions =
            parts.flatMap(\.columns).map { "\($0.name) \($0.definition)" }
            + ["PRIMARY KEY (\(Self.keyColumnNames.joined(separator: ", ")))"]
        return "CREATE TABLE IF NOT EXISTS \(qualifiedName) (\(definitions.joined(separator: ", ")))"
    }

    // MARK: - Storability

    /// Checks that the tables can hold `summary`.
    /// - Throws: `.invalidValue` for a field the table has no columns for, a count beyond `bigint`, a NUL character
    ///   (which Postgres text cannot hold) or a window outside `DaySchema.supportedYears`. Messages never quote
    ///   values.
    package static func validate(_ summary: Summary) throws(PostgresError) {
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
        let texts =
            [key.owner, key.processType, key.metric] + Array(summary.counts.keys)
            + summary.platformEvents.events.flatMap { [$0.dyno, $0.text] }
        guard !texts.contains(where: { $0.utf8.contains(0) }) else {
            throw .invalidValue(
                table: table, reason: "a name contains a NUL character, which Postgres text cannot hold")
        }
        if let name = fieldNames.first(where: { (summary.fields[$0]?.count ?? 0) > UInt64(Int64.max) }) {
            throw .invalidValue(table: table, reason: "the count of field \(name) exceeds a bigint")
        }
        guard summary.platformEvents.overflow <= UInt64(Int64.max) else {
            throw .invalidValue(table: table, reason: "the event overflow exceeds a bigint")
        }
    }

    // MARK: - Rows

    /// Appends the row of every written column (``writtenParts``) of `summary`, a summary of this layout's type, in
    /// `COPY`'s binary format.
    /// - Throws: `.invalidValue` as ``validate(_:)``; nothing is appended then.
    package func appendBinaryRow(of summary: Summary, to encoder: inout CopyBinaryEncoder) throws(PostgresError) {
        try Self.validate(summary)
        precondition(summary.key.type == type, "a summary is written with its own type's layout")
        let key = summary.key
        encoder.beginRow(fieldCount: writtenColumnCount)
        for part in writtenParts {
            switch part {
            case .owner: encoder.appendText(key.owner)
            case .processType: encoder.appendText(key.processType)
            case .metric: encoder.appendText(key.metric)
            case .periodSeconds: encoder.appendInt32(key.periodSeconds)
            case .windowStart:
                encoder.appendTimestamp(microsecondsSinceUnixEpoch: key.windowStart.microsecondsSinceEpoch)
            case .version: encoder.appendInt64(summary.version)
            case .updatedAt: break  // not written
            case .statistics(let field):
                let statistics = summary.fields[field] ?? .empty
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
            case .counts: encoder.appendJSONB(Self.countsJSON(summary.counts))
            case .sketch:
                let sketch = QuantileSketch.encode(summary.sketches)
                if sketch.isEmpty { encoder.appendNull() } else { encoder.appendBytes(sketch) }
            case .events:
                encoder.appendJSONB(Self.eventsJSON(summary.platformEvents))
                encoder.appendInt64(Int64(summary.platformEvents.overflow))
            }
        }
    }

    /// The text of every written column (``writtenParts``) of `summary`, a summary of this layout's type, NULL as
    /// nil: what the text `COPY` and one-by-one `INSERT` baselines send.
    ///
    /// Doubles use Swift's shortest round-trip digits; min and max are NULL for a field without values; counts are
    /// a JSON object with sorted keys; the sketches are `QuantileSketch.encode`'s bytes in bytea hex form, NULL
    /// when the summary has none.
    /// - Throws: `.invalidValue` as ``appendBinaryRow(of:to:)``.
    package func textValues(of summary: Summary) throws(PostgresError) -> [String?] {
        try Self.validate(summary)
        precondition(summary.key.type == type, "a summary is written with its own type's layout")
        let key = summary.key
        var values: [String?] = []
        for part in writtenParts {
            switch part {
            case .owner: values.append(key.owner)
            case .processType: values.append(key.processType)
            case .metric: values.append(key.metric)
            case .periodSeconds: values.append(String(key.periodSeconds))
            case .windowStart: values.append(DaySchema.timestampText(key.windowStart))
            case .version: values.append(String(summary.version))
            case .updatedAt: break  // not written
            case .statistics(let field):
                let statistics = summary.fields[field] ?? .empty
                let hasValues = statistics.count > 0
                values += [
                    String(statistics.count), Self.text(statistics.sum), Self.text(statistics.sumOfSquares),
                    hasValues ? Self.text(statistics.minimum) : nil, hasValues ? Self.text(statistics.maximum) : nil,
                ]
            case .counts: values.append(Self.countsJSON(summary.counts))
            case .sketch:
                let sketch = QuantileSketch.encode(summary.sketches)
                let hexDigits = sketch.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
                values.append(sketch.isEmpty ? nil : "\\x" + hexDigits)  // bytea's hex input form
            case .events:
                values += [Self.eventsJSON(summary.platformEvents), String(summary.platformEvents.overflow)]
            }
        }
        return values
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
            json += JSONStringLiteral.quoted(name) + ":" + String(count)
        }
        return json + "}"
    }

    /// Events as a JSON array in the log's order:
    /// `[{"time_us":1709647330551902,"kind":"release","dyno":"","text":"v42"}]`.
    private static func eventsJSON(_ log: PlatformEventLog) -> String {
        let objects = log.events.map { event in
            "{\"time_us\":\(event.time.microsecondsSinceEpoch),"
                + "\"kind\":\(JSONStringLiteral.quoted(event.kind.rawValue)),"
                + "\"dyno\":\(JSONStringLiteral.quoted(event.dyno)),\"text\":\(JSONStringLiteral.quoted(event.text))}"
        }
        return "[" + objects.joined(separator: ",") + "]"
    }
}

extension SummaryTableLayout.Part {
    /// The columns of this part, in column order.
    package var columns: [SummaryTableLayout.Column] {
        typealias Column = SummaryTableLayout.Column
        return switch self {
        case .owner: [Column(name: "owner", definition: "text NOT NULL")]
        case .processType: [Column(name: "process_type", definition: "text NOT NULL")]
        case .metric: [Column(name: "metric", definition: "text NOT NULL")]
        case .periodSeconds: [Column(name: "period_seconds", definition: "integer NOT NULL")]
        case .windowStart: [Column(name: "window_start", definition: "timestamptz NOT NULL")]
        case .version: [Column(name: "version", definition: "bigint NOT NULL")]
        case .updatedAt: [Column(name: "updated_at", definition: "timestamptz NOT NULL DEFAULT now()")]
        case .statistics(let field):
            [
                Column(name: "\(field)_count", definition: "bigint NOT NULL DEFAULT 0"),
                Column(name: "\(field)_sum", definition: "double precision NOT NULL DEFAULT 0"),
                Column(name: "\(field)_sum_squares", definition: "double precision NOT NULL DEFAULT 0"),
                Column(name: "\(field)_min", definition: "double precision"),
                Column(name: "\(field)_max", definition: "double precision"),
            ]
        case .counts: [Column(name: "counts", definition: "jsonb NOT NULL DEFAULT '{}'")]
        case .sketch: [Column(name: "sketch", definition: "bytea")]
        case .events:
            [
                Column(name: "events", definition: "jsonb NOT NULL DEFAULT '[]'"),
                Column(name: "events_overflow", definition: "bigint NOT NULL DEFAULT 0"),
            ]
        }
    }
}
