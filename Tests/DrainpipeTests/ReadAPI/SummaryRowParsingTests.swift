import Foundation
import Testing

@testable import Drainpipe

/// The reader's own parsers of the `counts` and `sketch` columns agree with a JSON decoder and with the bytes written,
/// and hand back nil (the decoder's turn, or an error) for anything they do not read.
@Suite("Summary row parsing")
struct SummaryRowParsingTests {
    @Test(
        "counts as Postgres prints jsonb read as a JSON decoder reads them",
        arguments: [
            "{}", #"{"H12": 3}"#, #"{"H12": 3, "status_2xx": 18, "method_GET": 21}"#,
            #"{"protocol_http1.1": 0, "ünïcode": 18446744073709551615}"#, #"{"a":1,"b":2}"#,
        ])
    func plainCounts(text: String) throws {
        let decoded = try JSONDecoder().decode([String: UInt64].self, from: Data(text.utf8))
        #expect(SummaryReader.plainCounts(text) == decoded)
    }

    @Test(
        "escaped names, other values and malformed text are left to the JSON decoder",
        arguments: [
            #"{"a\"b": 1}"#, #"{"a\\b": 1}"#, #"{"a": 1.5}"#, #"{"a": -1}"#, #"{"a": 18446744073709551616}"#,
            #"{"a": 1, "a": 2}"#, #"{"a": 1"#, #"{"a": 1} x"#, #"{"a" 1}"#, #"{"a": }"#, "", "[]",
        ])
    func notPlain(text: String) {
        #expect(SummaryReader.plainCounts(text) == nil)
    }

    @Test("hexadecimal digits read back into the bytes they encode; anything else is refused")
    func hexadecimal() {
        let bytes: [UInt8] = [0, 1, 0x0f, 0x10, 0x7f, 0x80, 0xab, 0xff]
        let lower = bytes.map { String(format: "%02x", $0) }.joined()
        #expect(SummaryReader.bytes(hexadecimal: lower) == bytes)
        #expect(SummaryReader.bytes(hexadecimal: lower.uppercased()) == bytes)
        #expect(SummaryReader.bytes(hexadecimal: "") == [])
        #expect(SummaryReader.bytes(hexadecimal: "abc") == nil)
        #expect(SummaryReader.bytes(hexadecimal: "0g") == nil)
        #expect(SummaryReader.bytes(hexadecimal: "\\x00") == nil)
    }
}
