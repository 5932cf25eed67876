import Drainpipe
import DrainpipeCore
import Testing

@Suite("DaySchema")
struct DaySchemaTests {
    @Test(
        "names the UTC day a time falls in",
        arguments: [
            (Int64(0), "metrics_19700101"), (86_399, "metrics_19700101"), (86_400, "metrics_19700102"),
            (-1, "metrics_19691231"), (951_782_400, "metrics_20000229"), (1_709_251_199, "metrics_20240229"),
            (1_709_251_200, "metrics_20240301"), (1_735_689_599, "metrics_20241231"),
            (4_102_444_800, "metrics_21000101"),
            (-62_135_596_800, "metrics_00010101"), (253_402_300_799, "metrics_99991231"),
        ])
    func names(seconds: Int64, expected: String) {
        #expect(DaySchema(containing: EventTime(secondsSinceEpoch: seconds)).name == expected)
    }

    @Test("uses the day of the exact microsecond, negative times included")
    func microsecondBoundaries() {
        let midnight = EventTime(secondsSinceEpoch: 86_400)
        #expect(DaySchema(containing: midnight - .microseconds(1)).daysSinceEpoch == 0)
        #expect(DaySchema(containing: midnight).daysSinceEpoch == 1)
        #expect(DaySchema(containing: EventTime(microsecondsSinceEpoch: -1)).daysSinceEpoch == -1)
    }

    @Test("round-trips every day between 1900 and 2100 through its name and calendar fields")
    func calendarRoundTrip() throws {
        let first = try #require(DaySchema(year: 1900, month: 1, day: 1))
        let last = try #require(DaySchema(year: 2100, month: 12, day: 31))
        #expect(first.daysSinceEpoch == -25_567)
        var previous: DaySchema?
        for days in first.daysSinceEpoch...last.daysSinceEpoch {
            let day = DaySchema(daysSinceEpoch: days)
            #expect(DaySchema(schemaName: day.name) == day)
            #expect(DaySchema(year: day.year, month: day.month, day: day.day) == day)
            #expect(DaySchema(containing: day.start) == day && DaySchema(containing: day.end) == day.advanced(by: 1))
            if let previous { #expect(previous.name < day.name) }
            previous = day
        }
    }

    @Test(
        "rejects names and dates that are not days",
        arguments: [
            "metrics_2024013", "metrics_202401311", "metrics_20240230", "metrics_20241301", "metrics_00000101",
            "metrics_2024-1-1", "Metrics_20240101", "metrics_+2024011", "other_20240101",
        ])
    func rejectsNames(name: String) {
        #expect(DaySchema(schemaName: name) == nil)
    }

    @Test("renders timestamptz literals in UTC with microseconds")
    func timestamps() {
        #expect(DaySchema.timestampText(EventTime(secondsSinceEpoch: 0)) == "1970-01-01 00:00:00.000000+00")
        #expect(
            DaySchema.timestampText(EventTime(microsecondsSinceEpoch: 1_709_251_199_000_001))
                == "2024-02-29 23:59:59.000001+00")
        #expect(DaySchema.timestampText(EventTime(microsecondsSinceEpoch: -1)) == "1969-12-31 23:59:59.999999+00")
    }

    @Test("gives every table the key, version, statistics for each field, counts and sketch")
    func tableDefinition() throws {
        let day = try #require(DaySchema(year: 2024, month: 1, day: 31))
        #expect(day.qualifiedTableName(for: .dynoLoad) == "metrics_20240131.dyno_load")
        let statement = day.createTableStatement(for: .customMetrics)
        for column in [
            "owner text NOT NULL", "process_type text NOT NULL", "metric text NOT NULL", "period_seconds integer",
            "window_start timestamptz", "version bigint", "updated_at timestamptz NOT NULL DEFAULT now()",
            "value_count bigint", "value_sum double precision", "value_sum_squares double precision",
            "value_min double precision,", "value_max double precision,", "counts jsonb NOT NULL DEFAULT '{}'",
            "sketch bytea", "PRIMARY KEY (owner, process_type, metric, period_seconds, window_start)",
        ] {
            #expect(statement.contains(column), "missing \(column)")
        }
        #expect(
            DaySchema.writtenColumns(for: .dynoErrors)
                == ["owner", "process_type", "metric", "period_seconds", "window_start", "version", "counts", "sketch"])
        #expect(DaySchema.writtenColumns(for: .dynoMemory).count == 8 + 7 * 5)
    }
}
