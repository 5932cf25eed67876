import Testing

@testable import DrainpipeKafka

@Suite("RecentLogLines")
struct RecentLogLinesTests {
    @Test("an error repeating a logged line is recognised once, also behind a thread prefix")
    func repeatRecognisedOnce() {
        let recent = RecentLogLines()
        recent.remember("[thrd:127.0.0.1:9092/1]: 127.0.0.1:9092/1: Disconnected (after 5ms in state UP)")
        #expect(recent.takeRepeat(of: "127.0.0.1:9092/1: Disconnected (after 5ms in state UP)"))
        #expect(!recent.takeRepeat(of: "127.0.0.1:9092/1: Disconnected (after 5ms in state UP)"))
    }

    @Test("errors librdkafka did not log, and empty texts, are not repeats")
    func unrelatedErrorsStayVisible() {
        let recent = RecentLogLines()
        recent.remember("127.0.0.1:9092/1: Connect to ipv4#127.0.0.1:9092 failed: Connection refused")
        #expect(!recent.takeRepeat(of: "1/1 brokers are down"))
        #expect(!recent.takeRepeat(of: ""))
    }

    @Test("only the newest lines are kept")
    func capacityBound() {
        let recent = RecentLogLines(capacity: 2)
        for text in ["one", "two", "three"] { recent.remember(text) }
        #expect(!recent.takeRepeat(of: "one"))
        #expect(recent.takeRepeat(of: "two") && recent.takeRepeat(of: "three"))
    }
}
