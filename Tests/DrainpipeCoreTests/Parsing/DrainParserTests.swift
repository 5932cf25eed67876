import DrainpipeCore
import DrainpipeWorkloads
import Testing

@Suite("DrainParser")
struct DrainParserTests {
    typealias Fixtures = DrainFixtures

    static let owner = "5c1d2e3f-0000-4a52-9b1e-2f6a8d3c4e71"
    static let receivedAt = EventTime(secondsSinceEpoch: 1_709_647_400)

    static func parse(_ body: [UInt8]) -> DrainParseResult {
        DrainParser().parse(
            body: body, owner: owner, drainID: "d.drain", frameID: "4E0B9A3C7D1F28A6B5C4E3D2F1A09B87",
            receivedAt: receivedAt)
    }

    /// Parses a body of `lines`, each framed with its LF.
    static func parse(lines: String...) -> DrainParseResult {
        parse(Array(lines.map { Fixtures.frame($0) }.joined().utf8))
    }

    /// The measurement the parser should make of the first line of a body parsed by `parse`.
    static func expected(
        _ type: MeasurementType, processType: String, metric: String, time microseconds: Int64,
        fields: [MeasurementField], events: [String] = []
    ) -> Measurement {
        Measurement(
            type: type, owner: owner, processType: processType, metric: metric,
            time: EventTime(microsecondsSinceEpoch: microseconds), receivedAt: receivedAt, fields: fields,
            events: events,
            origin: DrainOrigin(drainID: "d.drain", frameID: "4E0B9A3C7D1F28A6B5C4E3D2F1A09B87", lineIndex: 0))
    }

    static func parseLoad(_ message: String, procID: String = "web.2") -> DrainParseResult {
        parse(Fixtures.body(Fixtures.runtimeLine(message, procID: procID)))
    }

    static func fields(_ result: DrainParseResult) -> [String: Double]? {
        guard result.measurements.count == 1 else { return nil }
        return Dictionary(uniqueKeysWithValues: result.measurements[0].fields.map { ($0.name, $0.value) })
    }

    // MARK: - Load lines

    @Test("turns the example load line into one dyno load measurement")
    func loadExample() throws {
        let result = Self.parse(Fixtures.body(Fixtures.loadLine))
        let measurement = try #require(result.measurements.first)
        #expect(
            measurement
                == Measurement(
                    type: .dynoLoad,
                    owner: Self.owner,
                    processType: "web",
                    metric: "load_avg",
                    time: EventTime(microsecondsSinceEpoch: 1_709_647_330_551_902),
                    receivedAt: Self.receivedAt,
                    fields: [
                        MeasurementField(name: "load_avg_1m", value: 0.42),
                        MeasurementField(name: "load_avg_5m", value: 0.31),
                        MeasurementField(name: "load_avg_15m", value: 0.27),
                    ],
                    origin: DrainOrigin(drainID: "d.drain", frameID: "4E0B9A3C7D1F28A6B5C4E3D2F1A09B87", lineIndex: 0)
                ))
        #expect(result.frameCount == 1)
        #expect(result.ignoredLines == 0 && result.rejectedLineCount == 0 && result.rejectedFrameCount == 0)
        #expect(result.rejectionSummary == "nothing rejected")
    }

    @Test("measures all three lines of the example batch, each with its own origin")
    func exampleBatch() {
        let result = Self.parse(Fixtures.exampleBody)
        #expect(
            result.measurements.map(\.type) == [
                .routerRequests, .dynoLoad, .customMetrics, .customMetrics, .customMetrics,
            ])
        #expect(result.measurements.map { $0.origin?.lineIndex } == [0, 1, 2, 2, 2])
        #expect(result.frameCount == 3 && result.measuredLineCount == 3)
        #expect(result.ignoredLines == 0 && result.accountedLineCount == 3)
    }

    @Test("numbers each frame by its position in the body, counting ignored and rejected frames")
    func lineIndexes() {
        let body = Fixtures.body(
            Fixtures.routerLine, "garbage", Fixtures.loadLine, Fixtures.memoryLine,
            Fixtures.runtimeLine("sample#load_avg_1m=0.5"))
        let result = Self.parse(body)
        #expect(result.measurements.map { $0.origin?.lineIndex } == [0, 2, 3, 4])
        #expect(result.frameCount == 5 && result.accountedLineCount == 5)
    }

    @Test("accepts a load line without the 15-minute average")
    func without15m() {
        let result = Self.parseLoad("source=web.2 sample#load_avg_1m=0.42 sample#load_avg_5m=0.31")
        #expect(Self.fields(result) == ["load_avg_1m": 0.42, "load_avg_5m": 0.31])
    }

    @Test("accepts a load line with only the 1-minute average, in any key order")
    func onlyOneMinute() {
        #expect(Self.fields(Self.parseLoad("sample#load_avg_1m=1.5")) == ["load_avg_1m": 1.5])
        let reordered = Self.parseLoad("sample#load_avg_15m=3 note=x sample#load_avg_1m=1 source=web.2")
        #expect(Self.fields(reordered) == ["load_avg_1m": 1, "load_avg_15m": 3])
    }

    @Test(
        "takes the process type from source, else from PROCID",
        arguments: [
            ("source=web.2 sample#load_avg_1m=1", "web.2", "web"),
            ("sample#load_avg_1m=1", "worker.3", "worker"),
            ("source=run.2660 sample#load_avg_1m=1", "run.2660", "run"),
            ("source=clock sample#load_avg_1m=1", "clock.1", "clock"),
            ("source=my_proc-2.1 sample#load_avg_1m=1", "web.1", "my_proc-2"),
        ])
    func processType(_ message: String, procID: String, expected: String) {
        #expect(Self.parseLoad(message, procID: procID).measurements.map(\.processType) == [expected])
    }

    @Test("reads the time with its offset converted to UTC")
    func offsetTime() {
        let line = Fixtures.runtimeLine("sample#load_avg_1m=1", timestamp: "2024-03-05T07:02:10.551902-07:00")
        let result = Self.parse(Fixtures.body(line))
        #expect(result.measurements.map(\.time) == [EventTime(microsecondsSinceEpoch: 1_709_647_330_551_902)])
    }

    @Test(
        "rejects the whole line for one bad value",
        arguments: [
            ("sample#load_avg_1m=-0.42", LineRejectionReason.badNumber),
            ("sample#load_avg_1m=0.42 sample#load_avg_5m=1e3", .badNumber),
            ("sample#load_avg_1m=NaN", .badNumber),
            ("sample#load_avg_1m=0.42 sample#load_avg_15m=inf", .badNumber),
            ("sample#load_avg_1m=+1", .badNumber),
            ("sample#load_avg_1m=", .badNumber),
            ("sample#load_avg_1m=1000000000000000", .badNumber),
            ("sample#load_avg_1m=100000.01", .badNumber),
            ("sample#load_avg_1m=0.42MB", .unknownUnit),
            ("sample#load_avg_1m=0.42 sample#load_avg_5m=3pages", .unknownUnit),
            ("sample#load_avg_1m", .missingField),
            ("sample#load_avg_1m=0.42 sample#load_avg_1m=0.43", .duplicateField),
            ("source=web.1 source=web.2 sample#load_avg_1m=0.42", .duplicateField),
            ("source=.2 sample#load_avg_1m=0.42", .invalidSource),
            ("source= sample#load_avg_1m=0.42", .invalidSource),
            ("source sample#load_avg_1m=0.42", .invalidSource),
            ("source=we\u{1F}b.2 sample#load_avg_1m=0.42", .invalidSource),
        ])
    func rejectsLine(_ message: String, reason: LineRejectionReason) {
        let result = Self.parseLoad(message)
        #expect(result.measurements.isEmpty)
        #expect(result.lineRejections == [reason: 1])
        #expect(result.frameCount == 1)
    }

    @Test("rejects a load line with invalid UTF-8 but accepts valid non-ASCII text")
    func utf8() {
        let prefix = Array((Fixtures.runtimeLine("sample#load_avg_1m=0.42 note=")).utf8)
        let invalid = prefix + [0xFF, 0x0A]
        let valid = prefix + Array("caf\u{e9}\n".utf8)
        let invalidResult = Self.parse(Array("\(invalid.count) ".utf8) + invalid)
        #expect(invalidResult.measurements.isEmpty)
        #expect(invalidResult.lineRejections == [.invalidUTF8: 1])
        #expect(Self.parse(Array("\(valid.count) ".utf8) + valid).measurements.count == 1)
    }

    @Test("rejects lines with bad headers or timestamps and keeps the rest of the request")
    func badLinesKeepTheRest() {
        let body = Fixtures.body(
            "<45>1 2024-02-30T14:02:10Z host heroku web.2 - sample#load_avg_1m=0.42", "not syslog at all",
            Fixtures.loadLine)
        let result = Self.parse(body)
        #expect(result.measurements.count == 1)
        #expect(result.lineRejections == [.badTimestamp: 1, .badSyslogHeader: 1])
        #expect(result.rejectionSummary == "2 lines rejected: 1 bad syslog header, 1 bad timestamp")
    }

    // MARK: - Ignored lines and framing

    @Test("counts every kind it does not measure as ignored, and measures the others")
    func ignoredKinds() {
        let header = "<45>1 2024-03-05T14:02:10Z host"
        let body = Fixtures.body(
            Fixtures.routerLine, Fixtures.memoryLine, "\(header) heroku web.1 - Error R14 (Memory quota exceeded)",
            "\(header) heroku logplex - Error L10 (output buffer overflow): 7 messages dropped since 2024.",
            "\(header) app log-shuttle - Error L12: 222 messages dropped since 2024.",
            Fixtures.customMetricsLine, "\(header) app web.1 - hello", "\(header) app heroku-postgres - sample#x=1",
            "\(header) heroku web.1 - Process running mem=540M(105.5%)", "\(header) app api - Build succeeded")
        let result = Self.parse(body)
        #expect(
            result.measurements.map(\.type) == [
                .routerRequests, .dynoMemory, .dynoErrors, .platformEvents, .customMetrics, .customMetrics,
                .customMetrics,
            ])
        #expect(
            result.ignoredLinesByKind == [.logplexError: 1, .logShuttleError: 1, .appOutput: 1, .addOn: 1, .other: 2])
        #expect(result.ignoredLines == 6 && result.measuredLineCount == 4 && result.accountedLineCount == 10)
        #expect(!result.isUnframeable)
    }

    @Test("does not inspect the bytes of ignored lines")
    func ignoredLinesAreNotValidated() {
        let line = Array("<190>1 2024-03-05T14:02:11Z host app web.1 - ".utf8) + [0xFF, 0xFE, 0x0A]
        let result = Self.parse(Array("\(line.count) ".utf8) + line)
        #expect(result.ignoredLinesByKind == [.appOutput: 1])
        #expect(result.rejectedLineCount == 0)
    }

    @Test("summarises framing rejections for a 400 answer")
    func framingSummary() {
        let body = Array(("abc\n" + Fixtures.frame(Fixtures.loadLine) + "900 <45>1 cut short\n").utf8)
        let result = Self.parse(body)
        #expect(result.measurements.count == 1)
        #expect(result.frameRejections == [.badLengthPrefix: 1, .truncatedFrame: 1])
        #expect(result.rejectionSummary == "2 frames rejected: 1 truncated frame, 1 bad length prefix")
        #expect(!result.isUnframeable)
    }

    @Test("calls a body with nothing framable unframeable, and an empty body not")
    func unframeable() {
        let garbage = Self.parse(Array("hello\nworld\n".utf8))
        #expect(garbage.isUnframeable)
        #expect(garbage.rejectionSummary == "1 frame rejected: 1 bad length prefix")
        let empty = Self.parse([])
        #expect(!empty.isUnframeable)
        #expect(empty.frameCount == 0 && empty.measurements.isEmpty)
    }

    @Test("summarises plurals and both rejection kinds together")
    func mixedSummary() {
        let result = DrainParseResult(
            frameRejections: [.zeroLength: 2, .missingSpace: 1],
            lineRejections: [.invalidUTF8: 1, .badNumber: 2, .unknownUnit: 1])
        #expect(
            result.rejectionSummary
                == "3 frames rejected: 2 zero lengths, 1 missing space; "
                + "4 lines rejected: 1 line with invalid UTF-8, 2 bad numbers, 1 unknown unit")
    }
}

@Suite("DrainParser with LogplexFrameWriter")
struct DrainParserRoundTripTests {
    @Test("reads back every load sample the frame writer produces, with its time and values")
    func roundTrip() {
        var generator = SplitMix64(seed: 0x10AD)
        var writer = LogplexFrameWriter()
        var expected: [(EventTime, String, [Double])] = []
        for index in 0..<500 {
            let time = EventTime(microsecondsSinceEpoch: Int64.random(in: 0...4_102_444_800_000_000, using: &generator))
            let dyno = ["web", "worker", "clock"][index % 3] + ".\(index % 7 + 1)"
            let values = (0..<3).map { _ in Double(Int.random(in: 0...99_999, using: &generator)) / 100 }
            writer.appendLoadSample(
                time: time, processID: dyno, oneMinute: values[0], fiveMinutes: values[1], fifteenMinutes: values[2])
            writer.append(time: time, appName: "app", processID: dyno, message: "ordinary output \(index)")
            expected.append((time, String(dyno.prefix { $0 != "." }), values))
        }
        let result = DrainParser().parse(
            body: writer.body, owner: "owner", drainID: "drain", frameID: "",
            receivedAt: EventTime(secondsSinceEpoch: 0))
        #expect(result.frameCount == writer.frameCount)
        #expect(result.ignoredLinesByKind == [.appOutput: 500] && result.measuredLineCount == 500)
        #expect(result.rejectedLineCount == 0 && result.rejectedFrameCount == 0)
        #expect(result.measurements.map(\.time) == expected.map(\.0))
        #expect(result.measurements.map(\.processType) == expected.map(\.1))
        #expect(result.measurements.map { $0.fields.map(\.value) } == expected.map(\.2))
        #expect(result.measurements.map { $0.origin?.lineIndex } == (0..<500).map { UInt32($0 * 2) })
    }
}

@Suite("DrainParser with DrainTrafficGenerator")
struct DrainParserTrafficTests {
    @Test("measures every generated line the way its kind says, rejecting none")
    func generatedTraffic() {
        var traffic = DrainTrafficGenerator(seed: 0x7EA)
        var writer = LogplexFrameWriter()
        var samples: [DrainTrafficGenerator.Sample: Int] = [:]
        for second in 0..<3_000 {
            let time = EventTime(secondsSinceEpoch: 1_709_647_000 + Int64(second))
            samples[traffic.appendLine(to: &writer, time: time), default: 0] += 1
        }
        let result = DrainParser().parse(
            body: writer.body, owner: "owner", drainID: "drain", frameID: "",
            receivedAt: EventTime(secondsSinceEpoch: 0))
        #expect(Set(samples.keys) == Set(DrainTrafficGenerator.Sample.allCases))
        #expect(result.rejectedLineCount == 0 && result.rejectedFrameCount == 0)
        #expect(result.frameCount == 3_000 && result.accountedLineCount == 3_000)
        var byType: [MeasurementType: Int] = [:]
        for measurement in result.measurements { byType[measurement.type, default: 0] += 1 }
        let routerLines = samples[.routerRequest, default: 0] + samples[.routerError, default: 0]
        #expect(byType[.routerRequests] == routerLines)
        #expect(byType[.dynoErrors] == samples[.routerError, default: 0] + samples[.runtimeError, default: 0])
        #expect(byType[.dynoLoad] == samples[.runtimeLoad])
        #expect(byType[.dynoMemory] == samples[.runtimeMemory])
        #expect(byType[.platformEvents] == samples[.platformEvent, default: 0] + samples[.runtimeError, default: 0])
        #expect(result.ignoredLinesByKind[.appOutput] == samples[.appOutput])
        #expect(result.ignoredLines == samples[.appOutput, default: 0] + samples[.ignoredNotice, default: 0])
        #expect(result.measuredLineCount == 3_000 - result.ignoredLines)
        #expect(result.measurements.filter { $0.type == .routerRequests }.allSatisfy { $0.processType == "web" })
    }
}
