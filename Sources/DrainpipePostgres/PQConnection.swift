// DrainpipePostgres/PQConnection.swift — the only owner of a PGconn.
//
// Invariants: the PGconn is created in init and finished in deinit, and never leaves this file. Every PGresult is
// adopted by a PQResult immediately, so it is cleared on every path. All calls block the calling thread, and libpq
// allows one thread at a time per connection: callers serialise access (PostgresSession does, on its own queue).
internal import CLibPQ
import Logging

/// One libpq session with a Postgres server.
///
/// Not thread-safe and blocking: use it from one thread at a time, off Swift's cooperative pool (see
/// ``PostgresSession``). Server notices are logged at debug level.
package final class PQConnection {
    private let handle: OpaquePointer
    private let endpoint: String
    private let logger: Logger

    /// Connects, blocking until the session is ready or `connectTimeout` (whole seconds, at least 2) has passed.
    ///
    /// - Parameter statementTimeout: when set, the server cancels any statement running longer (SQLSTATE 57014),
    ///   and libpq gives up on a socket whose sent data stays unacknowledged that long (`tcp_user_timeout`), so a
    ///   call never blocks much longer than this on a hung or unreachable server. It is part of the connection
    ///   settings, so it survives ``reset()``.
    /// - Throws: `.connectFailed` when the server cannot be reached or refuses the session.
    package init(
        url: DatabaseURL, connectTimeout: Duration = .seconds(10), statementTimeout: Duration? = nil, logger: Logger
    ) throws(PostgresError) {
        let seconds = max(2, (connectTimeout + .nanoseconds(999_999_999)).components.seconds)
        var url = url
        if let statementTimeout {
            let milliseconds = max(1, Int64((statementTimeout / .milliseconds(1)).rounded(.up)))
            url.parameters["options"] = [url.parameters["options"], "-c statement_timeout=\(milliseconds)"]
                .compactMap { $0 }.joined(separator: " ")
            url.parameters["tcp_user_timeout"] = url.parameters["tcp_user_timeout"] ?? String(milliseconds)
        }
        let conninfo = url.conninfo + " connect_timeout='\(seconds)' client_encoding='UTF8'"
        guard let handle = PQconnectdb(conninfo) else {
            throw .connectFailed(host: url.endpoint, reason: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = PQResult.oneLine(String(cString: PQerrorMessage(handle)))
            PQfinish(handle)
            throw .connectFailed(host: url.endpoint, reason: reason)
        }
        self.handle = handle
        self.endpoint = url.endpoint
        self.logger = logger
        // The context is unretained: the PGconn, and with it the processor, dies in deinit before self does.
        PQsetNoticeProcessor(
            handle,
            { context, message in
                guard let context, let message else { return }
                let connection = Unmanaged<PQConnection>.fromOpaque(context).takeUnretainedValue()
                connection.logger.debug(
                    "postgres notice", metadata: ["notice": "\(PQResult.oneLine(String(cString: message)))"])
            },
            Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        PQfinish(handle)
    }

    // MARK: - Health

    /// Whether the last call left the session usable. A dead socket is noticed only by the next call.
    package var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Whether the session is connected and outside any transaction or COPY, ready for the next unit of work.
    package var isIdle: Bool { isHealthy && PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// Closes and reopens the session with the same settings (`PQreset`), blocking like `init`.
    ///
    /// - Throws: `.connectFailed` when the server cannot be reached.
    package func reset() throws(PostgresError) {
        PQreset(handle)
        guard isHealthy else {
            throw .connectFailed(host: endpoint, reason: PQResult.oneLine(String(cString: PQerrorMessage(handle))))
        }
    }

    // MARK: - Statements

    /// Runs one or more statements without parameters (`PQexec`), discarding any rows.
    ///
    /// Several statements separated by semicolons run in one implicit transaction.
    package func execute(_ sql: String) throws(PostgresError) {
        _ = try checked(PQexec(handle, sql), expecting: [PGRES_COMMAND_OK, PGRES_TUPLES_OK])
    }

    /// Runs one statement with text parameters `$1…$n` (`PQexecParams`) and copies its rows.
    ///
    /// A nil parameter is SQL NULL; parameter types are inferred by the server from the statement.
    /// - Throws: `.queryFailed` (with SQLSTATE 22021 for a parameter containing a NUL character, which Postgres text
    ///   cannot hold), `.connectionLost`.
    package func query(_ sql: String, parameters: [String?] = []) throws(PostgresError) -> PQRows {
        guard parameters.count <= Int(UInt16.max) else {
            throw .queryFailed(sqlState: nil, message: "\(parameters.count) parameters exceed the protocol's 65535")
        }
        if let position = parameters.firstIndex(where: { $0?.utf8.contains(0) ?? false }) {
            throw .queryFailed(
                sqlState: .characterNotInRepertoire,
                message: "parameter $\(position + 1) contains a NUL character, which Postgres text cannot hold")
        }
        let values = parameters.map { $0.map(Self.copiedCString) }
        defer {
            for value in values { value?.deallocate() }
        }
        let result = values.map { UnsafePointer($0) }.withUnsafeBufferPointer { pointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, pointers.baseAddress, nil, nil, 0)
        }
        return try checked(result, expecting: [PGRES_TUPLES_OK, PGRES_COMMAND_OK]).rows()
    }

    /// Runs `COPY … FROM STDIN` and streams `data` (already in the statement's format) to the server.
    ///
    /// - Parameter table: the table to name in errors.
    /// - Throws: `.copyRejected` when the statement or any row is refused, `.connectionLost`.
    package func copyIn(_ sql: String, table: String, data: [UInt8]) throws(PostgresError) {
        do {
            _ = try checked(PQexec(handle, sql), expecting: [PGRES_COPY_IN])
        } catch {
            throw Self.asCopyRejection(error, table: table)
        }
        let chunkSize = 64 * 1024
        let sent = data.withUnsafeBufferPointer { buffer in
            stride(from: 0, to: buffer.count, by: chunkSize).allSatisfy { offset in
                let length = min(chunkSize, buffer.count - offset)
                return buffer.baseAddress.map { PQputCopyData(handle, $0 + offset, Int32(length)) == 1 } ?? true
            }
        }
        guard sent, PQputCopyEnd(handle, nil) == 1 else {
            let reason = PQResult.oneLine(String(cString: PQerrorMessage(handle)))
            abandonCopy(PGRES_COPY_IN)  // leave COPY mode, so the session is usable (or visibly broken) afterwards
            throw .connectionLost(reason: reason)
        }
        do {
            _ = try checked(PQgetResult(handle), expecting: [PGRES_COMMAND_OK])
        } catch {
            throw Self.asCopyRejection(error, table: table)
        }
    }

    // MARK: - Transactions

    /// Runs `body` between `BEGIN` and `COMMIT`; rolls back and rethrows when `body` or the commit fails.
    ///
    /// Transactions do not nest: starting one inside another throws `.connectionLost` (reset the session). If `body`
    /// swallowed a failed statement, the commit is refused with SQLSTATE 25P02.
    package func transaction<Value>(_ body: () throws(PostgresError) -> Value) throws(PostgresError) -> Value {
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: break
        case PQTRANS_UNKNOWN: throw .connectionLost(reason: "the session is closed; reset it before a transaction")
        default:
            throw .connectionLost(
                reason: "the session is still inside a transaction or COPY; reset it before a new transaction")
        }
        try execute("BEGIN")
        do throws(PostgresError) {
            let value = try body()
            guard PQtransactionStatus(handle) == PQTRANS_INTRANS else {
                throw .queryFailed(
                    sqlState: .inFailedTransaction,
                    message: "a statement inside the transaction failed and its error was not propagated")
            }
            try execute("COMMIT")
            return value
        } catch {
            let status = PQtransactionStatus(handle)
            if status == PQTRANS_INTRANS || status == PQTRANS_INERROR {
                try? execute("ROLLBACK")  // best effort: the original error is the one to report
            }
            throw error
        }
    }

    // MARK: - Results

    /// Adopts `result`, drains any further results, and throws unless its status is one of `expecting`.
    private func checked(_ result: OpaquePointer?, expecting: [ExecStatusType]) throws(PostgresError) -> PQResult {
        guard let result else {
            throw lostOrFailed(sqlState: nil, message: PQResult.oneLine(String(cString: PQerrorMessage(handle))))
        }
        let adopted = PQResult(adopting: result)
        let status = adopted.status
        if status != PGRES_COPY_IN {
            drainPendingResults()
        }
        if expecting.contains(status) { return adopted }
        switch status {
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            abandonCopy(status)
            throw .queryFailed(sqlState: nil, message: "the statement started a COPY; use copyIn for COPY FROM STDIN")
        case PGRES_EMPTY_QUERY:
            throw .queryFailed(sqlState: nil, message: "the statement was empty")
        default:
            throw lostOrFailed(sqlState: adopted.sqlState, message: adopted.errorMessage)
        }
    }

    private func lostOrFailed(sqlState: SQLState?, message: String) -> PostgresError {
        isHealthy ? .queryFailed(sqlState: sqlState, message: message) : .connectionLost(reason: message)
    }

    /// Reads and clears results until libpq reports none, so the session is ready for the next command.
    private func drainPendingResults() {
        while let next = PQgetResult(handle) {
            let status = PQresultStatus(next)
            PQclear(next)
            guard status != PGRES_COPY_IN, status != PGRES_COPY_OUT, status != PGRES_COPY_BOTH else {
                abandonCopy(status)
                return
            }
        }
    }

    /// Ends a COPY that was started by mistake, discarding any data, and drains its results.
    private func abandonCopy(_ status: ExecStatusType) {
        if status == PGRES_COPY_IN || status == PGRES_COPY_BOTH {
            _ = PQputCopyEnd(handle, "COPY abandoned by the client")
        }
        if status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
            var buffer: UnsafeMutablePointer<CChar>?
            while PQgetCopyData(handle, &buffer, 0) > 0 {
                PQfreemem(buffer)
            }
        }
        drainPendingResults()
    }

    /// A NUL-terminated copy of `text` that the caller deallocates.
    private static func copiedCString(_ text: String) -> UnsafeMutablePointer<CChar> {
        let bytes = text.utf8CString
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        bytes.withUnsafeBufferPointer { copy.initialize(from: $0.baseAddress!, count: $0.count) }
        return copy
    }

    private static func asCopyRejection(_ error: PostgresError, table: String) -> PostgresError {
        guard case .queryFailed(let state, let message) = error else { return error }
        return .copyRejected(table: table, sqlState: state, detail: message)
    }
}
