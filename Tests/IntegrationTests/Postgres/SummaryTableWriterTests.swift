import Drainpipe
import DrainpipeBaselines
import DrainpipeCore
import DrainpipePostgres
import Testing

/// The three write paths, which must store the same thing.
enum WritePath: String, CaseIterable, CustomTestStringConvertible {
    case copyBinary
    case copyText
    case oneByOne

    var testDescription: String { rawValue }

    /// A writer for this path; tests that write several times reuse one, as a sink does.
    func makeWriter(rowsPerCopy: Int = 4096) -> SummaryTableWriter {
        SummaryTableWriter(
            rowsPerCopy: rowsPerCopy, copyFormat: self == .copyText ? TextCopyFormat() : BinaryCopyFormat())
    }

    @discardableResult
    func write(_ summaries: [Summary], with writer: SummaryTableWriter, on connection: PQConnection) throws -> Int {
        switch self {
        case .copyBinary, .copyText: try writer.write(summaries, on: connection)
        case .oneByOne: try writer.insertOneByOne(summaries, on: connection)
        }
    }
}

/// Every test writes under its own owner, so the tests can share day schemas and run in parallel. Only
/// `DaySchemaTests` drops schemas, and only days no other test uses.
@Suite("SummaryTableWriter and SummaryReader against Postgres", .timeLimit(.minutes(1)))
struct SummaryTableWriterTests {
    /// 2031-03-04 23:59:00 UTC: the next window starts on the next day, in another schema.
    private static let lateWindow = EventTime(secondsSinceEpoch: 1_930_435_140)

    private static func summary(
        _ type: MeasurementType, owner: String, processType: String = "web", metric: String? = nil,
        at windowStart: EventTime = lateWindow, period: Int32 = 60, version: Int64 = 1,
        fields: [String: FieldStatistics] = [:], counts: [String: UInt64] = [:]
    ) -> Summary {
        Summary(
            key: SeriesKey(
                type: type, owner: owner, processType: processType, metric: metric ?? type.platformMetricName,
                windowStart: windowStart, periodSeconds: period),
            version: version, fields: fields, counts: counts)
    }

    private static func read(
        _ type: MeasurementType, owner: String, processType: String? = nil, metric: String? = nil,
        from: EventTime = lateWindow - .seconds(86_400), to: EventTime = lateWindow + .seconds(86_400),
        on connection: PQConnection
    ) throws -> [Summary] {
        try SummaryReader().summaries(
            type: type, owner: owner, processType: processType, metric: metric, from: from, to: to, on: connection)
    }

    @Test("hostile names and extreme values round-trip exactly through write and read", arguments: WritePath.allCases)
    func hostileRoundTrip(path: WritePath) throws {
        let connection = try PostgresTestDatabase.connect()
        let owner = PostgresTestDatabase.uniqueOwner("hostile\t'\"\\\n\r\\N é")
        let hostile = "quote' dq\" bs\\ tab\t nl\n cr\r null\\N dot\\. 📈 ü 中文 \u{7F}\u{1B}"
        let longMetric = String(repeating: "m\\\t\n'é", count: 1024 / 7 + 1)  // over 1 KB of UTF-8
        let nextWindow = Self.lateWindow + .seconds(60)  // 2031-03-05 00:00, the next day schema
        let extremes = FieldStatistics(
            count: 5, sum: 0.1 + 0.2, sumOfSquares: 1.7976931348623157e308, minimum: -.leastNonzeroMagnitude,
            maximum: 1e-300)
        let summaries = [
            Self.summary(
                .customMetrics, owner: owner, processType: hostile, metric: longMetric,
                fields: ["value": extremes], counts: [hostile: 3, "": 0, "big": UInt64.max]),
            Self.summary(
                .customMetrics, owner: owner, processType: hostile, metric: longMetric, at: nextWindow, version: 7,
                fields: [
                    "value": FieldStatistics(
                        count: 1, sum: .infinity, sumOfSquares: .infinity, minimum: -0.0, maximum: -.infinity)
                ]),
            Self.summary(
                .customMetrics, owner: owner, metric: hostile, period: 600,
                fields: ["value": FieldStatistics(value: 42)]),
            Self.summary(
                .routerRequests, owner: owner, version: Int64.max,
                fields: ["service_ms": FieldStatistics(value: 12.5), "bytes": FieldStatistics(value: 1e9)],
                counts: ["2xx": 1]),
            Self.summary(.dynoErrors, owner: owner, processType: "worker", counts: ["R14": 2, "H12": 1, hostile: 9]),
        ]
        #expect(try path.write(summaries, with: path.makeWriter(), on: connection) == summaries.count)

        let custom = try Self.read(.customMetrics, owner: owner, on: connection)
        #expect(
            custom
                == Array(summaries[0...2]).sorted {
                    ($0.key.windowStart, $0.key.processType) < ($1.key.windowStart, $1.key.processType)
                })
        #expect(custom.first { $0.key.windowStart == nextWindow }?.fields["value"]?.minimum.sign == .minus)
        #expect(try Self.read(.routerRequests, owner: owner, on: connection) == [summaries[3]])
        #expect(try Self.read(.dynoErrors, owner: owner, on: connection) == [summaries[4]])
        #expect(
            try Self.read(.customMetrics, owner: owner, metric: longMetric, on: connection).map(\.version) == [1, 7])
        #expect(try Self.read(.customMetrics, owner: owner, processType: hostile, on: connection).count == 2)
        #expect(
            try Self.read(.customMetrics, owner: owner, processType: "web", metric: hostile, on: connection) == [
                summaries[2]
            ])
        #expect(try Self.read(.dynoLoad, owner: owner, on: connection).isEmpty)
    }

    @Test("an older version never overwrites a newer one", arguments: WritePath.allCases)
    func versions(path: WritePath) throws {
        let connection = try PostgresTestDatabase.connect()
        let writer = path.makeWriter()
        let owner = PostgresTestDatabase.uniqueOwner("versions")
        func load(_ value: Double, version: Int64) -> Summary {
            Self.summary(
                .dynoLoad, owner: owner, version: version, fields: ["load_avg_1m": FieldStatistics(value: value)])
        }
        #expect(try path.write([load(1, version: 10)], with: writer, on: connection) == 1)
        #expect(try path.write([load(2, version: 5)], with: writer, on: connection) == 0)
        #expect(try path.write([load(3, version: 10)], with: writer, on: connection) == 0)
        #expect(try Self.read(.dynoLoad, owner: owner, on: connection) == [load(1, version: 10)])
        #expect(try path.write([load(4, version: 11)], with: writer, on: connection) == 1)
        #expect(try Self.read(.dynoLoad, owner: owner, on: connection) == [load(4, version: 11)])

        // Several versions of one summary in one batch: the newest wins whatever the order.
        try path.write(
            [load(7, version: 30), load(5, version: 20), load(6, version: 25)], with: writer, on: connection)
        #expect(try Self.read(.dynoLoad, owner: owner, on: connection) == [load(7, version: 30)])
    }

    @Test("writing the same batch again changes nothing", arguments: WritePath.allCases)
    func idempotent(path: WritePath) throws {
        let connection = try PostgresTestDatabase.connect()
        let writer = path.makeWriter()
        let owner = PostgresTestDatabase.uniqueOwner("idempotent")
        let batch = (0..<20).map { minute in
            Self.summary(
                .dynoMemory, owner: owner, at: Self.lateWindow + .seconds(60 * Int64(minute)), version: Int64(minute),
                fields: [
                    "memory_rss": FieldStatistics(value: Double(minute) * 1.5),
                    "memory_quota": FieldStatistics(value: 512),
                ])
        }
        #expect(try path.write(batch, with: writer, on: connection) == 20)
        let stamps = try connection.query(
            "SELECT count(*), max(updated_at)::text FROM metrics_20310305.dyno_memory WHERE owner = $1",
            parameters: [owner])
        #expect(try path.write(batch, with: writer, on: connection) == 0)
        #expect(try path.write(batch.reversed(), with: path.makeWriter(), on: connection) == 0)
        #expect(try Self.read(.dynoMemory, owner: owner, on: connection) == batch)
        let after = try connection.query(
            "SELECT count(*), max(updated_at)::text FROM metrics_20310305.dyno_memory WHERE owner = $1",
            parameters: [owner])
        #expect(after == stamps)
    }

    @Test(
        "writes groups larger than one COPY, across days and types, in one call",
        arguments: [WritePath.copyBinary, .copyText])
    func largeBatches(path: WritePath) throws {
        let connection = try PostgresTestDatabase.connect()
        let owner = PostgresTestDatabase.uniqueOwner("large")
        let batch = (0..<300).map { index in
            Self.summary(
                index.isMultiple(of: 3) ? .dynoLoad : .customMetrics, owner: owner, metric: "metric.\(index)",
                at: Self.lateWindow + .seconds(3_600 * Int64(index % 40)), version: Int64(index),
                fields: index.isMultiple(of: 3)
                    ? ["load_avg_5m": FieldStatistics(value: Double(index))]
                    : ["value": FieldStatistics(value: Double(index) / 7)])
        }
        #expect(try path.write(batch, with: path.makeWriter(rowsPerCopy: 7), on: connection) == 300)
        let until = Self.lateWindow + .seconds(3_600 * 41)
        let loads = try Self.read(.dynoLoad, owner: owner, to: until, on: connection)
        let customs = try Self.read(.customMetrics, owner: owner, to: until, on: connection)
        #expect(loads.count + customs.count == batch.count)
        #expect(Set(loads + customs) == Set(batch))
        #expect(loads.map(\.key.windowStart) == loads.map(\.key.windowStart).sorted())
        #expect(Set(customs.map { DaySchema(containing: $0.key.windowStart) }).count == 3)
    }

    @Test("recreates a day schema that retention dropped after the writer created it", arguments: WritePath.allCases)
    func droppedSchema(path: WritePath) throws {
        let connection = try PostgresTestDatabase.connect()
        let writer = path.makeWriter()
        let owner = PostgresTestDatabase.uniqueOwner("dropped")
        // A day only this test and path use, so the arguments do not drop each other's schema.
        let day = try #require(DaySchema(year: 2036, month: 6, day: 1 + (WritePath.allCases.firstIndex(of: path) ?? 0)))
        let first = Self.summary(
            .customMetrics, owner: owner, metric: "a", at: day.start, fields: ["value": FieldStatistics(value: 1)])
        let second = Self.summary(
            .customMetrics, owner: owner, metric: "b", at: day.start, fields: ["value": FieldStatistics(value: 2)])
        try path.write([first], with: writer, on: connection)
        try connection.execute("DROP SCHEMA \(day.name) CASCADE")
        #expect(try path.write([second], with: writer, on: connection) == 1)
        #expect(try Self.read(.customMetrics, owner: owner, from: day.start, to: day.end, on: connection) == [second])
    }

    @Test(
        "a day's summaries of every type commit together or not at all; an earlier day's stay committed",
        arguments: [WritePath.copyBinary, .copyText])
    func oneTransactionPerDay(path: WritePath) throws {
        let connection = try PostgresTestDatabase.connect()
        let owner = PostgresTestDatabase.uniqueOwner("atomic")
        let refused = owner + "-refused"
        // Days only this test and path use, so the constraint below meets no other test's rows.
        let earlier = try #require(
            DaySchema(year: 2036, month: 7, day: 1 + 2 * (WritePath.allCases.firstIndex(of: path) ?? 0)))
        let later = earlier.advanced(by: 1)
        for day in [earlier, later] {
            try connection.execute("DROP SCHEMA IF EXISTS \(day.name) CASCADE")
            try day.ensureExists(on: connection)
        }
        // The server refuses one dyno-load row of the later day, whose upsert runs after the custom-metrics one
        // (groups go in type order).
        try connection.execute(
            "ALTER TABLE \(later.qualifiedTableName(for: .dynoLoad)) ADD CONSTRAINT refuses_one "
                + "CHECK (owner <> '\(refused)')")
        let load = ["load_avg_1m": FieldStatistics(value: 1)]
        let stored = Self.summary(.dynoLoad, owner: owner, at: earlier.start, fields: load)
        let rolledBack = (0..<3).map { index in
            Self.summary(
                .customMetrics, owner: owner, metric: "m\(index)", at: later.start,
                fields: ["value": FieldStatistics(value: Double(index))])
        }
        let poison = Self.summary(.dynoLoad, owner: refused, at: later.start, fields: load)
        let writer = path.makeWriter(rowsPerCopy: 2)
        #expect {
            try path.write([poison] + rolledBack + [stored], with: writer, on: connection)
        } throws: { error in
            (error as? PostgresError)?.sqlState == SQLState(rawValue: "23514")  // check_violation
        }
        #expect(
            try Self.read(.dynoLoad, owner: owner, from: earlier.start, to: earlier.end, on: connection) == [stored])
        #expect(try Self.read(.customMetrics, owner: owner, from: later.start, to: later.end, on: connection).isEmpty)
        #expect(try Self.read(.dynoLoad, owner: refused, from: later.start, to: later.end, on: connection).isEmpty)
        #expect(connection.isHealthy)
        #expect(try path.write(rolledBack, with: writer, on: connection) == 3)
    }

    @Test("refuses a batch with an invalid summary before writing any of it")
    func invalidBatch() throws {
        let connection = try PostgresTestDatabase.connect()
        let owner = PostgresTestDatabase.uniqueOwner("invalid")
        let valid = Self.summary(.dynoLoad, owner: owner, fields: ["load_avg_1m": FieldStatistics(value: 1)])
        let invalid = Self.summary(
            .dynoLoad, owner: owner, metric: "x", fields: ["not_a_column": FieldStatistics(value: 1)])
        for path in WritePath.allCases {
            #expect {
                try path.write([valid, invalid], with: path.makeWriter(), on: connection)
            } throws: { error in
                guard case .invalidValue = error as? PostgresError else { return false }
                return true
            }
        }
        #expect(try Self.read(.dynoLoad, owner: owner, on: connection).isEmpty)
        #expect(connection.isHealthy)
    }

    @Test("reads only the requested range and skips days without a schema")
    func ranges() throws {
        let connection = try PostgresTestDatabase.connect()
        let owner = PostgresTestDatabase.uniqueOwner("ranges")
        // Days only this test uses: 2037-02-10 and 2037-02-12; the 11th has no schema.
        let first = try #require(DaySchema(year: 2037, month: 2, day: 10))
        let missing = first.advanced(by: 1)
        try connection.execute("DROP SCHEMA IF EXISTS \(missing.name) CASCADE")
        let windows = [
            first.start, first.start + .seconds(60), first.end - .seconds(60), missing.end, missing.end + .seconds(120),
        ]
        let batch = windows.enumerated().map { index, window in
            Self.summary(
                .customMetrics, owner: owner, metric: "m", at: window,
                fields: ["value": FieldStatistics(value: Double(index))])
        }
        try SummaryTableWriter().write(batch, on: connection)

        func read(_ from: EventTime, _ to: EventTime) throws -> [Summary] {
            try Self.read(.customMetrics, owner: owner, from: from, to: to, on: connection)
        }
        #expect(try read(first.start, missing.end.advanced(by: 1)) == batch)
        #expect(try read(first.start + .seconds(60), missing.end) == Array(batch[1...2]))
        #expect(try read(first.start + .microseconds(1), first.start + .seconds(60)).isEmpty)
        #expect(try read(missing.start, missing.end).isEmpty)
        #expect(try read(missing.end, missing.start).isEmpty)
        #expect(try read(EventTime(microsecondsSinceEpoch: .min), EventTime(microsecondsSinceEpoch: .max)) == batch)
        #expect(
            try Self.read(
                .customMetrics, owner: owner + "x", from: first.start, to: missing.end.advanced(by: 1), on: connection
            ).isEmpty)
    }
}

extension EventTime {
    fileprivate func advanced(by days: Int64) -> EventTime {
        self + .seconds(86_400 * days)
    }
}
