import DrainpipeCore
import DrainpipeWorkloads
import Testing

/// A seeded fuzz test of the drain parser: realistic bodies, mutated line by line (absurd values, invalid UTF-8,
/// huge lines, repeated keys, truncation) and then byte by byte (flips, insertions, deletions, rewritten length
/// prefixes, cut bodies). It checks that the parser never traps and that its result stays consistent.
///
/// The iteration count bounds its time (a few seconds in a debug build); a new seed explores new inputs.
@Suite("DrainParser under seeded random mutation")
struct DrainParserMutationTests {
    typealias Fixtures = DrainFixtures

    static let iterations = 1_500

    /// The messages of a realistic generated body plus the formats.md examples and edge lines.
    static let seedLines: [[UInt8]] = {
        var writer = LogplexFrameWriter()
        var traffic = DrainTrafficGenerator(seed: 0xF0_22)
        for index in 0..<300 {
            traffic.appendLine(to: &writer, time: EventTime(secondsSinceEpoch: 1_709_647_000 + Int64(index)))
        }
        let generated = OctetFrameReader.read(writer.body).frames.map { Array(writer.body[$0]) }
        let examples = [
            Fixtures.routerLine, Fixtures.routerPostLine, Fixtures.routerH12Line, Fixtures.routerH10Line,
            Fixtures.routerH27Line, Fixtures.loadLine, Fixtures.memoryLine, Fixtures.customMetricsLine,
            Fixtures.runtimeErrorLine, Fixtures.appLine("unique#user.active=u-4821 count#login"),
            Fixtures.runtimeLine("source=web.1 sample#load_avg_1m=1.25 sample#load_avg_5m=0.5"),
            "<172>1 2024-03-05T14:02:13+00:00 host heroku logplex - "
                + "Error L10 (output buffer overflow): 7 messages dropped",
            "<190>1 2024-03-05T07:02:11.5-07:00 host app web.1 - - caf\u{e9} [ok] done",
            "<45>1 2024-03-05T14:02:13+00:00 host app api - Scale to web=3, worker=1 by ops@example.com",
            "<45>1 2024-03-05T14:02:13+00:00 host heroku web.1 - State changed from starting to up",
        ].map { Array($0.utf8) }
        return generated + examples
    }()

    @Test("never traps and accounts for every frame and measurement, whatever the body")
    func mutatedBodies() throws {
        var generator = SplitMix64(seed: 0xD7A1_9E00_2024_0305)
        var totals = Totals()
        for iteration in 0..<Self.iterations {
            var lines = (0..<Int.random(in: 1...40, using: &generator)).map { _ in
                Self.seedLines.randomElement(using: &generator)!
            }
            for index in lines.indices where Int.random(in: 0..<3, using: &generator) == 0 {
                Self.mutate(line: &lines[index], using: &generator)
            }
            var body: [UInt8] = lines.flatMap { line in Array("\(line.count + 1) ".utf8) + line + [0x0A] }
            for _ in 0..<Int.random(in: 0...3, using: &generator) { Self.mutate(body: &body, using: &generator) }

            let result = DrainParser().parse(
                body: body, owner: "owner", drainID: "drain", frameID: "frame",
                receivedAt: EventTime(secondsSinceEpoch: 0))
            try Self.checkInvariants(of: result, for: body, iteration: iteration)
            totals.add(result)
        }
        // The mutations must leave enough intact lines, and reject enough, for every path to be exercised.
        #expect(Set(totals.measurementsByType.keys) == Set(MeasurementType.allCases))
        #expect(totals.measurementsByType.values.allSatisfy { $0 > 50 }, "\(totals.measurementsByType)")
        let reasons = Set(totals.lineRejections.keys)
        #expect(reasons.isSuperset(of: [.invalidUTF8, .badNumber, .lineTooLong, .duplicateField, .badSyslogHeader]))
        #expect(totals.frameRejections > 100)
    }

    // MARK: - Invariants

    static func checkInvariants(of result: DrainParseResult, for body: [UInt8], iteration: Int) throws {
        let context = Comment(rawValue: "iteration \(iteration)")
        let framed = OctetFrameReader.read(body)
        try #require(tilesBody(body), context)
        #expect(result.frameCount == framed.frames.count, context)
        #expect(result.rejectedFrameCount == framed.rejections.count, context)
        #expect(result.accountedLineCount == result.frameCount, context)

        let lineIndexes = result.measurements.map { $0.origin?.lineIndex ?? .max }
        #expect(Set(lineIndexes).count == result.measuredLineCount, context)
        #expect(lineIndexes == lineIndexes.sorted(), context)
        #expect(lineIndexes.allSatisfy { Int($0) < result.frameCount }, context)
        var seen = Set<String>()
        for measurement in result.measurements {
            let key = "\(measurement.origin?.lineIndex ?? .max) \(measurement.type) \(measurement.metric)"
            #expect(seen.insert(key).inserted, "two measurements of one line share \(key); \(context)")
            #expect(measurement.origin?.drainID == "drain" && measurement.origin?.frameID == "frame", context)
            #expect(measurement.owner == "owner", context)
            #expect(!measurement.processType.isEmpty, context)
            #expect(measurement.processType.utf8.allSatisfy(isProcessTypeByte), context)
            #expect(!measurement.metric.isEmpty, context)
            #expect(measurement.fields.allSatisfy { $0.value.isFinite && $0.value >= 0 && $0.value < 1e15 }, context)
            let names = measurement.fields.map(\.name)
            #expect(Set(names).count == names.count, context)
            #expect(Set(names).isSubset(of: measurement.type.summaryFieldNames), context)
            switch measurement.type {
            case .dynoErrors:
                #expect(measurement.fields.isEmpty && measurement.events.count == 1, context)
                #expect(measurement.events.allSatisfy(isErrorCode), context)
            case .routerRequests:
                #expect(measurement.events.filter { $0.hasPrefix("status_") }.count <= 1, context)
            case .dynoLoad, .dynoMemory:
                #expect(!measurement.fields.isEmpty && measurement.events.isEmpty, context)
            case .customMetrics:
                #expect(names == ["value"] && measurement.events.isEmpty, context)
            case .platformEvents:
                let event = try #require(measurement.platformEvent, context)
                #expect(names.isEmpty && measurement.events == [event.kind.rawValue], context)
                #expect(event.text.utf8.count <= PlatformEvent.textLimit, context)
                #expect(!event.text.utf8.contains { $0 < 0x20 || $0 == 0x7F }, context)
            }
        }
    }

    static func isProcessTypeByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A || (0x30...0x39).contains(byte) || byte == 0x5F || byte == 0x2D
    }

    static func isErrorCode(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        return bytes.count == 3 && (bytes[0] == 0x48 || bytes[0] == 0x52)
            && bytes.dropFirst().allSatisfy { (0x30...0x39).contains($0) }
    }

    /// What the whole run covered.
    struct Totals {
        var measurementsByType: [MeasurementType: Int] = [:]
        var lineRejections: [LineRejectionReason: Int] = [:]
        var frameRejections = 0

        mutating func add(_ result: DrainParseResult) {
            for measurement in result.measurements { measurementsByType[measurement.type, default: 0] += 1 }
            lineRejections.merge(result.lineRejections, uniquingKeysWith: +)
            frameRejections += result.rejectedFrameCount
        }
    }

    // MARK: - Mutations

    /// Values no parser may read as a number, or may only read with a unit it does not allow.
    static let hostileValues = [
        "-1", "+1", "1e308", "1E3", "NaN", "nan", "inf", "-0", "1.5.5", ".5", "5.", "", "99999999999999999999",
        "0x1F", "\u{0661}\u{0662}", "12ms", "12pages", "12MB", "\"quoted\"", "1_000", "H1", "R999", "=", "web.1",
    ].map { Array($0.utf8) }

    /// Invalid UTF-8: an overlong form, a surrogate, a lone continuation, a truncated sequence, bytes above U+10FFFF.
    static let invalidUTF8 =
        [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0x80], [0xE2, 0x82], [0xF5, 0x80, 0x80, 0x80], [0xFF]]
        as [[UInt8]]

    /// One edit of a message that keeps its frame intact.
    static func mutate(line: inout [UInt8], using generator: inout SplitMix64) {
        func position() -> Int { Int.random(in: 0...line.count, using: &generator) }
        switch Int.random(in: 0..<7, using: &generator) {
        case 0:
            let equalsSigns = line.indices.filter { line[$0] == 0x3D }
            guard let equals = equalsSigns.randomElement(using: &generator) else { return }
            var end = equals + 1
            while end < line.count, line[end] != 0x20 { end += 1 }
            line.replaceSubrange((equals + 1)..<end, with: hostileValues.randomElement(using: &generator)!)
        case 1:
            line.insert(contentsOf: invalidUTF8.randomElement(using: &generator)!, at: position())
        case 2:
            let spaces = line.indices.filter { line[$0] == 0x20 }
            guard let space = spaces.randomElement(using: &generator) else { return }
            var end = space + 1
            while end < line.count, line[end] != 0x20 { end += 1 }
            line.append(contentsOf: line[space..<end])
        case 3:
            line.removeSubrange(Int.random(in: 0..<max(1, line.count), using: &generator)..<line.count)
        case 4:
            let length = Int.random(in: 9_000...11_000, using: &generator)
            line.append(contentsOf: Array(" pad=".utf8) + [UInt8](repeating: 0x61, count: length))
        case 5 where !line.isEmpty:
            let bit = UInt8(1) << UInt8.random(in: 0..<8, using: &generator)
            line[Int.random(in: 0..<line.count, using: &generator)] ^= bit
        default:
            line.insert(0x20, at: position())
        }
    }

    /// One edit of the framed body: flip, overwrite, insert, delete or duplicate bytes, rewrite a length prefix
    /// (huge ones included) or cut the body short.
    static func mutate(body: inout [UInt8], using generator: inout SplitMix64) {
        let alphabet = Array("0123456789 <>\n\r-=.#abcz".utf8) + [0x00, 0x80, 0xC3, 0xFF]
        func position() -> Int { body.isEmpty ? 0 : Int.random(in: 0..<body.count, using: &generator) }
        switch Int.random(in: 0..<7, using: &generator) {
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
        case 5 where !body.isEmpty:
            body.removeSubrange(position()..<body.count)
        default:
            let lengths = ["0", "00", "\(Int.random(in: 1...400, using: &generator))", "99999999999999999999999"]
            let digits = Array(lengths.randomElement(using: &generator)!.utf8)
            let spaces = body.indices.filter { body[$0] == 0x20 }
            guard let space = spaces.randomElement(using: &generator) else { return }
            var start = space
            while start > 0, body[start - 1] >= 0x30, body[start - 1] <= 0x39 { start -= 1 }
            body.replaceSubrange(start..<space, with: digits)
        }
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
