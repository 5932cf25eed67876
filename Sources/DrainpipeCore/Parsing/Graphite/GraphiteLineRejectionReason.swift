/// Why one Graphite plaintext line was dropped (formats.md §6, Drainpipe's stricter per-line rules).
package enum GraphiteLineRejectionReason: Int, Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Not exactly three whitespace-separated fields (`path value timestamp`).
    case wrongFieldCount
    /// The path is empty, starts or ends with a dot, or has an empty segment (`a..b`).
    case emptyPathSegment
    /// A path byte outside `[A-Za-z0-9_-:]` and the dots between segments (tags, spaces, `/`, non-ASCII).
    case invalidPathCharacter
    /// The path is longer than the parser's limit.
    case pathTooLong
    /// The value is not a decimal number, or is NaN or infinite.
    case badValue
    /// The value's magnitude is beyond what summaries can add up exactly enough (see `GraphiteLineParser`).
    case valueOutOfRange
    /// The timestamp is not a whole number of Unix seconds (fractions, text, milliseconds with a dot…).
    case timestampNotInteger
    /// The timestamp lies outside the accepted window around the receive time.
    case timestampOutOfWindow
    /// The tenant asked for the naming convention and the path does not follow it.
    case namingConvention
    /// The line is longer than the line limit (16 384 bytes on TCP, like Carbon's receiver).
    case lineTooLong

    /// Singular noun phrase, e.g. for "1 bad value".
    package var description: String {
        switch self {
        case .wrongFieldCount: "line without exactly three fields"
        case .emptyPathSegment: "path with an empty segment"
        case .invalidPathCharacter: "path with an invalid character"
        case .pathTooLong: "path too long"
        case .badValue: "bad value"
        case .valueOutOfRange: "value out of range"
        case .timestampNotInteger: "timestamp not in whole seconds"
        case .timestampOutOfWindow: "timestamp outside the accepted window"
        case .namingConvention: "path breaking the naming convention"
        case .lineTooLong: "line too long"
        }
    }

    /// The label of this reason in the `drainpipe_graphite_lines_rejected_total` counter.
    package var metricLabel: String {
        switch self {
        case .wrongFieldCount: "field_count"
        case .emptyPathSegment: "empty_segment"
        case .invalidPathCharacter: "path_character"
        case .pathTooLong: "path_too_long"
        case .badValue: "bad_value"
        case .valueOutOfRange: "value_range"
        case .timestampNotInteger: "timestamp_not_integer"
        case .timestampOutOfWindow: "timestamp_window"
        case .namingConvention: "naming_convention"
        case .lineTooLong: "line_too_long"
        }
    }
}
