import DrainpipeCore
import DrainpipeWorkloads
import Testing

/// Pins the drain parser's whole output on a large seeded corpus, so work on its speed cannot change a single result.
///
/// The corpus is generated traffic (every line kind, deploys and scaling included) plus the same lines with seeded
/// edits that the parser must reject or read differently (hostile values, invalid UTF-8, repeated keys, cut lines).
/// Every measurement, rejection and count is rendered as text and folded into one FNV-1a digest, recorded from the
/// parser as it was before the per-line work was made cheaper (main at c674ec1). A change that alters any result
/// changes the digest; the totals checked beside it show what the corpus covers.
@Suite("DrainParser results on a seeded corpus")
struct DrainParserRecordedResultsTests {
    /// The digest of every parse result of `corpus()`, recorded from the parser at c674ec1.
    static let recordedDigest: UInt64 = 0x9D40_7447_7FEB_B543

    @Test("parses the seeded corpus, plain and edited, to the recorded results")
    func recordedResults() {
        var digest = FNV1a()
        var measurementsByType: [MeasurementType: Int] = [:]
        var rejectionsByReason: [LineRejectionReason: Int] = [:]
        var ignoredByKind: [DrainLineKind: Int] = [:]
        for (index, body) in Self.corpus().enumerated() {
            let result = DrainParser().parse(
                body: body, owner: "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71", drainID: "d.recorded",
                frameID: "frame-\(index)", receivedAt: EventTime(secondsSinceEpoch: 1_709_647_500))
            digest.add(Self.rendered(result))
            for measurement in result.measurements { measurementsByType[measurement.type, default: 0] += 1 }
            rejectionsByReason.merge(result.lineRejections, uniquingKeysWith: +)
            ignoredByKind.merge(result.ignoredLinesByKind, uniquingKeysWith: +)
        }
        #expect(digest.value == Self.recordedDigest, "digest \(String(digest.value, radix: 16))")
        #expect(Set(measurementsByType.keys) == Set(MeasurementType.allCases), "\(measurementsByType)")
        let expectedReasons: Set<LineRejectionReason> = [
            .badNumber, .invalidUTF8, .duplicateField, .lineTooLong, .missingField, .badSyslogHeader, .badTimestamp,
        ]
        #expect(expectedReasons.isSubset(of: Set(rejectionsByReason.keys)), "\(rejectionsByReason)")
        #expect(ignoredByKind[.appOutput, default: 0] > 1_000, "\(ignoredByKind)")
    }

    /// 300 bodies of 100 generated lines, a deploy and a scale; every third line of the second half edited.
    static func corpus() -> [[UInt8]] {
        var traffic = DrainTrafficGenerator(seed: 0x5EED_0015)
        var edits = SplitMix64(seed: 0xED17_0015)
        let base = EventTime(secondsSinceEpoch: 1_709_647_440)
        var bodies: [[UInt8]] = []
        for bodyIndex in 0..<300 {
            var writer = LogplexFrameWriter()
            for lineIndex in 0..<100 {
                traffic.appendLine(to: &writer, time: base - .milliseconds(Int64(lineIndex * 2_417 % 240_000)))
            }
            if bodyIndex % 50 == 0 {
                DrainTrafficGenerator.appendDeploy(to: &writer, time: base, version: bodyIndex, commit: "4f1c2a9")
                DrainTrafficGenerator.appendScale(to: &writer, time: base, formation: "web=3, worker=1")
            }
            guard bodyIndex >= 150 else {
                bodies.append(writer.body)
                continue
            }
            var body: [UInt8] = []
            for (frameIndex, frame) in OctetFrameReader.read(writer.body).frames.enumerated() {
                var line = Array(writer.body[frame])
                if frameIndex % 3 == 0 { edit(&line, using: &edits) }
                body += Array("\(line.count) ".utf8) + line
            }
            bodies.append(body)
        }
        return bodies
    }

    /// One seeded edit of a message, chosen with plain modulo arithmetic so the corpus never depends on the
    /// standard library's random algorithms.
    static func edit(_ line: inout [UInt8], using edits: inout SplitMix64) {
        func pick(_ count: Int) -> Int { Int(edits.next() % UInt64(max(count, 1))) }
        let equalsSigns = line.indices.filter { line[$0] == UInt8(ascii: "=") }
        let spaces = line.indices.filter { line[$0] == UInt8(ascii: " ") }
        switch pick(8) {
        case 0 where !equalsSigns.isEmpty:
            let equals = equalsSigns[pick(equalsSigns.count)]
            var end = equals + 1
            while end < line.count, line[end] != UInt8(ascii: " ") { end += 1 }
            let values = DrainParserMutationTests.hostileValues
            line.replaceSubrange((equals + 1)..<end, with: values[pick(values.count)])
        case 1:
            let sequences = DrainParserMutationTests.invalidUTF8
            line.insert(contentsOf: sequences[pick(sequences.count)], at: pick(line.count + 1))
        case 2 where !spaces.isEmpty:
            let space = spaces[pick(spaces.count)]
            var end = space + 1
            while end < line.count, line[end] != UInt8(ascii: " ") { end += 1 }
            line.append(contentsOf: line[space..<end])
        case 3:
            line.removeSubrange(pick(line.count)..<line.count)
        case 4:
            line.append(contentsOf: Array(" pad=".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 9_990))
        case 5 where !line.isEmpty:
            line[pick(line.count)] ^= UInt8(1) << UInt8(pick(8))
        case 6 where spaces.count > 2:
            // Drop a key: a router line without its status, a load line without its 1-minute average.
            let space = spaces[2 + pick(spaces.count - 2)]
            var end = space + 1
            while end < line.count, line[end] != UInt8(ascii: " ") { end += 1 }
            line.removeSubrange(space..<end)
        default:
            line.insert(UInt8(ascii: " "), at: pick(line.count + 1))
        }
    }

    /// A result as text: counts, rejections and ignored kinds in a fixed order, then every measurement.
    static func rendered(_ result: DrainParseResult) -> String {
        var text = "frames \(result.frameCount) measured \(result.measuredLineCount)"
        text += " unique \(result.skippedUniqueKeyCount)\n"
        for reason in FrameRejectionReason.allCases {
            text += "frame \(reason): \(result.frameRejections[reason] ?? 0)\n"
        }
        for reason in LineRejectionReason.allCases {
            text += "line \(reason): \(result.lineRejections[reason] ?? 0)\n"
        }
        for kind in DrainLineKind.allCases {
            text += "ignored \(kind): \(result.ignoredLinesByKind[kind] ?? 0)\n"
        }
        for measurement in result.measurements { text += "\(measurement)\n" }
        return text
    }

    /// 64-bit FNV-1a, a digest that is the same in every process (unlike `Hasher`).
    struct FNV1a {
        private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

        mutating func add(_ text: String) {
            for byte in text.utf8 {
                value ^= UInt64(byte)
                value = value &* 0x100_0000_01B3
            }
        }
    }
}
