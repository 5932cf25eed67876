import Drainpipe
import Testing

@Suite("DrainParser under seeded random mutation")
struct DrainParserMutationTests {
    typealias Fixtures = DrainFixtures

    static let seedBody: [UInt8] =
        Fixtures.body(
            Fixtures.routerLine, Fixtures.loadLine, Fixtures.memoryLine, Fixtures.customMetricsLine,
            Fixtures.runtimeLine("source=web.1 sample#load_avg_1m=1.25 sample#load_avg_5m=0.5"),
            "<172>1 2024-03-05T14:02:13+00:00 host heroku logplex - Error L10 (output buffer overflow): 7 messages dropped",
            "<190>1 2024-03-05T07:02:11.5-07:00 host app web.1 - - caf\u{e9} [ok] done")
        + Array("3 <1>".utf8)

    /// One random edit: flip, overwrite, insert, delete or duplicate bytes, or rewrite a length prefix.
    static func mutate(_ body: inout [UInt8], using generator: inout SplitMix64) {
        let alphabet = Array("0123456789 <>\n\r-=.#abcz".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        func position() -> Int { body.isEmpty ? 0 : Int.random(in: 0..<body.count, using: &generator) }
        switch Int.random(in: 0..<6, using: &generator) {
        case 0 where !body.isEmpty:
            body[position()] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
        case 1 where !body.isEmpty:
            body[position()] = alphabet.randomElement(using: &generator)!
        case 2:
            let bytes = (0..<Int.random(in: 1...8, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            body.insert(contentsOf: bytes, at: Int.random(in: 0...body.count, using: &generator))
        case 3 where !body.isEmpty:
            let start = position()
            body.removeSubrange(start..<min(body.count, start + Int.random(in: 1...40, using: &generator)))
        case 4 where !body.isEmpty:
            let start = position()
            let slice = body[start..<min(body.count, start + Int.random(in: 1...300, using: &generator))]
            body.insert(contentsOf: slice, at: Int.random(in: 0...body.count, using: &generator))
        default:
            let digits = Array(String(Int.random(in: 0...400, using: &generator)).utf8)
            let spaces = body.indices.filter { body[$0] == 0x20 }
            guard let space = spaces.randomElement(using: &generator) else { return }
            var start = space
            while start > 0, body[start - 1] >= 0x30, body[start - 1] <= 0x39 { start -= 1 }
            body.replaceSubrange(start..<space, with: digits)
        }
    }

    @Test("never traps, frames only byte-exact counted messages, and accounts for every frame")
    func mutatedBodies() throws {
        var generator = SplitMix64(seed: 0xD7A1_9E00_2024_0305)
        var totalMeasurements = 0
        for iteration in 0..<4000 {
            var body = Self.seedBody
            for _ in 0..<Int.random(in: 1...6, using: &generator) { Self.mutate(&body, using: &generator) }

            let framed = OctetFrameReader.read(body)
            try #require(Self.tilesBody(body), "iteration \(iteration)")

            let result = DrainParser().parse(
                body: body, owner: "owner", drainID: "drain", frameID: "frame",
                receivedAt: EventTime(secondsSinceEpoch: 0))
            #expect(result.frameCount == framed.frames.count)
            #expect(result.rejectedFrameCount == framed.rejections.count)
            let measuredLines = Set(result.measurements.compactMap { $0.origin?.lineIndex }).count
            #expect(
                measuredLines + result.ignoredLines + result.rejectedLineCount == result.frameCount,
                "iteration \(iteration)")
            for measurement in result.measurements {
                #expect(measurement.fields.first?.name == "load_avg_1m")
                #expect(measurement.fields.allSatisfy { $0.value.isFinite && $0.value >= 0 })
                #expect(!measurement.processType.isEmpty && !measurement.processType.contains("\u{1F}"))
            }
            totalMeasurements += result.measurements.count
        }
        // The mutations must leave enough intact lines for the test to exercise the measurement path too.
        #expect(totalMeasurements > 1000)
    }

    /// Whether the reader's steps tile the body exactly: each step starts where the previous one ended (after
    /// whitespace), a rejection covers the bytes it skipped, and a message is exactly the bytes its `LENGTH SP` prefix
    /// announces, minus one trailing LF and a CR before it.
    static func tilesBody(_ body: [UInt8]) -> Bool {
        let whitespace: Set<UInt8> = [0x20, 0x0A, 0x0D, 0x09]
        var cursor = 0
        for step in OctetFrameReader(body: body) {
            while cursor < body.count, whitespace.contains(body[cursor]) { cursor += 1 }
            switch step {
            case .rejected(let rejection):
                guard rejection.byteOffset == cursor, rejection.skippedByteCount > 0,
                    cursor + rejection.skippedByteCount <= body.count
                else { return false }
                cursor += rejection.skippedByteCount
            case .message(let range):
                let prefix = cursor..<(range.lowerBound - 1)
                guard !prefix.isEmpty, body[range.lowerBound - 1] == 0x20,
                    let announced = Int(String(decoding: body[prefix], as: UTF8.self)),
                    String(announced) == String(decoding: body[prefix], as: UTF8.self),
                    range.lowerBound + announced <= body.count
                else { return false }
                let stripped = Array(body[range.upperBound..<(range.lowerBound + announced)])
                let endsWithLF = body[range.lowerBound + announced - 1] == 0x0A
                let crBeforeLF = announced >= 2 && body[range.lowerBound + announced - 2] == 0x0D
                let expected: [UInt8] = endsWithLF ? (crBeforeLF ? [0x0D, 0x0A] : [0x0A]) : []
                guard stripped == expected else { return false }
                cursor = range.lowerBound + announced
            }
        }
        while cursor < body.count, whitespace.contains(body[cursor]) { cursor += 1 }
        return cursor == body.count
    }
}
