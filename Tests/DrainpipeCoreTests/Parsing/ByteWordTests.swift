import Testing

@testable import DrainpipeCore

@Suite("ByteWord")
struct ByteWordTests {
    /// Bytes the searches look for, their neighbours, and the extremes, so matches and near misses are common.
    static let alphabet: [UInt8] = [
        0x00, 0x01, 0x1F, 0x20, 0x21, 0x22, 0x3C, 0x3D, 0x3E, 0x5B, 0x5C, 0x5D, 0x7E, 0x7F,
        0x80, 0xA0, 0xA1, 0xDF, 0xFE, 0xFF, 0x41, 0x61,
    ]

    /// A seeded random byte string and a range of it.
    static func sample(_ generator: inout SplitMix64) -> (bytes: [UInt8], range: Range<Int>) {
        let bytes = (0..<Int(generator.next() % 40)).map { _ in
            generator.next() % 3 == 0
                ? UInt8(truncatingIfNeeded: generator.next()) : alphabet[Int(generator.next() % UInt64(alphabet.count))]
        }
        let start = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
        let end = start + Int(generator.next() % UInt64(bytes.count - start + 1))
        return (bytes, start..<end)
    }

    /// Checks the contract of a word search: no byte before the result matches, and the result is a matching byte
    /// or leaves fewer than eight bytes.
    static func check(
        _ result: Int, in bytes: [UInt8], _ range: Range<Int>, matches: (UInt8) -> Bool
    ) {
        #expect(range.contains(result) || result == range.upperBound)
        let skippedAMatch = bytes[range.lowerBound..<result].contains(where: matches)
        let stoppedAtAMatch = result < range.upperBound && matches(bytes[result])
        #expect(!skippedAMatch, "\(bytes) \(range) -> \(result)")
        #expect(stoppedAtAMatch || range.upperBound - result < 8)
    }

    @Test("finds the first of two bytes eight at a time, never skipping one, on 20,000 seeded strings")
    func eitherOfTwoBytes() {
        var generator = SplitMix64(seed: 0xB17E)
        let pairs: [(UInt8, UInt8)] = [(0x3D, 0x20), (0x22, 0x5C), (0x20, 0x20), (0x00, 0xFF)]
        for _ in 0..<20_000 {
            let (bytes, range) = Self.sample(&generator)
            let (first, second) = pairs.randomElement(using: &generator)!
            let result = ByteWord.firstIndex(
                in: bytes.span, from: range.lowerBound, end: range.upperBound, ofEither: .init(first), or: .init(second)
            )
            Self.check(result, in: bytes, range) { $0 == first || $0 == second }
        }
    }

    @Test("finds the first byte outside printable ASCII eight at a time, never skipping one, on 20,000 strings")
    func nonPrintable() {
        var generator = SplitMix64(seed: 0x9217)
        for _ in 0..<20_000 {
            let (bytes, range) = Self.sample(&generator)
            let result = ByteWord.firstNonPrintableIndex(in: bytes.span, from: range.lowerBound, end: range.upperBound)
            Self.check(result, in: bytes, range) { !ASCIIBytes.isPrintable($0) }
        }
    }

    @Test("reads a word with its first byte lowest")
    func littleEndian() {
        let bytes: [UInt8] = [0xAA, 1, 2, 3, 4, 5, 6, 7, 8]
        #expect(ByteWord.load(bytes.span, at: 1) == 0x0807_0605_0403_0201)
    }
}
