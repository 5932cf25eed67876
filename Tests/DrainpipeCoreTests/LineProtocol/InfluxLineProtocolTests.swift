import Testing

@testable import DrainpipeCore

@Suite("InfluxLineProtocol")
struct InfluxLineProtocolTests {
    static let window = EventTime(secondsSinceEpoch: 1_709_650_800)

    static func key(
        _ type: MeasurementType, owner: String = "app-1", processType: String = "web", metric: String
    )
        -> SeriesKey
    {
        SeriesKey(
            type: type, owner: owner, processType: processType, metric: metric, windowStart: window,
            periodSeconds: 60)
    }

    @Test("a load summary is one point: measurement per type, owner and process type tags, every statistic")
    func loadSummary() throws {
        let summary = Summary(
            key: Self.key(.dynoLoad, metric: "load_avg"), version: 42,
            fields: [
                "load_avg_1m": FieldStatistics(count: 2, sum: 1.5, sumOfSquares: 1.25, minimum: 0.5, maximum: 1)
            ])
        #expect(
            try InfluxLineProtocol.line(for: summary)
                == "dyno_load,owner=app-1,process_type=web load_avg_1m_count=2i,load_avg_1m_sum=1.5,"
                + "load_avg_1m_sum_of_squares=1.25,load_avg_1m_min=0.5,load_avg_1m_max=1.0,load_avg_1m_mean=0.75,"
                + "version=42i,period_seconds=60i 1709650800\n")
    }

    @Test("router summaries carry p50, p95 and p99 from their sketches and their event counts as integers")
    func routerSummary() throws {
        var sketch = QuantileSketch()
        for value in 1...100 { sketch.add(Double(value)) }
        var service = FieldStatistics.empty
        for value in 1...100 { service.add(Double(value)) }
        let summary = Summary(
            key: Self.key(.routerRequests, metric: "router"), version: 7, fields: ["service_ms": service],
            counts: ["status_2xx": 99, "H12": 1], sketches: ["service_ms": sketch])
        let line = try InfluxLineProtocol.line(for: summary)
        #expect(line.hasPrefix("router_requests,owner=app-1,process_type=web service_ms_count=100i,"))
        for (suffix, q) in InfluxLineProtocol.quantiles {
            #expect(line.contains("service_ms_\(suffix)=\(sketch.quantile(q)!),"))
        }
        #expect(line.contains(",event_H12=1i,event_status_2xx=99i,version=7i,"))
        #expect(
            InfluxLineProtocol.statisticFieldNames(of: "service_ms", sketched: true).allSatisfy {
                line.contains(",\($0)=") || line.contains(" \($0)=")
            })
    }

    @Test("custom metrics are tagged with their metric; non-finite statistics and empty names are left out")
    func customMetricAndOmissions() throws {
        let summary = Summary(
            key: Self.key(.customMetrics, processType: "", metric: "db.queries"), version: 1,
            fields: ["value": .empty])
        #expect(
            try InfluxLineProtocol.line(for: summary)
                == "custom_metrics,metric=db.queries,owner=app-1 value_count=0i,value_sum=0.0,"
                + "value_sum_of_squares=0.0,version=1i,period_seconds=60i 1709650800\n")
    }

    @Test("hostile names are escaped so InfluxDB reads them back exactly")
    func hostileNames() throws {
        let graphite = String(repeating: "servers.rack\\ 1,a=b.é中\"q'.", count: 1024 / 25 + 1)
        #expect(graphite.utf8.count > 1024)
        let summary = Summary(
            key: Self.key(
                .customMetrics, owner: "o w,n=e\\r", processType: "quote'd \"q\" bs\\ \\, \\= é中文📈",
                metric: graphite),
            version: 3, fields: ["value": FieldStatistics(value: 1)])
        let line = try InfluxLineProtocol.line(for: summary)
        let escapedMetric = String(graphite.flatMap { [",", " ", "="].contains($0) ? ["\\", $0] : [$0] })
        #expect(
            line.hasPrefix(
                "custom_metrics,metric=\(escapedMetric),owner=o\\ w\\,n\\=e\\r,"
                    + "process_type=quote'd\\ \"q\"\\ bs\\\\ \\\\,\\ \\\\=\\ é中文📈 value_count=1i,"))
        #expect(Self.unescapedTags(of: line) == [graphite, "o w,n=e\\r", "quote'd \"q\" bs\\ \\, \\= é中文📈"])
    }

    @Test("names line protocol cannot carry are refused, not changed")
    func refusals() {
        for (owner, processType) in [("a\nb", "web"), ("a", "cr\r"), ("ends\\", "web"), ("a", "ends\\")] {
            let summary = Summary(
                key: Self.key(.dynoLoad, owner: owner, processType: processType, metric: "load_avg"), version: 1,
                fields: ["load_avg_1m": FieldStatistics(value: 1)])
            #expect(throws: InfluxLineError.self) { try InfluxLineProtocol.line(for: summary) }
        }
        let huge = Summary(
            key: Self.key(.dynoErrors, metric: "errors"), version: 1, counts: ["H10": UInt64(Int64.max) + 1])
        #expect(throws: InfluxLineError.integerTooLarge(field: "event_H10", value: UInt64(Int64.max) + 1)) {
            try InfluxLineProtocol.line(for: huge)
        }
        var output: [UInt8] = [1]
        #expect(throws: InfluxLineError.self) { try InfluxLineProtocol.append(huge, to: &output) }
        #expect(output == [1], "a refused summary leaves the batch unchanged")
    }

    @Test("the version query quotes names as InfluxQL string literals")
    func versionQuery() {
        let key = Self.key(.customMetrics, owner: "it's", processType: "a\\b", metric: "m")
        #expect(
            InfluxLineProtocol.versionQuery(key)
                == "SELECT \"version\" FROM \"custom_metrics\" WHERE \"owner\" = 'it\\'s' AND "
                + "\"process_type\" = 'a\\\\b' AND \"metric\" = 'm' AND time = 1709650800s")
        #expect(InfluxLineProtocol.quotedIdentifier("db\"x") == "\"db\\\"x\"")
    }

    /// InfluxDB 1.x's reading of the tag values of a line: a backslash escapes the next character when scanning,
    /// and only `\,`, `\ ` and `\=` lose their backslash.
    static func unescapedTags(of line: String) -> [String] {
        let bytes = Array(line.utf8)
        var tags: [String] = []
        var index = bytes.firstIndex(of: UInt8(ascii: ","))! + 1
        while true {
            while bytes[index] != UInt8(ascii: "=") { index += 1 }
            index += 1
            var raw: [UInt8] = []
            while !(bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: " "))
                || bytes[index - 1] == UInt8(ascii: "\\")
            {
                raw.append(bytes[index])
                index += 1
            }
            var value: [UInt8] = []
            var position = 0
            while position < raw.count {
                if raw[position] == UInt8(ascii: "\\"), position + 1 < raw.count,
                    [UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "=")].contains(raw[position + 1])
                {
                    position += 1
                }
                value.append(raw[position])
                position += 1
            }
            tags.append(String(decoding: value, as: UTF8.self))
            if bytes[index] == UInt8(ascii: " ") { return tags }
            index += 1
        }
    }
}
