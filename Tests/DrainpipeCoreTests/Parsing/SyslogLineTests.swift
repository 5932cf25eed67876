import DrainpipeCore
import Testing

@Suite("SyslogLine")
struct SyslogLineTests {
    typealias Fixtures = DrainFixtures

    static func parse(_ text: String) throws(LineRejectionReason) -> (SyslogLine, [UInt8]) {
        let bytes = Array(text.utf8)
        return (try SyslogLine(parsing: bytes, frame: bytes.indices), bytes)
    }

    @Test("reads every header field of the load example")
    func loadExample() throws {
        let (line, bytes) = try Self.parse(Fixtures.loadLine)
        #expect(line.priority == 45)
        #expect(line.timestamp == EventTime(microsecondsSinceEpoch: 1_709_647_330_551_902))
        #expect(Fixtures.text(bytes, line.hostname) == "host")
        #expect(Fixtures.text(bytes, line.appName) == "heroku")
        #expect(Fixtures.text(bytes, line.processID) == "web.2")
        #expect(Fixtures.text(bytes, line.messageID) == "-")
        #expect(Fixtures.text(bytes, line.message).hasPrefix("source=web.2 dyno=heroku.31415926."))
        #expect(Fixtures.text(bytes, line.message).hasSuffix("sample#load_avg_15m=0.27"))
    }

    @Test(
        "takes MSG after MSGID and drops one leading NILVALUE",
        arguments: [
            ("<190>1 2024-03-05T14:02:11Z host app web.1 - hello world", "hello world"),
            ("<190>1 2024-03-05T14:02:11Z host app web.1 - - hello world", "hello world"),
            ("<190>1 2024-03-05T14:02:11Z host app web.1 - - - hello", "- hello"),
            ("<190>1 2024-03-05T14:02:11Z host app web.1 - [meta x=1] hello", "[meta x=1] hello"),
            ("<190>1 2024-03-05T14:02:11Z host app web.1 - -hello", "-hello"),
            ("<190>1 2024-03-05T14:02:11Z host app web.1 - ", ""),
            ("<190>1 2024-03-05T14:02:11Z host app web.1 -", ""),
            ("<190>1 2024-03-05T14:02:11Z host app web.1 -  two spaces", " two spaces"),
            ("<0>1 2024-03-05T14:02:11Z h a p m msg", "msg"),
            ("<191>1 2024-03-05T14:02:11Z h a p m msg", "msg"),
        ])
    func message(_ text: String, expected: String) throws {
        let (line, bytes) = try Self.parse(text)
        #expect(Fixtures.text(bytes, line.message) == expected)
    }

    @Test(
        "rejects malformed headers",
        arguments: [
            "", "hello", "<45>", "<45>1", "45>1 2024-03-05T14:02:11Z h a p m x", "<>1 2024-03-05T14:02:11Z h a p m x",
            "<192>1 2024-03-05T14:02:11Z h a p m x", "<1000>1 2024-03-05T14:02:11Z h a p m x",
            "<4a>1 2024-03-05T14:02:11Z h a p m x", "<45>2 2024-03-05T14:02:11Z h a p m x",
            "<45>12 2024-03-05T14:02:11Z h a p m x", "<45> 2024-03-05T14:02:11Z h a p m x",
            "<45>1 2024-03-05T14:02:11Z h a p", "<45>1 2024-03-05T14:02:11Z h a p ",
            "<45>1 2024-03-05T14:02:11Z  a p m x",
            "<45>1 2024-03-05T14:02:11Z h a\tp m x", "<45>1 2024-03-05T14:02:11Z h h\u{e9}roku p m x",
            "<45>1 2024-03-05T14:02:11Z h a p\u{0}m x",
        ])
    func badHeader(_ text: String) {
        #expect(throws: LineRejectionReason.badSyslogHeader) { try Self.parse(text) }
    }

    @Test(
        "rejects an invalid timestamp",
        arguments: [
            "<45>1 - host heroku web.1 - x", "<45>1 2024-02-30T14:02:11Z host heroku web.1 - x",
            "<45>1 2024-03-05T14:02:11 host heroku web.1 - x",
        ])
    func badTimestamp(_ text: String) {
        #expect(throws: LineRejectionReason.badTimestamp) { try Self.parse(text) }
    }

    @Test("converts a non-UTC offset to UTC")
    func offset() throws {
        let (line, _) = try Self.parse("<45>1 2024-03-05T07:02:10.551902-07:00 host heroku web.2 - x")
        #expect(line.timestamp == EventTime(microsecondsSinceEpoch: 1_709_647_330_551_902))
    }

    @Test("keeps arbitrary bytes in MSG without judging them")
    func arbitraryMessageBytes() throws {
        let bytes = Array("<190>1 2024-03-05T14:02:11Z host app web.1 - ".utf8) + [0xFF, 0x00, 0xC3]
        let line = try SyslogLine(parsing: bytes, frame: bytes.indices)
        #expect(Array(bytes[line.message]) == [0xFF, 0x00, 0xC3])
    }
}
