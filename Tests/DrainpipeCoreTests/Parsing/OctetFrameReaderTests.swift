import DrainpipeCore
import Testing

@Suite("OctetFrameReader")
struct OctetFrameReaderTests {
    typealias Fixtures = DrainFixtures

    /// A golden framing case: a body, the message texts it must yield and the rejections it must report.
    struct Golden: CustomTestStringConvertible, Sendable {
        var name: String
        var body: [UInt8]
        var messages: [String]
        var rejections: [FrameRejection] = []

        init(_ name: String, _ body: String, messages: [String], rejections: [FrameRejection] = []) {
            self.init(name, Array(body.utf8), messages: messages, rejections: rejections)
        }

        init(_ name: String, _ body: [UInt8], messages: [String], rejections: [FrameRejection] = []) {
            self.name = name
            self.body = body
            self.messages = messages
            self.rejections = rejections
        }

        var testDescription: String { name }
    }

    static let goldenCases: [Golden] = [
        Golden(
            "the three example frames", Fixtures.exampleBody,
            messages: [Fixtures.routerLine, Fixtures.loadLine, Fixtures.customMetricsLine]),
        Golden("LF counted in the length", "6 <1>ab\n6 <1>cd\n", messages: ["<1>ab", "<1>cd"]),
        Golden("no LF at all", "5 <1>ab5 <1>cd", messages: ["<1>ab", "<1>cd"]),
        Golden("CR LF both stripped", "7 <1>ab\r\n", messages: ["<1>ab"]),
        Golden("only one LF stripped", "7 <1>ab\n\n", messages: ["<1>ab\n"]),
        Golden("a lone CR is kept", "6 <1>ab\r", messages: ["<1>ab\r"]),
        Golden("a message that is only an LF", "1 \n5 <1>ab", messages: ["", "<1>ab"]),
        Golden(
            "NILVALUE structured data stays in the message", DrainFixtures.frame("<190>1 - h a p - - x"),
            messages: ["<190>1 - h a p - - x"]),
        Golden("trailing whitespace after the last frame", "6 <1>ab\n \r\n\t\n  ", messages: ["<1>ab"]),
        Golden("an uncounted LF between frames", "5 <1>ab\n5 <1>cd\n", messages: ["<1>ab", "<1>cd"]),
        Golden("an empty body", "", messages: []),
        Golden("a body of whitespace", " \n\r\n", messages: []),
        Golden(
            "garbage", "hello world",
            messages: [], rejections: [FrameRejection(reason: .badLengthPrefix, byteOffset: 0, skippedByteCount: 11)]),
        Golden(
            "bad length prefix then a valid frame", "abc <1>x\n6 <1>ab\n",
            messages: ["<1>ab"],
            rejections: [FrameRejection(reason: .badLengthPrefix, byteOffset: 0, skippedByteCount: 9)]),
        Golden(
            "zero length", "0 <1>x\n6 <1>ab\n",
            messages: ["<1>ab"], rejections: [FrameRejection(reason: .zeroLength, byteOffset: 0, skippedByteCount: 7)]),
        Golden(
            "leading zero in the length", "06 <1>ab\n6 <1>cd\n",
            messages: ["<1>cd"],
            rejections: [FrameRejection(reason: .badLengthPrefix, byteOffset: 0, skippedByteCount: 9)]),
        Golden(
            "missing space", "6<1>ab\n6 <1>cd\n",
            messages: ["<1>cd"], rejections: [FrameRejection(reason: .missingSpace, byteOffset: 0, skippedByteCount: 7)]
        ),
        Golden(
            "truncated final frame", "6 <1>ab\n40 <1>cd\n",
            messages: ["<1>ab"],
            rejections: [FrameRejection(reason: .truncatedFrame, byteOffset: 8, skippedByteCount: 9)]),
        Golden(
            "overshooting length recovered at the next frame start", "99 <1>ab\n6 <1>cd\n",
            messages: ["<1>cd"],
            rejections: [FrameRejection(reason: .truncatedFrame, byteOffset: 0, skippedByteCount: 9)]),
        Golden(
            "length digits at the very end", "6 <1>ab\n12",
            messages: ["<1>ab"],
            rejections: [FrameRejection(reason: .truncatedFrame, byteOffset: 8, skippedByteCount: 2)]),
        Golden(
            "a length too large for any integer", "99999999999999999999999999999 <1>ab\n",
            messages: [],
            rejections: [FrameRejection(reason: .truncatedFrame, byteOffset: 0, skippedByteCount: 36)]),
        Golden(
            "a too-short length shows up at the next frame", "5 <1>abc\n6 <1>cd\n",
            messages: ["<1>ab", "<1>cd"],
            rejections: [FrameRejection(reason: .badLengthPrefix, byteOffset: 7, skippedByteCount: 2)]),
        Golden(
            "resynchronisation skips LFs not followed by a frame start", "x\nfoo\n12 x\n3 <x>\n6 <1>ab\n",
            messages: ["<1>ab"],
            rejections: [FrameRejection(reason: .badLengthPrefix, byteOffset: 0, skippedByteCount: 17)]),
    ]

    @Test("reads the golden framing cases", arguments: goldenCases)
    func golden(_ golden: Golden) {
        let body = OctetFrameReader.read(golden.body)
        #expect(body.frames.map { Fixtures.text(golden.body, $0) } == golden.messages)
        #expect(body.rejections == golden.rejections)
    }

    @Test("recovers a valid frame after a bad one in the middle of a batch")
    func resynchronisesMidBatch() throws {
        let bytes = Array(
            (Fixtures.frame(Fixtures.routerLine) + "5000 " + Fixtures.loadLine + "\n"
                + Fixtures.frame(Fixtures.loadLine)
                + Fixtures.frame(Fixtures.customMetricsLine)).utf8)
        let body = OctetFrameReader.read(bytes)
        #expect(
            body.frames.map { Fixtures.text(bytes, $0) } == [
                Fixtures.routerLine, Fixtures.loadLine, Fixtures.customMetricsLine,
            ])
        let rejection = try #require(body.rejections.first)
        #expect(body.rejections.count == 1)
        #expect(rejection.reason == .truncatedFrame)
        #expect(rejection.byteOffset == Fixtures.frame(Fixtures.routerLine).utf8.count)
        #expect(rejection.skippedByteCount == "5000 ".utf8.count + Fixtures.loadLine.utf8.count + 1)
    }

    @Test("yields frames and rejections in body order as an iterator")
    func iteratesInOrder() {
        let bytes = Array("6 <1>ab\nzz\n6 <1>cd\n".utf8)
        let steps = Array(OctetFrameReader(body: bytes))
        #expect(
            steps == [
                .message(2..<7),
                .rejected(FrameRejection(reason: .badLengthPrefix, byteOffset: 8, skippedByteCount: 3)),
                .message(13..<18),
            ])
    }

    @Test("frames of every length from 1 to 300 read back exactly")
    func everyLength() {
        for length in 1...300 {
            let message = "<1>" + String(repeating: "x", count: length)
            let bytes = Array((Fixtures.frame(message) + Fixtures.frame(message, countingLF: false)).utf8)
            let body = OctetFrameReader.read(bytes)
            #expect(body.frames.map { Fixtures.text(bytes, $0) } == [message, message])
            #expect(body.rejections.isEmpty)
        }
    }
}
