/// A query that cannot be answered: a malformed path pattern, time, target expression or function call.
///
/// Every case but `unplannedFetch` is the client's fault (an HTTP 400); `description` is one line that names what
/// was wrong and where, and never mentions stored series, so it reveals nothing about other tenants.
package struct QueryError: Error, Sendable, Hashable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        /// A Graphite path pattern (`a.{b,c}.*`) that does not parse.
        case malformedPattern
        /// A `from`/`until` value or an interval string (`'5min'`) that does not parse.
        case malformedTime
        /// A target expression that does not parse; `position` is the 0-based character offset of the problem.
        case malformedTarget(position: Int)
        /// A function that does not exist, or a call with arguments of the wrong number, type or value.
        case invalidCall(function: String)
        /// The evaluator needed a fetch its caller did not supply: a programming error (an HTTP 500), not the
        /// client's.
        case unplannedFetch
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}
