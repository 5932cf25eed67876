import Testing

@testable import DrainpipeCore

@Suite("ASCIIBytes")
struct ASCIIBytesTests {
    @Test(
        "recognises dyno names",
        arguments: [
            ("web.1", true), ("worker.12", true), ("run.8411", true), ("my_proc-2.3", true), ("router", false),
            ("web.", false), (".1", false), ("web.1a", false), ("web.1.2", false), ("heroku-postgres", false),
            ("w b.1", false), ("", false),
        ])
    func dynoNames(_ text: String, expected: Bool) {
        let bytes = Array(text.utf8)
        #expect(ASCIIBytes.isDynoName(bytes, in: bytes.indices) == expected)
    }

    @Test(
        "validates UTF-8 edge cases",
        arguments: [
            ([], true), ([0x41], true), ([0xC3, 0xA9], true), ([0xE2, 0x82, 0xAC], true),
            ([0xF0, 0x9F, 0x98, 0x80], true), ([0xF4, 0x8F, 0xBF, 0xBF], true), ([0xED, 0x9F, 0xBF], true),
            ([0x80], false), ([0xC0, 0x80], false), ([0xC1, 0xBF], false), ([0xC3], false),
            ([0xE0, 0x80, 0x80], false), ([0xED, 0xA0, 0x80], false), ([0xF0, 0x80, 0x80, 0x80], false),
            ([0xF4, 0x90, 0x80, 0x80], false), ([0xF5, 0x80, 0x80, 0x80], false), ([0xFF], false),
            ([0xE2, 0x82], false), ([0xE2, 0x41, 0xAC], false),
        ] as [([UInt8], Bool)])
    func utf8EdgeCases(_ bytes: [UInt8], expected: Bool) {
        #expect(ASCIIBytes.isValidUTF8(bytes, in: bytes.indices) == expected)
    }

    @Test("agrees with the standard library's UTF-8 validation on 20,000 seeded random byte strings")
    func utf8AgreesWithStandardLibrary() {
        var generator = SplitMix64(seed: 0x0DF8)
        let interesting: [UInt8] = [0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0x9F, 0xA0]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...8, using: &generator)).map { _ in
                Bool.random(using: &generator)
                    ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            #expect(ASCIIBytes.isValidUTF8(bytes, in: bytes.indices) == expected, "\(bytes)")
        }
    }

    @Test(
        "packs tokens of up to 8 bytes little-endian, and refuses longer ones and NUL bytes",
        arguments: [
            ("GET", UInt64(0x54_45_47)), ("protocol", 0x6C_6F_63_6F_74_6F_72_70), ("", 0), ("protocols", nil),
            ("ab\u{0}", nil), ("\u{0}ab", nil),
        ] as [(String, UInt64?)])
    func packs(_ token: String, expected: UInt64?) {
        let bytes = Array(("x" + token + "y").utf8)
        #expect(ASCIIBytes.packed(bytes, in: 1..<(bytes.count - 1)) == expected)
    }

    @Test("compares two ranges of one array")
    func comparesRanges() {
        let bytes = Array("ab.ab.abc".utf8)
        #expect(ASCIIBytes.bytes(bytes, in: 0..<2, equalBytesIn: 3..<5))
        #expect(!ASCIIBytes.bytes(bytes, in: 0..<2, equalBytesIn: 6..<9))
        #expect(!ASCIIBytes.bytes(bytes, in: 0..<2, equalBytesIn: 2..<4))
    }

    @Test("packs up to eight bytes, word at a time or near the end alike, on 20,000 seeded ranges")
    func packsLikeByteByByte() {
        var generator = SplitMix64(seed: 0x9AC4)
        for _ in 0..<20_000 {
            let bytes = (0..<Int(generator.next() % 24)).map { _ in
                generator.next() % 8 == 0 ? 0 : UInt8(truncatingIfNeeded: generator.next())
            }
            let start = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count))
            let range = start..<(start + Int(generator.next() % UInt64(min(10, bytes.count - start) + 1)))
            var expected: UInt64? = range.count <= 8 ? 0 : nil
            for (offset, byte) in bytes[range].enumerated() where expected != nil {
                expected = byte == 0 ? nil : expected! | UInt64(byte) << UInt64(8 * offset)
            }
            #expect(ASCIIBytes.packed(bytes, in: range) == expected, "\(bytes) \(range)")
        }
        let text = Array("heroku router".utf8)
        #expect(ASCIIBytes.packed(text, in: 0..<6) == DrainLineKind.Packed.heroku)
        #expect(ASCIIBytes.packed(text, in: 7..<13) == DrainLineKind.Packed.router)
        let addOn = Array("heroku-redis".utf8)
        #expect(ASCIIBytes.packedPrefix(addOn, of: addOn.indices, length: 7) == DrainLineKind.Packed.addOnPrefix)
        #expect(ASCIIBytes.packedPrefix(addOn, of: 0..<6, length: 7) == nil)
    }
}
