import DrainpipeCore
import Testing

/// Platform event lines (docs/events.md): every shape read into a `PLATFORM_EVENTS` measurement, every malformed
/// variant rejected whole and counted by reason.
@Suite("DrainParser on platform event lines")
struct DrainParserEventTests {
    static let header = "<45>1 2024-03-05T14:02:10.551902+00:00 host"
    static let time = EventTime(microsecondsSinceEpoch: 1_709_647_330_551_902)

    static func line(_ appName: String, _ procID: String, _ message: String) -> String {
        "\(header) \(appName) \(procID) - \(message)"
    }

    @Test(
        "reads app-wide events of app api and heroku api lines, dropping the actor",
        arguments: [
            ("app", "Deploy 4f2a1c7 by ops@example.com", PlatformEventKind.deploy, "4f2a1c7"),
            ("heroku", "Deploy 4f2a1c7d9e0b3a5c by ops@example.com", .deploy, "4f2a1c7d9e0b3a5c"),
            ("app", "Release v42 created by ops@example.com", .release, "v42"),
            ("heroku", "Release v7 created by ops@example.com", .release, "v7"),
            ("app", "Rollback to v41 by ops@example.com", .release, "v41 (rollback)"),
            ("app", "Scale to web=3, worker=1 by ops@example.com", .scale, "web=3, worker=1"),
            ("app", "Scale to web=2:Standard-1X by ops@example.com", .scale, "web=2:Standard-1X"),
            ("app", "Scale to web=0 by ops@example.com", .scale, "web=0"),
            ("app", "Set FOO, BAR_2 config vars by ops@example.com", .config, "set FOO, BAR_2"),
            ("app", "Set SECRET_KEY config var by ops@example.com", .config, "set SECRET_KEY"),
            ("app", "Remove FOO config vars by ops@example.com", .config, "remove FOO"),
            (
                "app", "Attach DATABASE (@ref:postgresql-curved-12345) by ops@example.com", .addon,
                "attach DATABASE (@ref:postgresql-curved-12345)"
            ),
            ("app", "Detach REDIS by ops@example.com", .addon, "detach REDIS"),
        ])
    func appWideEvents(appName: String, message: String, kind: PlatformEventKind, text: String) {
        let result = DrainParserTests.parse(lines: Self.line(appName, "api", message))
        #expect(result.lineRejections.isEmpty)
        #expect(result.measuredLineCount == 1)
        #expect(
            result.measurements == [
                Self.expected(processType: "api", detail: PlatformEventDetail(kind: kind, dyno: "", text: text))
            ])
    }

    @Test(
        "reads dyno events of heroku <dyno> lines with the dyno and its process type",
        arguments: [
            ("web.1", "State changed from starting to up", PlatformEventKind.state, "starting -> up"),
            ("worker.2", "State changed from up to crashed", .state, "up -> crashed"),
            ("web.3", "State changed from up to idle", .state, "up -> idle"),
            ("web.1", "- State changed from up to down", .state, "up -> down"),
            (
                "web.1", "Starting process with command `bundle exec puma -C config/puma.rb`", .start,
                "bundle exec puma -C config/puma.rb"
            ),
            ("run.8411", "Starting process with command bin/rails console", .start, "bin/rails console"),
            ("web.1", "Stopping all processes with SIGTERM", .stop, "SIGTERM"),
            ("worker.1", "Stopping process with SIGKILL", .stop, "SIGKILL"),
            ("web.1", "Process exited with status 143", .exit, "status 143"),
            ("worker.1", "Process exited with status 0", .exit, "status 0"),
            ("worker.3", "Restarting", .restart, ""),
            ("clock.1", "Cycling", .cycle, ""),
        ])
    func dynoEvents(dyno: String, message: String, kind: PlatformEventKind, text: String) {
        let result = DrainParserTests.parse(lines: Self.line("heroku", dyno, message))
        #expect(result.lineRejections.isEmpty)
        let processType = String(dyno.prefix { $0 != "." })
        #expect(
            result.measurements == [
                Self.expected(processType: processType, detail: PlatformEventDetail(kind: kind, dyno: dyno, text: text))
            ])
    }

    @Test(
        "an R-code stays a DYNO_ERRORS count and is also an error marker without its detail",
        arguments: [
            ("Error R14 (Memory quota exceeded)", "worker.1", "R14", "R14 (Memory quota exceeded)"),
            (
                "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch",
                "web.1", "R10", "R10 (Boot timeout)"
            ),
            ("Error R99", "run.8411", "R99", "R99"),
        ])
    func errorMarkers(message: String, dyno: String, code: String, text: String) {
        let result = DrainParserTests.parse(lines: Self.line("heroku", dyno, message))
        let processType = String(dyno.prefix { $0 != "." })
        #expect(result.measuredLineCount == 1)
        #expect(
            result.measurements == [
                DrainParserTests.expected(
                    .dynoErrors, processType: processType, metric: "errors", time: Self.time.microsecondsSinceEpoch,
                    fields: [], events: [code]),
                Self.expected(
                    processType: processType, detail: PlatformEventDetail(kind: .error, dyno: dyno, text: text)),
            ])
    }

    @Test(
        "rejects a line that starts like an event but is out of shape, counting it by reason and keeping nothing",
        arguments: [
            ("app", "api", "Deploy 4f2a1c7", LineRejectionReason.malformedEvent),
            ("app", "api", "Deploy by ops@example.com", .malformedEvent),
            ("app", "api", "Deploy 4f2a1c7 to production by ops@example.com", .malformedEvent),
            ("app", "api", "Deploy 4F2A1C7 by ops@example.com", .badToken),
            ("app", "api", "Deploy 4f2a by ops@example.com", .badToken),
            ("app", "api", "Release 42 created by ops@example.com", .badToken),
            ("app", "api", "Release v42x created by ops@example.com", .badToken),
            ("app", "api", "Release v42 by ops@example.com", .malformedEvent),
            ("app", "api", "Release v42 created by", .malformedEvent),
            ("app", "api", "Release v42 created by ops@example.com now", .malformedEvent),
            ("app", "api", "Rollback v41 by ops@example.com", .malformedEvent),
            ("app", "api", "Scale to web=three by ops@example.com", .badNumber),
            ("app", "api", "Scale to web=123456 by ops@example.com", .badNumber),
            ("app", "api", "Scale to web=3,worker=1 by ops@example.com", .badNumber),
            ("app", "api", "Scale to web=3, , worker=1 by ops@example.com", .malformedEvent),
            ("app", "api", "Scale to =3 by ops@example.com", .malformedEvent),
            ("app", "api", "Scale to web=3:Standard 1X by ops@example.com", .badToken),
            ("app", "api", "Scale to web=3: by ops@example.com", .badToken),
            ("app", "api", "Scale web=3 by ops@example.com", .malformedEvent),
            ("app", "api", "Scale to by ops@example.com", .malformedEvent),
            ("app", "api", "Set config vars by ops@example.com", .malformedEvent),
            ("app", "api", "Set FOO-BAR config vars by ops@example.com", .badToken),
            ("app", "api", "Set FOO,BAR config vars by ops@example.com", .badToken),
            ("app", "api", "Set FOO config by ops@example.com", .malformedEvent),
            ("app", "api", "Remove FOO settings by ops@example.com", .malformedEvent),
            ("app", "api", "Attach (@ref:x) by ops@example.com", .badToken),
            ("app", "api", "Attach DATABASE @ref by ops@example.com", .malformedEvent),
            ("app", "api", "Detach by ops@example.com", .malformedEvent),
            ("heroku", "web.1", "State changed from starting", .malformedEvent),
            ("heroku", "web.1", "State changed to up", .malformedEvent),
            ("heroku", "web.1", "State changed from Starting to Up", .badToken),
            ("heroku", "web.1", "State changed from starting to up!", .badToken),
            ("heroku", "web.1", "Starting process with command", .malformedEvent),
            ("heroku", "web.1", "Starting process with command ``", .malformedEvent),
            ("heroku", "web.1", "Starting process by hand", .malformedEvent),
            ("heroku", "web.1", "Stopping all processes with TERM", .badToken),
            ("heroku", "web.1", "Stopping all processes with SIGterm", .badToken),
            ("heroku", "web.1", "Stopping all processes", .malformedEvent),
            ("heroku", "web.1", "Process exited with status abc", .badNumber),
            ("heroku", "web.1", "Process exited with status 256", .badNumber),
            ("heroku", "web.1", "Process exited with status -1", .badNumber),
            ("heroku", "web.1", "Process exited with status", .malformedEvent),
            ("heroku", "web.1", "Process exited", .malformedEvent),
            ("heroku", "web.1", "Restarting now", .malformedEvent),
            ("heroku", "web.1", "Cycling dynos", .malformedEvent),
            ("heroku", "web.1", "Restarting\tnow", .badToken),
        ])
    func malformed(appName: String, procID: String, message: String, reason: LineRejectionReason) {
        let result = DrainParserTests.parse(lines: Self.line(appName, procID, message))
        #expect(result.measurements.isEmpty)
        #expect(result.lineRejections == [reason: 1])
        #expect(result.accountedLineCount == 1)
    }

    @Test(
        "leaves lines that are not events to the other kinds",
        arguments: [
            ("heroku", "api", "Build started by ops@example.com", DrainLineKind.other),
            ("app", "api", "Starting process with command `rake db:migrate`", .other),
            ("heroku", "web.1", "Process running mem=540M(105.5%)", .other),
            ("app", "web.1", "Restarting", .appOutput),
            ("app", "web.1", "State changed from starting to up", .appOutput),
        ])
    func notEvents(appName: String, procID: String, message: String, kind: DrainLineKind) {
        let result = DrainParserTests.parse(lines: Self.line(appName, procID, message))
        #expect(result.measurements.isEmpty)
        #expect(result.ignoredLinesByKind == [kind: 1])
    }

    @Test("cuts a long text to 120 bytes on a character boundary")
    func longText() throws {
        let command = String(repeating: "é", count: 100)
        let result = DrainParserTests.parse(
            lines: Self.line("heroku", "web.1", "Starting process with command `\(command)`"))
        let event = try #require(result.measurements.first?.platformEvent)
        #expect(event.text == String(repeating: "é", count: 60))
    }

    @Test("a line with invalid UTF-8 is rejected before it is read as an event")
    func invalidUTF8() {
        var body = Array(Self.line("heroku", "web.1", "Starting process with command `x").utf8)
        body += [0xFF, 0x60, 0x0A]
        let framed = Array("\(body.count) ".utf8) + body
        let result = DrainParserTests.parse(framed)
        #expect(result.measurements.isEmpty)
        #expect(result.lineRejections == [.invalidUTF8: 1])
    }

    static func expected(processType: String, detail: PlatformEventDetail) -> Measurement {
        var measurement = DrainParserTests.expected(
            .platformEvents, processType: processType, metric: "events", time: time.microsecondsSinceEpoch,
            fields: [], events: [detail.kind.rawValue])
        measurement.platformEvent = detail
        return measurement
    }
}
