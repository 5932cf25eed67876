import DrainpipeCore
import DrainpipeTestSupport
import Logging
import Synchronization
import Testing

@testable import Drainpipe

@Suite("LogfmtLogHandler")
struct LogfmtLogHandlerTests {
    /// Collects what the handler writes.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    static func logger(_ lines: Lines, level: Logger.Level = .info) -> Logger {
        var handler = LogfmtLogHandler(
            clock: ManualWallClock(EventTime(microsecondsSinceEpoch: 1_764_950_400_123_456)),
            write: { lines.append($0) })
        handler.logLevel = level
        return Logger(label: "test", factory: { _ in handler })
    }

    @Test("ts, level and msg come first, then metadata sorted by key, one line per event")
    func fieldOrder() {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger[metadataKey: "dyno"] = "web.1"
        logger.info("starting", metadata: ["partition": "7", "owner": "shop"])
        #expect(
            lines.all == [
                "ts=2025-12-05T16:00:00.123456+00:00 level=info msg=starting dyno=web.1 owner=shop partition=7\n"
            ])
    }

    @Test("values with spaces, quotes, equals signs, backslashes or newlines are quoted and escaped")
    func quoting() {
        #expect(LogfmtLogHandler.quoted("plain") == "plain")
        #expect(LogfmtLogHandler.quoted("") == "\"\"")
        #expect(LogfmtLogHandler.quoted("two words") == "\"two words\"")
        #expect(LogfmtLogHandler.quoted("a=b") == "\"a=b\"")
        #expect(LogfmtLogHandler.quoted("say \"hi\"") == "\"say \\\"hi\\\"\"")
        #expect(LogfmtLogHandler.quoted("C:\\path") == "\"C:\\\\path\"")
        #expect(LogfmtLogHandler.quoted("line\nbreak") == "\"line\\nbreak\"")
        #expect(LogfmtLogHandler.quoted("bell\u{7}") == "\"bell\\u{7}\"")
        #expect(LogfmtLogHandler.quoted("ünïcode") == "ünïcode")
    }

    @Test("the event's metadata wins over the logger's, reserved keys are not repeated, odd keys are cleaned")
    func metadataMerging() {
        let lines = Lines()
        var logger = Self.logger(lines)
        logger[metadataKey: "owner"] = "old"
        logger.warning(
            "broker down", metadata: ["owner": "new", "msg": "ignored", "bad key=": "x", "list": ["a", "b"]])
        let line = lines.all.first ?? ""
        #expect(line.hasPrefix("ts=2025-12-05T16:00:00.123456+00:00 level=warning msg=\"broker down\" "))
        #expect(line.contains(" owner=new"))
        #expect(!line.contains("old") && !line.contains("ignored"))
        #expect(line.contains(" bad_key_=x"))
        #expect(line.contains(" list=a,b"))
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test("events below the level are not written")
    func levelFilter() {
        let lines = Lines()
        let logger = Self.logger(lines, level: .warning)
        logger.info("quiet")
        logger.error("loud")
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.contains("msg=loud") == true)
    }
}
