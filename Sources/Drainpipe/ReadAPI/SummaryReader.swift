import DrainpipeCore
import DrainpipePostgres
import Foundation

/// Reads stored summaries back from the day-schema tables of one database.
package struct SummaryReader: Sendable {
    package init() {}

    /// The summaries of one owner whose windows start in `from..<to`, across every day schema the range touches,
    /// ordered by window start, then process type, metric and period.
    ///
    /// Days without a schema are skipped. Fields with a count of zero are left out of `Summary.fields`; the `sketch`
    /// column becomes `Summary.sketches`. Blocks on the connection; every value is sent as a parameter.
    /// - Parameters:
    ///   - processType: only this process type, or every one when nil.
    ///   - metric: only this metric, or every one when nil.
    /// - Throws: `PostgresError` from the connection, `.invalidValue` for a stored value that cannot be read back
    ///   (a sketch `QuantileSketch.decode` refuses included).
    package func summaries(
        type: MeasurementType, owner: String, processType: String? = nil, metric: String? = nil,
        from: EventTime, to: EventTime, on connection: PQConnection
    ) throws(PostgresError) -> [Summary] {
        let supported = Self.supportedRange
        let from = max(from, supported.lowerBound)
        let to = min(to, supported.upperBound)
        guard from < to else { return [] }
        let days = DaySchema(containing: from)...DaySchema(containing: to - .microseconds(1))
        let parameters = [owner, processType, metric, DaySchema.timestampText(from), DaySchema.timestampText(to)]

        var attempt = 1
        while true {
            let tables = try DaySchema.existing(holding: type, on: connection).filter { days.contains($0) }
            guard !tables.isEmpty else { return [] }
            do throws(PostgresError) {
                let rows = try connection.query(Self.selectStatement(type: type, days: tables), parameters: parameters)
                let decoder = JSONDecoder()
                let parts = SummaryTableLayout(type).writtenParts
                return try rows.rows.map { row throws(PostgresError) in
                    try Self.summary(type: type, parts: parts, row: row, decoder: decoder)
                }
            } catch {
                // Retention dropped a day between listing and reading: list again.
                let dropped = error.sqlState == .invalidSchemaName || error.sqlState == .undefinedTable
                guard dropped, attempt < 3 else { throw error }
                attempt += 1
            }
        }
    }

    // MARK: - Query

    /// Window starts that have a day schema: years 1 through 9999.
    static let supportedRange: Range<EventTime> =
        DaySchema(year: 1, month: 1, day: 1)!.start..<DaySchema(year: 9999, month: 12, day: 31)!.end

    private static func selectStatement(type: MeasurementType, days: [DaySchema]) -> String {
        let columns = SummaryTableLayout(type).writtenParts.flatMap(selectedColumns(of:))
        let branches = days.map { day in
            """
            SELECT \(columns.joined(separator: ", ")) FROM \(day.qualifiedTableName(for: type))
            WHERE owner = $1 AND ($2::text IS NULL OR process_type = $2::text)
            AND ($3::text IS NULL OR metric = $3::text)
            AND window_start >= $4::timestamptz AND window_start < $5::timestamptz
            """
        }
        return branches.joined(separator: "\nUNION ALL\n")
            + "\nORDER BY window_start_us, process_type, metric, period_seconds"
    }

    /// What the query selects for `part`, in text the reader parses: the window start as microseconds since the
    /// epoch, the counts as JSON text, the sketch as hexadecimal digits; every other column as it is.
    static func selectedColumns(of part: SummaryTableLayout.Part) -> [String] {
        switch part {
        case .windowStart: ["(extract(epoch FROM window_start) * 1000000)::bigint AS window_start_us"]
        case .counts: ["counts::text AS counts"]
        case .sketch: ["encode(sketch, 'hex') AS sketch"]
        case .events: ["events::text AS events", "events_overflow"]
        default: part.columns.map(\.name)
        }
    }

    // MARK: - Rows

    /// The summary in `row`, whose columns are those ``selectedColumns(of:)`` lists for `parts` (written parts of
    /// the type's layout, in layout order); what `parts` leaves out stays empty in the summary. `decoder` reads
    /// counts a plain parse cannot; `parts` and `decoder` are made once per statement, since making them per row
    /// costs more than the row.
    static func summary(
        type: MeasurementType, parts: [SummaryTableLayout.Part], row: [String?], decoder: JSONDecoder
    ) throws(PostgresError) -> Summary {
        var reader = RowReader(table: type.tableName, row: row)
        var summary = Summary(
            key: SeriesKey(
                type: type, owner: "", processType: "", metric: "", windowStart: EventTime(microsecondsSinceEpoch: 0),
                periodSeconds: 0),
            version: 0)
        for part in parts {
            switch part {
            case .owner: summary.key.owner = try reader.text("owner")
            case .processType: summary.key.processType = try reader.text("process_type")
            case .metric: summary.key.metric = try reader.text("metric")
            case .periodSeconds: summary.key.periodSeconds = try reader.number("period_seconds", as: Int32.self)
            case .windowStart:
                summary.key.windowStart = EventTime(
                    microsecondsSinceEpoch: try reader.number("window_start", as: Int64.self))
            case .version: summary.version = try reader.number("version", as: Int64.self)
            case .updatedAt: break  // not read
            case .statistics(let name):
                let count = try reader.number(name + "_count", as: UInt64.self)
                let sum = try reader.double(name + "_sum")
                let sumOfSquares = try reader.double(name + "_sum_squares")
                let minimum = try reader.optionalDouble(name + "_min")
                let maximum = try reader.optionalDouble(name + "_max")
                guard count > 0 else { continue }
                guard let minimum, let maximum else {
                    throw .invalidValue(
                        table: type.tableName, reason: "\(name)_min or _max is NULL although values exist")
                }
                summary.fields[name] = FieldStatistics(
                    count: count, sum: sum, sumOfSquares: sumOfSquares, minimum: minimum, maximum: maximum)
            case .counts:
                let counts = try reader.text("counts")
                guard counts != "{}" else { continue }  // every gauge type's row
                if let plain = Self.plainCounts(counts) {
                    summary.counts = plain
                    continue
                }
                do {
                    summary.counts = try decoder.decode([String: UInt64].self, from: Data(counts.utf8))
                } catch {
                    throw .invalidValue(table: type.tableName, reason: "counts is not an object of whole numbers")
                }
            case .sketch:
                guard let hex = try reader.optionalText("sketch") else { continue }
                guard let bytes = Self.bytes(hexadecimal: hex), let sketches = QuantileSketch.decode(bytes) else {
                    throw .invalidValue(
                        table: type.tableName, reason: "sketch is not a quantile sketch this build can read")
                }
                summary.sketches = sketches
            case .events:
                let json = try reader.text("events")
                let overflow = try reader.number("events_overflow", as: UInt64.self)
                summary.platformEvents = try Self.platformEvents(json: json, overflow: overflow, table: type.tableName)
            }
        }
        return summary
    }

    /// The counts of a `counts` column as Postgres prints `jsonb` (`{"H12": 3, "status_2xx": 18}`) when no name
    /// holds an escape: read without a JSON decoder, which costs more than the rest of the row. Nil for anything
    /// else (an escaped name, a value that is no whole number), which the caller hands to a `JSONDecoder`.
    static func plainCounts(_ text: String) -> [String: UInt64]? {
        var text = text
        return text.withUTF8 { bytes -> [String: UInt64]? in
            var counts: [String: UInt64] = [:]
            var position = 0
            func skipSpaces() {
                while position < bytes.count, bytes[position] == UInt8(ascii: " ") { position += 1 }
            }
            func expect(_ character: Unicode.Scalar) -> Bool {
                skipSpaces()
                guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
                position += 1
                return true
            }
            guard expect("{") else { return nil }
            if expect("}") { return position == bytes.count ? counts : nil }
            repeat {
                guard expect("\"") else { return nil }
                let nameStart = position
                while position < bytes.count, bytes[position] != UInt8(ascii: "\""),
                    bytes[position] != UInt8(ascii: "\\")
                {
                    position += 1
                }
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
                let name = String(decoding: bytes[nameStart..<position], as: UTF8.self)
                position += 1
                guard expect(":") else { return nil }
                skipSpaces()
                var value: UInt64 = 0
                let digitsStart = position
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
                    let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
                    let (sum, carry) = shifted.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
                    guard !overflow, !carry else { return nil }
                    value = sum
                    position += 1
                }
                guard position > digitsStart, counts.updateValue(value, forKey: name) == nil else { return nil }
            } while expect(",")
            guard expect("}"), position == bytes.count else { return nil }
            return counts
        }
    }

    /// The bytes of `hexadecimal` (`encode(…, 'hex')`: two lowercase or uppercase digits per byte); nil when it is
    /// not that.
    static func bytes(hexadecimal: String) -> [UInt8]? {
        var text = hexadecimal
        return text.withUTF8 { digits -> [UInt8]? in
            guard digits.count % 2 == 0 else { return nil }
            func value(_ digit: UInt8) -> UInt8? {
                switch digit {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
                default: nil
                }
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(digits.count / 2)
            var index = 0
            while index < digits.count {
                guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
                bytes.append(high << 4 | low)
                index += 2
            }
            return bytes
        }
    }

    /// One stored event, as `SummaryTableLayout` writes it into the `events` column.
    private struct StoredEvent: Decodable {
        var timeMicroseconds: Int64
        var kind: String
        var dyno: String
        var text: String

        enum CodingKeys: String, CodingKey {
            case kind, dyno, text
            case timeMicroseconds = "time_us"
        }
    }

    /// The event log stored as `json` (the `events` column) and `overflow`.
    private static func platformEvents(
        json: String, overflow: UInt64, table: String
    ) throws(PostgresError) -> PlatformEventLog {
        let stored: [StoredEvent]
        do {
            stored = try JSONDecoder().decode([StoredEvent].self, from: Data(json.utf8))
        } catch {
            throw .invalidValue(table: table, reason: "events is not an array of events")
        }
        var events: [PlatformEvent] = []
        for event in stored {
            guard let kind = PlatformEventKind(rawValue: event.kind) else {
                throw .invalidValue(table: table, reason: "events holds an unknown kind")
            }
            events.append(
                PlatformEvent(
                    time: EventTime(microsecondsSinceEpoch: event.timeMicroseconds), kind: kind, dyno: event.dyno,
                    text: event.text))
        }
        return PlatformEventLog(events: events, overflow: overflow)
    }

    /// Reads a row's columns in order, naming the column (never its value) when one cannot be read.
    private struct RowReader {
        let table: String
        let row: [String?]
        var position = 0

        init(table: String, row: [String?]) {
            self.table = table
            self.row = row
        }

        mutating func optionalText(_ column: @autoclosure () -> String) throws(PostgresError) -> String? {
            guard position < row.count else {
                throw .invalidValue(table: table, reason: "the result has no column \(column())")
            }
            defer { position += 1 }
            return row[position]
        }

        mutating func text(_ column: @autoclosure () -> String) throws(PostgresError) -> String {
            guard let value = try optionalText(column()) else {
                throw .invalidValue(table: table, reason: "\(column()) is NULL")
            }
            return value
        }

        mutating func number<Number: FixedWidthInteger>(
            _ column: @autoclosure () -> String, as type: Number.Type
        ) throws(PostgresError) -> Number {
            guard let value = Number(try text(column())) else {
                throw .invalidValue(table: table, reason: "\(column()) does not fit \(Number.self)")
            }
            return value
        }

        mutating func optionalDouble(_ column: @autoclosure () -> String) throws(PostgresError) -> Double? {
            guard let text = try optionalText(column()) else { return nil }
            guard let value = Double(text) else {
                throw .invalidValue(table: table, reason: "\(column()) is not a double")
            }
            return value
        }

        mutating func double(_ column: @autoclosure () -> String) throws(PostgresError) -> Double {
            guard let value = try optionalDouble(column()) else {
                throw .invalidValue(table: table, reason: "\(column()) is NULL")
            }
            return value
        }
    }
}
