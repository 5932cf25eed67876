import DrainpipePostgres
import Testing

@Suite("CopyTextEncoder")
struct CopyTextEncoderTests {
    private func encoded(_ rows: [[String?]]) -> [UInt8] {
        var encoder = CopyTextEncoder()
        for row in rows { encoder.appendRow(row) }
        return encoder.bytes
    }

    @Test("separates fields with tabs and ends rows with newlines")
    func layout() {
        #expect(encoded([["a", "b"], ["c", "d"]]) == Array("a\tb\nc\td\n".utf8))
    }

    @Test("writes NULL as \\N and the empty string as nothing")
    func nullAndEmpty() {
        #expect(encoded([[nil, "", nil]]) == Array("\\N\t\t\\N\n".utf8))
    }

    @Test(
        "escapes backslash, tab, newline and carriage return",
        arguments: [
            ("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"), ("\\N", "\\\\N"), ("\\.", "\\\\."),
            ("a\r\nb", "a\\r\\nb"), ("tab\there", "tab\\there"),
        ])
    func escapes(value: String, expected: String) {
        #expect(encoded([[value]]) == Array(expected.utf8) + [UInt8(ascii: "\n")])
    }

    @Test(
        "passes quotes, commas and any Unicode through unchanged",
        arguments: ["'\"", "a,b", "Grüße 📈 ü", "\u{7F}\u{1B}"])
    func passesThrough(value: String) {
        #expect(encoded([[value]]) == Array(value.utf8) + [UInt8(ascii: "\n")])
    }

    @Test("counts rows")
    func rowCount() {
        var encoder = CopyTextEncoder()
        encoder.appendRow(["x"])
        encoder.appendRow([nil])
        #expect(encoder.rowCount == 2)
    }
}
