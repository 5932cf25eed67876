/// Why one framed drain line was rejected as a whole (formats.md Decision 3: a line is all or nothing).
package enum LineRejectionReason: Int, Error, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The line that would have been used is not valid UTF-8; the whole frame is dropped.
    case invalidUTF8
    /// PRI, VERSION or one of HOSTNAME, APP-NAME, PROCID, MSGID is missing or malformed.
    case badSyslogHeader
    /// TIMESTAMP is not a valid RFC 3339 time.
    case badTimestamp
    /// A value is not `DIGITS ["." DIGITS]` (a sign, exponent, NaN, or an absurd magnitude).
    case badNumber
    /// A value carries a unit suffix its key does not allow.
    case unknownUnit
    /// A required key is absent or has no value.
    case missingField
    /// A key the parser reads appears more than once.
    case duplicateField
    /// The `source` value (or a router line's `dyno`) does not start with a valid process type.
    case invalidSource
    /// An error code is not `[HR]` and two digits, or a router line's `protocol` is not a short lower-case token.
    case badToken
    /// An l2met metric name is empty, longer than 128 bytes, or has a byte outside `[A-Za-z0-9._:/-]`.
    case badMetricName
    /// An l2met line names the same metric twice, so its measurements could not be told apart on retries.
    case duplicateMetric
    /// The message of a line that would be measured is 10 000 bytes or longer: the platform splits longer output
    /// into 10 000-byte pieces, so such a line is a fragment or was not written by Heroku.
    case lineTooLong
    /// A line that starts like a platform event (`Release `, `State changed`…) but whose words do not follow the
    /// event's shape (docs/events.md).
    case malformedEvent

    /// Singular noun phrase, e.g. for "1 bad number".
    package var description: String {
        switch self {
        case .invalidUTF8: "line with invalid UTF-8"
        case .badSyslogHeader: "bad syslog header"
        case .badTimestamp: "bad timestamp"
        case .badNumber: "bad number"
        case .unknownUnit: "unknown unit"
        case .missingField: "missing field"
        case .duplicateField: "duplicate field"
        case .invalidSource: "invalid source"
        case .badToken: "bad token"
        case .badMetricName: "bad metric name"
        case .duplicateMetric: "duplicate metric"
        case .lineTooLong: "line too long"
        case .malformedEvent: "malformed platform event"
        }
    }

    /// Plural noun phrase, e.g. for "2 bad numbers".
    package var pluralDescription: String {
        switch self {
        case .invalidUTF8: "lines with invalid UTF-8"
        case .lineTooLong: "lines too long"
        default: description + "s"
        }
    }
}
