import DrainpipeCore
import Testing

/// A seeded random-mutation fuzz test of the Graphite parser, bounded in time (2 s) so CI runs it in a few seconds.
@Suite("GraphiteLineParser under seeded random mutation")
struct GraphiteParserMutationTests {
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)
    static let seedLines = [
        "prod.us-east.checkout.app.ip-10-0-3-17.http.requests.count 1834 1709647380",
        "prod.us-east.checkout.sys.ip-10-0-3-17.cpu.load_1m 0.42 1709647400",
        "a.b -3.5e2 1709647440", "x 7 -1", "host:9100.disk_free 1e15 1709647300",
    ]

    static func mutate(_ body: inout [UInt8], using generator: inout SplitMix64) {
        let alphabet = Array("0123456789 .\t\r\n-+eE:;=/NaninfabcZ_".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        func position() -> Int { body.isEmpty ? 0 : Int.random(in: 0..<body.count, using: &generator) }
        switch Int.random(in: 0..<5, using: &generator) {
        case 0 where !body.isEmpty:
            body[position()] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
        case 1 where !body.isEmpty:
            body[position()] = alphabet.randomElement(using: &generator) ?? 0
        case 2:
            let bytes = (0..<Int.random(in: 1...12, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator) ?? 0
            }
            body.insert(contentsOf: bytes, at: Int.random(in: 0...body.count, using: &generator))
        case 3 where !body.isEmpty:
            let start = position()
            body.removeSubrange(start..<min(body.count, start + Int.random(in: 1...20, using: &generator)))
        default:
            let start = position()
            let slice = body[start..<min(body.count, start + Int.random(in: 1...200, using: &generator))]
            body.insert(contentsOf: slice, at: Int.random(in: 0...body.count, using: &generator))
        }
    }

    @Test("never traps, and every non-blank line is either a clean datapoint or counted once", .timeLimit(.minutes(1)))
    func mutatedBodies() async {
        var generator = SplitMix64(seed: 0x6_2A9_8173_2003)
        let parser = GraphiteLineParser(pastWindow: .seconds(300), futureWindow: .seconds(300))
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(2)
        var iterations = 0
        var points = 0
        while iterations < 200 || (clock.now < deadline && iterations < 200_000) {
            var body = Array(Self.seedLines.joined(separator: "\n").utf8)
            for _ in 0..<Int.random(in: 1...8, using: &generator) { Self.mutate(&body, using: &generator) }
            let result = parser.parseLines(body, receivedAt: Self.now)
            let nonBlankLines = body.split(separator: 0x0A, omittingEmptySubsequences: false).filter { line in
                line.contains { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }
            }.count
            #expect(result.points.count + result.rejectedLineCount == nonBlankLines, "iteration \(iterations)")
            for point in result.points {
                #expect(point.value.isFinite && point.value.magnitude <= 1e18)
                #expect(point.time >= Self.now - .seconds(300) && point.time <= Self.now + .seconds(300))
                #expect(
                    !point.path.isEmpty
                        && point.path.utf8.allSatisfy { $0 < 0x80 && $0 > 0x20 && $0 != UInt8(ascii: ";") })
                #expect(!point.path.hasPrefix(".") && !point.path.hasSuffix(".") && !point.path.contains(".."))
            }
            points += result.points.count
            iterations += 1
            // Share the cooperative pool with the suite's timing-sensitive tests instead of holding a thread.
            if iterations % 50 == 0 { await Task.yield() }
        }
        // Enough lines survive mutation for the accepting path to be exercised too.
        #expect(points > iterations)
    }
}
