/// A five-character SQLSTATE error code reported by Postgres (`23505`, `40001`…).
///
/// The first two characters are the class; ``isTransient`` classifies codes for the retry path.
package struct SQLState: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    package var rawValue: String

    package init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The two-character class (`08` for connection exceptions, `23` for integrity violations…).
    package var classCode: Substring { rawValue.prefix(2) }

    /// Whether the same statement may succeed if tried again later, unchanged.
    ///
    /// True for connection exceptions (class 08), serialization failures and deadlocks (40001, 40P01), statement
    /// timeouts (57014), administrator shutdowns and crash recovery (57P01, 57P02, 57P03) and insufficient resources
    /// (class 53).
    package var isTransient: Bool {
        switch classCode {
        case "08", "53": true
        default: Self.transientCodes.contains(self)
        }
    }

    /// Whether the server's message for this code may quote the rejected value (data exceptions, class 22, and
    /// integrity violations, class 23), so it must not reach logs.
    package var mayQuoteData: Bool { classCode == "22" || classCode == "23" }

    package var description: String { rawValue }

    private static let transientCodes: Set<SQLState> = [
        .serializationFailure, .deadlockDetected, .queryCanceled, .adminShutdown, .crashShutdown, .cannotConnectNow,
    ]
}

// MARK: - Named codes

extension SQLState {
    /// `22021`: a byte sequence that is invalid in the database encoding, such as a NUL character.
    package static let characterNotInRepertoire = SQLState(rawValue: "22021")
    /// `23505`: a unique or primary-key constraint was violated.
    package static let uniqueViolation = SQLState(rawValue: "23505")
    /// `25P02`: a statement was sent inside a transaction that had already failed.
    package static let inFailedTransaction = SQLState(rawValue: "25P02")
    /// `3F000`: the schema does not exist.
    package static let invalidSchemaName = SQLState(rawValue: "3F000")
    /// `40001`: a serializable transaction could not be committed.
    package static let serializationFailure = SQLState(rawValue: "40001")
    /// `40P01`: the transaction was chosen as a deadlock victim.
    package static let deadlockDetected = SQLState(rawValue: "40P01")
    /// `42P01`: the table does not exist.
    package static let undefinedTable = SQLState(rawValue: "42P01")
    /// `42P06`: the schema already exists.
    package static let duplicateSchema = SQLState(rawValue: "42P06")
    /// `42P07`: the table already exists.
    package static let duplicateTable = SQLState(rawValue: "42P07")
    /// `57014`: the statement was cancelled, by `statement_timeout` or a cancel request.
    package static let queryCanceled = SQLState(rawValue: "57014")
    /// `57P01`: the server is shutting down at an administrator's request.
    package static let adminShutdown = SQLState(rawValue: "57P01")
    /// `57P02`: the server is restarting after another backend crashed.
    package static let crashShutdown = SQLState(rawValue: "57P02")
    /// `57P03`: the server is starting up or in recovery and does not accept connections yet.
    package static let cannotConnectNow = SQLState(rawValue: "57P03")
}
