import Testing

@testable import DrainpipeCore

@Suite("Origin digests")
struct OriginDigestTests {
    /// Strings of every length around the 8-byte words, ASCII and multi-byte, small (inline) and large.
    static let texts: [String] =
        (0...41).map { String(repeating: "f", count: $0) } + [
            "d.6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71", "0000000000000000000000000000002A", "router", "é", "日本語のテキスト",
            "status_5xx\u{1F600}", String(repeating: "ü", count: 17),
        ]

    @Test("a string hashes eight bytes at a time exactly as its bytes one by one")
    func wordsAsBytes() {
        for text in Self.texts {
            var byWords = Hasher128()
            byWords.combine(text)
            var byBytes = Hasher128()
            byBytes.combine(bytes: Array(text.utf8))
            #expect(byWords.finalize() == byBytes.finalize(), "\(text)")
            // And after other input, as in a digest.
            byWords.combine(UInt64(7))
            byWords.combine(text)
            byBytes.combine(UInt64(7))
            byBytes.combine(bytes: Array(text.utf8))
            #expect(byWords.finalize() == byBytes.finalize(), "\(text)")
        }
    }

}
