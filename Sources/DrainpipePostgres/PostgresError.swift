/// Failures of the libpq layer. Each description names the next thing to check and never quotes row data or
/// passwords.
///
/// The associated `message` and `detail` strings are the server's own words and may quote rejected values for
/// data exceptions; log the error through `description`, which withholds them for those codes.
package enum PostgresError: Error, Sendable, CustomStringConvertible {
    /// No session could be established.
    case connectFailed(host: String, reason: String)
    /// A statement failed; `sqlState` is nil when libpq itself rejected it before the server saw it.
    case queryFailed(sqlState: SQLState?, message: String)
    /// The server refused the rows of a `COPY … FROM STDIN`.
    case copyRejected(table: String, sqlState: SQLState?, detail: String)
    /// The session broke during a call; whether the last statement took effect is unknown.
    case connectionLost(reason: String)
    /// A value cannot be represented in its table, so the server was never asked.
    case invalidValue(table: String, reason: String)

    /// What a caller does about a failure: the one classification that the sinks, the shard gates and
    /// ``isRetryable`` follow.
    package enum Recovery: Sendable, Hashable {
        /// The server is down, unreachable or hung (no session, a lost session, a statement it timed out): stop
        /// calling it for a while, then retry the work.
        case waitForServer
        /// A transient failure of the statement (serialization failure, deadlock, shutdown, lack of resources,
        /// a connection exception the server reported): retry the work later, unchanged.
        case retryLater
        /// The server refused the work and will refuse it again until its schema or data change (a constraint,
        /// a missing table): keep the work for a later retry, which succeeds only after that fix.
        case retryAfterFix
        /// A value no table can hold, found before the server was asked: no attempt can ever store it.
        case unstorable
    }

    package var recovery: Recovery {
        switch self {
        case .connectFailed, .connectionLost: .waitForServer
        case .queryFailed(let state, _), .copyRejected(_, let state, _):
            if state == .queryCanceled {
                .waitForServer
            } else if state?.isTransient ?? false {
                .retryLater
            } else {
                .retryAfterFix
            }
        case .invalidValue: .unstorable
        }
    }

    /// Whether the same work may succeed if tried again later, unchanged.
    package var isRetryable: Bool { recovery == .waitForServer || recovery == .retryLater }

    /// The SQLSTATE the server reported, if any.
    package var sqlState: SQLState? {
        switch self {
        case .queryFailed(let state, _), .copyRejected(_, let state, _): state
        case .connectFailed, .connectionLost, .invalidValue: nil
        }
    }

    package var description: String {
        switch self {
        case .connectFailed(let host, let reason):
            return "Cannot connect to Postgres at \(host): \(reason). Check DATABASE_URL, that the server is running "
                + "(locally: deploy/start-postgres) and that its SSL mode is accepted."
        case .queryFailed(let state, let message):
            return "Postgres rejected a statement (\(Self.code(state))): \(Self.withholdingData(message, state)). "
                + nextStep
        case .copyRejected(let table, let state, let detail):
            return "COPY into \(table) rejected (\(Self.code(state))): \(Self.withholdingData(detail, state)). "
                + nextStep
        case .connectionLost(let reason):
            return "Postgres connection lost (\(reason)). The batch goes to the retry path; no action is needed "
                + "unless this repeats."
        case .invalidValue(let table, let reason):
            return "A row for \(table) cannot be stored or read: \(reason). Retrying will not help; fix the producer "
                + "of the value or the table definition."
        }
    }

    private var nextStep: String {
        isRetryable
            ? "This is transient; retry later."
            : "Retrying will not help; if the schema changed, run migrations before restarting."
    }

    private static func code(_ state: SQLState?) -> String {
        state.map { "SQLSTATE \($0.rawValue)" } ?? "reported by libpq"
    }

    private static func withholdingData(_ text: String, _ state: SQLState?) -> String {
        guard let state, state.mayQuoteData else { return text }
        return "a value was refused (class \(state.classCode); the server's message is withheld because it may "
            + "quote row data)"
    }
}
