import Testing

@testable import DrainpipeCore
@testable import DrainpipeWire

@Suite("WireError")
struct WireErrorTests {
    static let everyCase: [WireError] = [
        .malformed(message: "Summary", byteCount: 12),
        .malformedParallelArrays(message: "Summary", byteCount: 12, field: "sums", count: 1, expected: 2),
        .malformedDuplicateName(message: "Summary", byteCount: 12, field: "count_names"),
        .invalidUTF8(message: "Summary", byteCount: 12, field: "owner"),
        .unknownMeasurementType(message: "Summary", byteCount: 12, wireNumber: 42),
        .valueOutOfRange(message: "Summary", byteCount: 12, field: "period_seconds"),
    ]

    @Test("no wire error is retryable", arguments: everyCase)
    func notRetryable(error: WireError) {
        #expect(!error.isRetryable)
    }

    @Test("every description names the message type, the byte count and what to do", arguments: everyCase)
    func descriptionNamesContext(error: WireError) {
        #expect(error.description.contains("drainpipe.v1.Summary of 12 bytes"))
        #expect(error.description.contains("Retrying cannot help"))
    }

    @Test("descriptions never contain the payload's strings")
    func descriptionOmitsPayload() throws {
        var writer = ProtobufTestWriter()
        writer.varint(1, UInt64(5))
        writer.string(2, "secret-owner-token")
        writer.string(7, "secret-field")
        writer.lengthDelimited(4, Array("secret-metric".utf8) + [0xFF])
        writer.packedDoubles(8, [1])
        let error = try #require(throws: WireError.self) { try Measurement(wireBytes: writer.bytes) }
        #expect(error == .invalidUTF8(message: "Measurement", byteCount: writer.bytes.count, field: "metric"))
        #expect(!error.description.contains("secret"))
    }
}
