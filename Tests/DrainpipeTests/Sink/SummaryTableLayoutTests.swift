import Drainpipe
import DrainpipeCore
import DrainpipePostgres
import Testing

@Suite("SummaryTableWriter.columnValues")
struct SummaryColumnValuesTests {
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
        let values = try SummaryTableWriter.columnValues(
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
        let values = try SummaryTableWriter.columnValues(
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
        let values = try SummaryTableWriter.columnValues(
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
                try SummaryTableWriter.columnValues(of: bad)
            } throws: { error in
                guard case .invalidValue = error as? PostgresError else { return false }
                return !"\(error)".contains("secret_field") && !(error as? PostgresError)!.isRetryable
            }
        }
    }
}
