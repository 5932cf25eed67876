import Drainpipe
import DrainpipeCore
import DrainpipePostgres
import Testing

@Suite("SummaryTableLayout")
struct SummaryTableLayoutTests {
    private let windowStart = EventTime(secondsSinceEpoch: 1_706_745_600)  // 2024-02-01 00:00:00 UTC

    private func summary(
        type: MeasurementType = .routerRequests, fields: [String: FieldStatistics] = [:],
        counts: [String: UInt64] = [:], metric: String = "router"
    ) -> Summary {
        Summary(
            key: SeriesKey(
                type: type, owner: "app", processType: "web", metric: metric, windowStart: windowStart,
                periodSeconds: 60),
            version: 42, fields: fields, counts: counts)
    }

    @Test("lists the key, version, every field's statistics, the counts and the sketch, in column order")
    func layout() throws {
        let values = try SummaryTableLayout(.routerRequests).textValues(
            of: summary(
                fields: [
                    "service_ms": FieldStatistics(
                        count: 2, sum: 0.30000000000000004, sumOfSquares: 1e-05, minimum: -0.0, maximum: 1e22)
                ],
                counts: ["2xx": 2]))
        #expect(values.count == DaySchema.writtenColumns(for: .routerRequests).count)
        #expect(
            values == [
                "app", "web", "router", "60", "2024-02-01 00:00:00.000000+00", "42",
                "0", "0.0", "0.0", nil, nil,  // connect_ms: no values
                "2", "0.30000000000000004", "1e-05", "-0.0", "1e+22",  // service_ms
                "0", "0.0", "0.0", nil, nil,  // bytes
                #"{"2xx":2}"#, nil,
            ])
    }

    @Test("spells non-finite doubles the way Postgres reads them")
    func nonFinite() throws {
        let values = try SummaryTableLayout(.customMetrics).textValues(
            of: summary(
                type: .customMetrics,
                fields: [
                    "value": FieldStatistics(
                        count: 3, sum: .infinity, sumOfSquares: .nan, minimum: -.infinity, maximum: 1)
                ],
                metric: "m"))
        #expect(Array(values[6...10]) == ["3", "Infinity", "NaN", "-Infinity", "1.0"])
    }

    @Test("renders counts as JSON with sorted, escaped keys")
    func countsJSON() throws {
        let values = try SummaryTableLayout(.dynoErrors).textValues(
            of: summary(
                type: .dynoErrors, counts: ["b\"q": 1, "a\\b": 2, "c\n\u{1}": 3, "é📈": UInt64.max], metric: "errors"))
        #expect(values.dropLast().last == #"{"a\\b":2,"b\"q":1,"c\n\u0001":3,"é📈":18446744073709551615}"#)
    }

    @Test("rejects fields the table has no columns for, NUL characters and unsupported years, without quoting them")
    func rejects() {
        let unknown = summary(fields: ["secret_field": FieldStatistics(value: 1)])
        let nul = summary(metric: "a\u{0}b")
        var ancient = summary()
        ancient.key.windowStart = EventTime(secondsSinceEpoch: -62_135_596_801)
        for bad in [unknown, nul, ancient] {
            #expect {
                try SummaryTableLayout(.routerRequests).textValues(of: bad)
            } throws: { error in
                guard case .invalidValue = error as? PostgresError else { return false }
                return !"\(error)".contains("secret_field") && !(error as? PostgresError)!.isRetryable
            }
        }
    }

    @Test("declares every column in table order, with the key as primary key")
    func createTable() {
        #expect(
            SummaryTableLayout(.customMetrics).createTableStatement(named: "metrics_20240131.custom_metrics")
                == "CREATE TABLE IF NOT EXISTS metrics_20240131.custom_metrics (owner text NOT NULL, "
                + "process_type text NOT NULL, metric text NOT NULL, period_seconds integer NOT NULL, "
                + "window_start timestamptz NOT NULL, version bigint NOT NULL, "
                + "updated_at timestamptz NOT NULL DEFAULT now(), value_count bigint NOT NULL DEFAULT 0, "
                + "value_sum double precision NOT NULL DEFAULT 0, "
                + "value_sum_squares double precision NOT NULL DEFAULT 0, value_min double precision, "
                + "value_max double precision, counts jsonb NOT NULL DEFAULT '{}', sketch bytea, "
                + "PRIMARY KEY (owner, process_type, metric, period_seconds, window_start))")
    }

    @Test("encodes a binary row with one field per written column", arguments: MeasurementType.allCases)
    func binaryRow(type: MeasurementType) throws {
        let layout = SummaryTableLayout(type)
        var row = summary(type: type, counts: ["x": 1])
        row.fields = Dictionary(uniqueKeysWithValues: type.summaryFieldNames.map { ($0, FieldStatistics(value: 2)) })
        var encoder = CopyBinaryEncoder()
        try layout.appendBinaryRow(of: row, to: &encoder)
        let header = 19
        let fieldCount = Int(encoder.bytes[header]) << 8 | Int(encoder.bytes[header + 1])
        #expect(fieldCount == layout.writtenColumnNames.count)
        #expect(layout.writtenColumnCount == layout.writtenColumnNames.count)
        #expect(try layout.textValues(of: row).count == layout.writtenColumnNames.count)
        #expect(layout.parts.filter { $0 != .updatedAt } == layout.writtenParts)
    }
}
