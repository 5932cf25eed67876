/// Failures of the wire-schema layer: bytes that are not a valid `drainpipe.v1` (or `drainpipe.v2`) message.
///
/// Every case names the message type (`"Measurement"`, `"Summary"`) and the size of the input, never its bytes
/// or string contents, so it is safe to log.
package enum WireError: Error, Hashable, CustomStringConvertible {
    /// protobuf-c could not parse the bytes: truncated, not protobuf, or wrong wire types for the schema.
    case malformed(message: String, byteCount: Int)
    /// Two arrays that must run in parallel (`field_names` and `field_values`, say) differ in length.
    case malformedParallelArrays(message: String, byteCount: Int, field: String, count: Int, expected: Int)
    /// A name occurs twice in a list that must hold each name once.
    case malformedDuplicateName(message: String, byteCount: Int, field: String)
    /// A string field is not valid UTF-8.
    case invalidUTF8(message: String, byteCount: Int, field: String)
    /// The `type` field is unspecified (0) or a number this build does not know.
    case unknownMeasurementType(message: String, byteCount: Int, wireNumber: Int32)
    /// A number lies outside the range its field allows (a window start that overflows, a period that is not positive).
    case valueOutOfRange(message: String, byteCount: Int, field: String)

    /// Always false: the same bytes fail the same way on every attempt.
    package var isRetryable: Bool { false }

    package var description: String {
        switch self {
        case .malformed(let message, let byteCount):
            "\(Self.subject(message, byteCount)) is not a valid protobuf \(message). \(Self.nextStep)"
        case .malformedParallelArrays(let message, let byteCount, let field, let count, let expected):
            "\(Self.subject(message, byteCount)) has \(count) \(field) for \(expected) names. \(Self.nextStep)"
        case .malformedDuplicateName(let message, let byteCount, let field):
            "\(Self.subject(message, byteCount)) repeats a name in \(field). \(Self.nextStep)"
        case .invalidUTF8(let message, let byteCount, let field):
            "\(Self.subject(message, byteCount)) has a \(field) that is not valid UTF-8. \(Self.nextStep)"
        case .unknownMeasurementType(let message, let byteCount, let wireNumber):
            "\(Self.subject(message, byteCount)) has unknown measurement type \(wireNumber). "
                + "Retrying cannot help; if a newer producer added the type, deploy a consumer built from its schema."
        case .valueOutOfRange(let message, let byteCount, let field):
            "\(Self.subject(message, byteCount)) has \(field) out of range. \(Self.nextStep)"
        }
    }

    private static func subject(_ message: String, _ byteCount: Int) -> String {
        let schema = message == MeasurementBatchWire.messageName ? "drainpipe.v2" : "drainpipe.v1"
        return "\(schema).\(message) of \(byteCount) bytes"
    }

    private static let nextStep =
        "Retrying cannot help; check that the producer writes the wire schema of this build."
}
