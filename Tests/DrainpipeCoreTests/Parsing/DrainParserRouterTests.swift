import DrainpipeCore
import Testing

@Suite("DrainParser on router lines")
struct DrainParserRouterTests {
    typealias Fixtures = DrainFixtures

    /// The line's measurements as (type, process type, fields, events).
    static func summary(_ result: DrainParseResult) -> [Reading] {
        result.measurements.map { measurement in
            Reading(
                type: measurement.type, processType: measurement.processType,
                fields: Dictionary(uniqueKeysWithValues: measurement.fields.map { ($0.name, $0.value) }),
                events: measurement.events)
        }
    }

    struct Reading: Equatable, CustomStringConvertible {
        var type: MeasurementType
        var processType: String
        var fields: [String: Double]
        var events: [String]

        var description: String { "\(type) \(processType) \(fields) \(events)" }
    }

    @Test("turns the example router line into one router measurement with its timings and events")
    func example() throws {
        let result = DrainParserTests.parse(lines: Fixtures.routerLine)
        #expect(
            result.measurements == [
                DrainParserTests.expected(
                    .routerRequests, processType: "web", metric: "router", time: 1_709_647_327_412_387,
                    fields: [
                        MeasurementField(name: "connect_ms", value: 1),
                        MeasurementField(name: "service_ms", value: 48),
                        MeasurementField(name: "bytes", value: 5121),
                    ],
                    events: ["status_2xx", "method_GET", "protocol_https"])
            ])
        #expect(result.measuredLineCount == 1 && result.accountedLineCount == 1)
    }

    @Test(
        "reads the router lines of formats.md, counting error lines as requests and under their code",
        arguments: [
            (
                Fixtures.routerPostLine,
                [
                    Reading(
                        type: .routerRequests, processType: "web",
                        fields: ["connect_ms": 0, "service_ms": 212, "bytes": 788],
                        events: ["status_3xx", "method_POST", "protocol_http1.1"])
                ]
            ),
            (
                Fixtures.routerH12Line,
                [
                    Reading(
                        type: .routerRequests, processType: "web",
                        fields: ["connect_ms": 0, "service_ms": 30000, "bytes": 0],
                        events: ["status_5xx", "method_POST", "protocol_https", "H12"]),
                    Reading(
                        type: .dynoErrors, processType: "web", fields: [:],
                        events: ["H12"]),
                ]
            ),
            (
                Fixtures.routerH10Line,
                [
                    Reading(
                        type: .routerRequests, processType: "web", fields: [:],
                        events: ["status_5xx", "method_GET", "protocol_https", "H10"]),
                    Reading(
                        type: .dynoErrors, processType: "web", fields: [:],
                        events: ["H10"]),
                ]
            ),
            (
                Fixtures.routerH27Line,
                [
                    Reading(
                        type: .routerRequests, processType: "web",
                        fields: ["connect_ms": 1, "service_ms": 1840, "bytes": 0],
                        events: ["status_4xx", "method_GET", "protocol_https", "H27"]),
                    Reading(
                        type: .dynoErrors, processType: "web", fields: [:],
                        events: ["H27"]),
                ]
            ),
        ])
    func formatsExamples(_ line: String, expected: [Reading]) {
        let result = DrainParserTests.parse(lines: line)
        #expect(Self.summary(result) == expected)
        #expect(result.measurements.allSatisfy { $0.origin?.lineIndex == 0 })
        #expect(result.measurements.map(\.metric) == expected.map { $0.type == .routerRequests ? "router" : "errors" })
        #expect(result.measuredLineCount == 1 && result.rejectedLineCount == 0)
    }

    @Test(
        "reads each value the way formats.md §2 describes it",
        arguments: [
            // H25 lines carry bare integers.
            ("connect=0 service=1 status=502 bytes=", ["connect_ms": 0.0, "service_ms": 1], ["status_5xx"], "web"),
            // H24: an empty status gives no status event; an absent dyno is `web`.
            ("method=GET status= protocol=http", [:], ["method_GET", "protocol_http"], "web"),
            ("status=101 method=GET dyno=web.12", [:], ["status_1xx", "method_GET"], "web"),
            ("status=200 method=PROPFIND", [:], ["status_2xx", "method_OTHER"], "web"),
            ("status=200 method=get", [:], ["status_2xx", "method_OTHER"], "web"),
            ("status=200 dyno=api.3 protocol=http3", [:], ["status_2xx", "protocol_http3"], "api"),
            ("status=200 dyno=web", [:], ["status_2xx"], "web"),
            (
                "status=599 service=604800000ms bytes=1099511627776",
                ["service_ms": 604_800_000, "bytes": 1_099_511_627_776], ["status_5xx"], "web"
            ),
            ("status=200 unknown=1 queue=-5 service=7ms", ["service_ms": 7], ["status_2xx"], "web"),
            // A NUL byte makes a key unknown rather than an alias of `service`.
            ("status=200 service\u{0}=-5 service=7ms", ["service_ms": 7], ["status_2xx"], "web"),
        ])
    func values(
        _ message: String, fields: [String: Double],
        events: [String], processType: String
    ) {
        let result = DrainParserTests.parse(lines: Fixtures.routerLine(message))
        #expect(
            Self.summary(result)
                == [Reading(type: .routerRequests, processType: processType, fields: fields, events: events)])
    }

    @Test(
        "rejects the whole router line for one bad value",
        arguments: [
            ("status=200 connect=-1ms", LineRejectionReason.badNumber),
            ("status=200 service=1.5ms", .badNumber),
            ("status=200 service=1e3ms", .badNumber),
            ("status=200 service=NaN", .badNumber),
            ("status=200 service=+4ms", .badNumber),
            ("status=200 service=604800001ms", .badNumber),
            ("status=200 service=1000000000000000ms", .badNumber),
            ("status=200 bytes=1099511627777", .badNumber),
            ("status=200 bytes=12ms", .unknownUnit),
            ("status=200 service=48s", .unknownUnit),
            ("status=600", .badNumber),
            ("status=099", .badNumber),
            ("status=20", .badNumber),
            ("status=2000", .badNumber),
            ("status=ok", .badNumber),
            ("at=info method=GET connect=1ms", .missingField),
            ("status=200 status=200", .duplicateField),
            ("status=200 service=1ms service=2ms", .duplicateField),
            ("status=503 code=X12", .badToken),
            ("status=503 code=H1", .badToken),
            ("status=503 code=H123", .badToken),
            ("status=503 code=", .badToken),
            ("status=200 protocol=HTTPS", .badToken),
            ("status=200 protocol=abcdefghijklmnopq", .badToken),
            ("status=200 dyno=.1", .invalidSource),
            ("status=200 dyno=we$b.1", .invalidSource),
        ])
    func rejects(_ message: String, reason: LineRejectionReason) {
        let result = DrainParserTests.parse(lines: Fixtures.routerLine(message), Fixtures.loadLine)
        #expect(result.measurements.map(\.type) == [.dynoLoad])
        #expect(result.lineRejections == [reason: 1])
        #expect(result.accountedLineCount == 2)
    }

    @Test("rejects a router line with invalid UTF-8 in its path, keeping the rest of the request")
    func invalidUTF8() {
        let line = Array(Fixtures.routerLine("status=200 path=\"/caf").utf8) + [0xC3, 0x28] + Array("\"\n".utf8)
        let body = Array("\(line.count) ".utf8) + line + Array(Fixtures.frame(Fixtures.routerLine).utf8)
        let result = DrainParserTests.parse(body)
        #expect(result.lineRejections == [.invalidUTF8: 1])
        #expect(result.measurements.map { $0.origin?.lineIndex } == [1])
    }

    @Test("accepts a router line of 9 999 message bytes and rejects one of 10 000 as too long")
    func lineLength() {
        let prefix = "status=200 service=5ms path=\"/"
        func line(messageLength: Int) -> String {
            Fixtures.routerLine(prefix + String(repeating: "a", count: messageLength - prefix.utf8.count - 1) + "\"")
        }
        let result = DrainParserTests.parse(
            lines: line(messageLength: 9_999), line(messageLength: 10_000), line(messageLength: 200_000))
        #expect(result.measurements.map { $0.origin?.lineIndex } == [0])
        #expect(result.lineRejections == [.lineTooLong: 2])
    }
}
