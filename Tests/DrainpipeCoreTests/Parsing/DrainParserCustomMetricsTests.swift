import DrainpipeCore
import Testing

@Suite("DrainParser on l2met app lines")
struct DrainParserCustomMetricsTests {
    typealias Fixtures = DrainFixtures

    static func metrics(_ result: DrainParseResult) -> [String] {
        result.measurements.map { measurement in
            "\(measurement.metric)=\(measurement.fields.map { "\($0.name):\($0.value)" }.joined(separator: ","))"
        }
    }

    @Test("turns the example app line into one custom metric measurement per metric")
    func example() {
        let result = DrainParserTests.parse(lines: Fixtures.customMetricsLine)
        #expect(
            result.measurements
                == [("jobs.processed", 3.0), ("job.duration", 412), ("queue.depth", 17)].map { name, value in
                    DrainParserTests.expected(
                        .customMetrics, processType: "worker", metric: name, time: 1_709_647_331_020_001,
                        fields: [MeasurementField(name: "value", value: value)])
                })
        #expect(result.measuredLineCount == 1 && result.accountedLineCount == 1)
    }

    @Test(
        "reads l2met values, units and empty counts as formats.md §5 describes",
        arguments: [
            (
                "measure#db.query=12.4ms count#cache.hit source=checkout",
                ["db.query=value:12.4", "cache.hit=value:1.0"]
            ),
            ("- count#x=", ["x=value:1.0"]),
            ("count#x=0 sample#pool_size=40.9MB", ["x=value:0.0", "pool_size=value:40.9"]),
            ("note=hello measure#a:b/c-d_e.f=1 other=x", ["a:b/c-d_e.f=value:1.0"]),
            ("measure#big=999999999999999.5", ["big=value:999999999999999.5"]),
            ("unique#user.active=u-4821 count#login", ["login=value:1.0"]),
        ])
    func values(_ message: String, expected: [String]) {
        let result = DrainParserTests.parse(lines: Fixtures.appLine(message))
        #expect(Self.metrics(result) == expected)
        #expect(result.measurements.allSatisfy { $0.type == .customMetrics && $0.processType == "worker" })
    }

    @Test("skips and counts unique# keys; a line with nothing else is ignored as custom metrics")
    func uniqueKeys() {
        let result = DrainParserTests.parse(
            lines:
                Fixtures.appLine("unique#user.active=u-4821 unique#cart=c-1"),
            Fixtures.appLine("unique#user.active=u-1 count#login"))
        #expect(Self.metrics(result) == ["login=value:1.0"])
        #expect(result.skippedUniqueKeyCount == 3)
        #expect(result.ignoredLinesByKind == [.customMetrics: 1])
        #expect(result.measuredLineCount == 1 && result.accountedLineCount == 2)
    }

    @Test("ignores metric-looking words inside quoted values")
    func quotedWords() {
        let result = DrainParserTests.parse(lines: Fixtures.appLine(#"msg="retry count#x=1 later""#))
        #expect(result.measurements.isEmpty)
        #expect(result.ignoredLinesByKind == [.customMetrics: 1])
    }

    @Test(
        "rejects the whole app line for one bad metric",
        arguments: [
            ("count#ok=1 count#x=-3", LineRejectionReason.badNumber),
            ("measure#x=1e3", .badNumber),
            ("measure#x=1.2.3", .badNumber),
            ("measure#x=NaN", .badNumber),
            ("sample#x=+1", .badNumber),
            ("sample#x=12ms5", .badNumber),
            ("count#x=1000000000000000", .badNumber),
            ("measure#x", .missingField),
            ("sample#x=", .missingField),
            ("count#x=1 measure#x=2", .duplicateMetric),
            ("count#x count#x", .duplicateMetric),
            ("count#=3", .badMetricName),
            ("count#a$b=1", .badMetricName),
            ("count#\(String(repeating: "n", count: 129))=1", .badMetricName),
        ])
    func rejects(_ message: String, reason: LineRejectionReason) {
        let result = DrainParserTests.parse(lines: Fixtures.appLine(message), Fixtures.customMetricsLine)
        #expect(result.measurements.map { $0.origin?.lineIndex } == [1, 1, 1])
        #expect(result.lineRejections == [reason: 1])
    }

    @Test("reads a line of 700 distinct metrics, and rejects it when one name repeats among them")
    func manyMetrics() {
        let names = (0..<700).map { "m\($0)" }
        let line = names.map { "count#\($0)=1" }.joined(separator: " ")
        let result = DrainParserTests.parse(lines: Fixtures.appLine(line))
        #expect(result.measurements.map(\.metric) == names, "\(result.lineRejections)")
        let repeated = DrainParserTests.parse(lines: Fixtures.appLine(line + " measure#m517=2"))
        #expect(repeated.measurements.isEmpty && repeated.lineRejections == [.duplicateMetric: 1])
    }

    @Test("accepts a metric name of 128 bytes")
    func longestName() {
        let name = String(repeating: "n", count: 128)
        #expect(
            Self.metrics(DrainParserTests.parse(lines: Fixtures.appLine("count#\(name)=2"))) == ["\(name)=value:2.0"])
    }

    @Test("rejects an l2met line with invalid UTF-8 but leaves plain app output alone")
    func invalidUTF8() {
        let metricLine = Array(Fixtures.appLine("count#x=1 note=").utf8) + [0xED, 0xA0, 0x80, 0x0A]
        let plainLine = Array(Fixtures.appLine("plain ").utf8) + [0xFF, 0x0A]
        let body = Array("\(metricLine.count) ".utf8) + metricLine + Array("\(plainLine.count) ".utf8) + plainLine
        let result = DrainParserTests.parse(body)
        #expect(result.measurements.isEmpty)
        #expect(result.lineRejections == [.invalidUTF8: 1])
        #expect(result.ignoredLinesByKind == [.appOutput: 1])
    }
}
