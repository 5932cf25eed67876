import Dispatch
import Logging

/// A `PQConnection` with its own serial dispatch queue, so that blocking libpq calls never run on Swift's
/// cooperative pool and the connection is never used from two threads at once.
///
/// Create one session per database and per concurrent writer; a session runs one body at a time.
package final class PostgresSession: @unchecked Sendable {  // safe: `connection` is touched only on `queue`
    private let queue: DispatchQueue
    private let connection: PQConnection

    private init(queue: DispatchQueue, connection: PQConnection) {
        self.queue = queue
        self.connection = connection
    }

    /// Opens a session, connecting on the session's own queue; `statementTimeout` as for `PQConnection`.
    ///
    /// - Throws: `.connectFailed`.
    package static func connect(
        to url: DatabaseURL, connectTimeout: Duration = .seconds(10), statementTimeout: Duration? = nil, logger: Logger
    ) async throws(PostgresError) -> PostgresSession {
        let queue = DispatchQueue(label: "drainpipe.postgres.\(url.endpoint)")
        let connection = try await onQueue(queue) { () throws(PostgresError) in
            ConnectionBox(
                try PQConnection(
                    url: url, connectTimeout: connectTimeout, statementTimeout: statementTimeout, logger: logger))
        }
        return PostgresSession(queue: queue, connection: connection.connection)
    }

    /// Runs `body` with the connection on the session's queue, first reopening the session if the last call broke
    /// it or left it inside a transaction.
    ///
    /// The calling task suspends until `body` returns. Cancelling the task does not interrupt a running statement.
    @discardableResult
    package func run<Value: Sendable>(
        _ body: @escaping @Sendable (PQConnection) throws(PostgresError) -> Value
    ) async throws(PostgresError) -> Value {
        try await Self.onQueue(queue) { () throws(PostgresError) in
            let connection = self.connection
            if !connection.isIdle {
                try connection.reset()  // broken, or left inside a transaction or COPY by a failed call
            }
            return try body(connection)
        }
    }

    private static func onQueue<Value: Sendable>(
        _ queue: DispatchQueue, _ work: @escaping @Sendable () throws(PostgresError) -> Value
    ) async throws(PostgresError) -> Value {
        let result = await withCheckedContinuation {
            (continuation: CheckedContinuation<Result<Value, PostgresError>, Never>) in
            queue.async {
                continuation.resume(returning: Result { () throws(PostgresError) in try work() })
            }
        }
        return try result.get()
    }
}

/// Carries a freshly made connection off the queue that created it; nothing else holds it at that point.
private struct ConnectionBox: @unchecked Sendable {
    let connection: PQConnection

    init(_ connection: PQConnection) {
        self.connection = connection
    }
}
