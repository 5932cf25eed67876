import DrainpipePostgres
import Testing

@Suite("CopyBinaryEncoder")
struct CopyBinaryEncoderTests {
    private static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]

    @Test("frames rows between the signature header and the -1 trailer")
    func framing() {
        var encoder = CopyBinaryEncoder()
        #expect(encoder.finished == Self.header + [0xFF, 0xFF])
        encoder.beginRow(fieldCount: 2)
        encoder.appendNull()
        encoder.appendText("")
        #expect(encoder.rowCount == 1)
        #expect(encoder.finished == Self.header + [0, 2] + [0xFF, 0xFF, 0xFF, 0xFF] + [0, 0, 0, 0] + [0xFF, 0xFF])
    }

    @Test("writes text as its UTF-8 bytes with no escaping at all")
    func text() {
        var encoder = CopyBinaryEncoder()
        let hostile = "\\N\t\n\r'\"é📈"
        encoder.appendText(hostile)
        #expect(
            Array(encoder.bytes.dropFirst(Self.header.count)) == [0, 0, 0, UInt8(hostile.utf8.count)]
                + Array(hostile.utf8))
    }

    @Test("writes integers, doubles, timestamps, jsonb and bytea in network byte order")
    func scalars() {
        var encoder = CopyBinaryEncoder()
        encoder.appendInt32(-2)
        encoder.appendInt64(0x0102_0304_0506_0708)
        encoder.appendDouble(-0.0)
        encoder.appendTimestamp(microsecondsSinceUnixEpoch: 946_684_800_000_001)  // 2000-01-01 00:00:00.000001 UTC
        encoder.appendJSONB("{}")
        encoder.appendBytes([0, 0xFF])
        let expected: [UInt8] =
            [0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFE]
            + [0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]
            + [0, 0, 0, 8, 0x80, 0, 0, 0, 0, 0, 0, 0]
            + [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1]
            + [0, 0, 0, 3, 1, UInt8(ascii: "{"), UInt8(ascii: "}")]
            + [0, 0, 0, 2, 0, 0xFF]
        #expect(Array(encoder.bytes.dropFirst(Self.header.count)) == expected)
    }
}
