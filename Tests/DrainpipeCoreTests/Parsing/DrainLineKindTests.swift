import DrainpipeCore
import Testing

@Suite("DrainLineKind")
struct DrainLineKindTests {
    typealias Fixtures = DrainFixtures

    static func kind(_ text: String) throws -> DrainLineKind {
        let bytes = Array(text.utf8)
        return DrainLineKind(classifying: try SyslogLine(parsing: bytes, frame: bytes.indices), in: bytes)
    }

    static let header = "<45>1 2024-03-05T14:02:10Z host"

    @Test(
        "classifies lines by APP-NAME, PROCID and MSG",
        arguments: [
            (Fixtures.routerLine, DrainLineKind.router),
            ("\(header) heroku router - at=error code=H12 desc=\"Request timeout\" dyno=web.1", .router),
            (Fixtures.loadLine, .runtimeLoad),
            (Fixtures.memoryLine, .runtimeMemory),
            ("\(header) heroku run.2660 - source=run.2660 sample#load_avg_1m=0.01", .runtimeLoad),
            ("\(header) heroku web.1 - sample#load_avg_5m=0.31", .other),
            ("\(header) heroku web.1 - Error R14 (Memory quota exceeded)", .runtimeError),
            ("\(header) heroku web.1 - Process running mem=540M(105.5%)", .other),
            ("\(header) heroku web.1 - State changed from starting to up", .dynoEvent),
            (
                "\(header) heroku logplex - Error L10 (output buffer overflow): 7 messages dropped since 2024.",
                .logplexError
            ),
            ("\(header) heroku logplex - something else", .other),
            ("\(header) heroku api - Release v42 created by user", .appEvent),
            ("\(header) heroku api - Build succeeded", .other),
            (Fixtures.customMetricsLine, .customMetrics),
            ("\(header) app web.1 - - measure#db.query=12.4ms source=checkout", .customMetrics),
            ("\(header) app web.1 - GET /#anchor count=3", .appOutput),
            ("\(header) app web.1 - recount#x=1 samples#y=2", .appOutput),
            ("\(header) app web.1 - plain output", .appOutput),
            ("\(header) app heroku-postgres - source=DATABASE sample#load-avg-1m=0.01 sample#db_size=1bytes", .addOn),
            ("\(header) app heroku-redis - sample#memory_total=1MB", .addOn),
            ("\(header) app log-shuttle - Error L12: 222 messages dropped since 2024.", .logShuttleError),
            ("\(header) app log-shuttle - started", .other),
            ("\(header) app web.1 - unique#user.active=u-4821", .customMetrics),
            ("\(header) app web.1 - Error R13 (Attach error)", .appOutput),
            ("\(header) app api - Deploy abc by user", .appEvent),
            ("\(header) t.abc web.1 - sample#load_avg_1m=0.4", .other),
        ])
    func classifies(_ text: String, expected: DrainLineKind) throws {
        #expect(try Self.kind(text) == expected)
    }
}
