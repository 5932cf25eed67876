import DrainpipeCore
import Testing

@Suite("DrainParser on runtime memory and dyno error lines")
struct DrainParserRuntimeTests {
    typealias Fixtures = DrainFixtures

    static func memory(_ message: String, procID: String = "web.2") -> DrainParseResult {
        DrainParserTests.parse(lines: Fixtures.runtimeLine(message, procID: procID))
    }

    // MARK: - Memory

    @Test("turns the example memory line into one memory measurement with every field, units stripped")
    func memoryExample() {
        let result = DrainParserTests.parse(lines: Fixtures.memoryLine)
        #expect(
            result.measurements == [
                DrainParserTests.expected(
                    .dynoMemory, processType: "web", metric: "memory", time: 1_709_647_330_552_377,
                    fields: [
                        MeasurementField(name: "memory_total", value: 301.57),
                        MeasurementField(name: "memory_rss", value: 287.12),
                        MeasurementField(name: "memory_cache", value: 12.40),
                        MeasurementField(name: "memory_swap", value: 2.05),
                        MeasurementField(name: "memory_pgpgin", value: 184022),
                        MeasurementField(name: "memory_pgpgout", value: 110935),
                        MeasurementField(name: "memory_quota", value: 512),
                    ])
            ])
    }

    @Test(
        "reads memory lines with fields missing, bare numbers, unknown memory keys and any key order",
        arguments: [
            (
                "source=web.2 sample#memory_total=301.57MB sample#memory_rss=287.12MB",
                ["memory_total": 301.57, "memory_rss": 287.12], "web"
            ),
            ("sample#memory_rss=2MB sample#memory_total=3", ["memory_total": 3, "memory_rss": 2], "worker"),
            ("sample#memory_total=3MB sample#memory_foo=9GB", ["memory_total": 3], "worker"),
            (
                "source=run.2660 sample#memory_total=0.00MB sample#memory_quota=1048576MB",
                ["memory_total": 0, "memory_quota": 1_048_576], "run"
            ),
        ])
    func memoryVariants(_ message: String, fields: [String: Double], processType: String) {
        let result = Self.memory(message, procID: "worker.4")
        #expect(result.measurements.map(\.processType) == [processType])
        let readings = result.measurements.map {
            Dictionary(uniqueKeysWithValues: $0.fields.map { ($0.name, $0.value) })
        }
        #expect(readings == [fields])
    }

    @Test(
        "rejects the whole memory line for one bad value",
        arguments: [
            ("sample#memory_total=301.57pages", LineRejectionReason.unknownUnit),
            ("sample#memory_total=301MB sample#memory_rss=3GB", .unknownUnit),
            ("sample#memory_total=301MB sample#memory_pgpgin=12MB", .unknownUnit),
            ("sample#memory_total=1048577MB", .badNumber),
            ("sample#memory_total=301MB sample#memory_pgpgin=-1pages", .badNumber),
            ("sample#memory_total=1e3MB", .badNumber),
            ("sample#memory_total=NaN", .badNumber),
            ("sample#memory_total", .missingField),
            ("sample#memory_total=1MB sample#memory_total=2MB", .duplicateField),
            ("source=$web.1 sample#memory_total=1MB", .invalidSource),
        ])
    func memoryRejections(_ message: String, reason: LineRejectionReason) {
        let result = Self.memory(message)
        #expect(result.measurements.isEmpty)
        #expect(result.lineRejections == [reason: 1])
    }

    // MARK: - Dyno manager errors

    @Test(
        "turns dyno manager error lines into error measurements of the dyno's process type",
        arguments: [
            ("Error R14 (Memory quota exceeded)", "worker.1", "R14", "worker"),
            ("Error R15 (Memory quota vastly exceeded)", "web.12", "R15", "web"),
            (
                "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch", "web.1",
                "R10", "web"
            ),
            ("Error R99", "run.8411", "R99", "run"),
        ])
    func runtimeErrors(_ message: String, procID: String, code: String, processType: String) {
        let result = DrainParserTests.parse(lines: Fixtures.runtimeLine(message, procID: procID))
        #expect(
            result.measurements.filter { $0.type != .platformEvents } == [
                DrainParserTests.expected(
                    .dynoErrors, processType: processType, metric: "errors", time: 1_709_647_330_551_902,
                    fields: [], events: [code])
            ])
    }

    @Test(
        "rejects dyno manager lines whose code is not R or H and two digits",
        arguments: ["Error R1 (x)", "Error R144 (x)", "Error Rx4 (x)", "Error Restarting", "Error R1"])
    func badRuntimeCodes(_ message: String) {
        let result = DrainParserTests.parse(lines: Fixtures.runtimeLine(message))
        #expect(result.measurements.isEmpty)
        #expect(result.lineRejections == [.badToken: 1])
    }

    @Test("ignores L-codes and add-on lines, counting them by kind")
    func ignoredNotices() {
        let header = "<172>1 2024-03-05T14:02:13+00:00 host"
        let result = DrainParserTests.parse(
            lines:
                "\(header) heroku logplex - Error L10 (output buffer "
                + "overflow): 7 messages dropped since 2024-03-05T14:00:00+00:00.",
            "\(header) app log-shuttle - Error L12: 222 messages dropped since 2024-03-05T14:00:00+00:00.",
            "\(header) app heroku-postgres - source=DATABASE sample#load-avg-1m=0.015 sample#db_size=18102335bytes",
            "\(header) app heroku-redis - source=REDIS sample#memory_total=301MB")
        #expect(result.measurements.isEmpty)
        #expect(result.ignoredLinesByKind == [.logplexError: 1, .logShuttleError: 1, .addOn: 2])
        #expect(result.accountedLineCount == 4)
    }
}
