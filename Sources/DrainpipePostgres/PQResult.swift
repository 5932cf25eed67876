// DrainpipePostgres/PQResult.swift — the only owner of a PGresult.
//
// Invariants: a PQResult adopts exactly one PGresult and clears it in deinit; everything it hands out (rows, column
// names, error fields) is copied into Swift values first, so nothing returned refers to libpq memory.
internal import CLibPQ

/// One libpq result, freed with `PQclear` when released. Used only by `PQConnection`.
final class PQResult {
    private let handle: OpaquePointer

    /// Takes ownership of a result returned by `PQexec`, `PQexecParams` or `PQgetResult`.
    init(adopting handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    var status: ExecStatusType { PQresultStatus(handle) }

    /// The error's SQLSTATE; nil for results libpq made up itself (lost connections, protocol errors).
    var sqlState: SQLState? {
        errorField(Int32(UInt8(ascii: "C"))).map { SQLState(rawValue: $0) }  // PG_DIAG_SQLSTATE
    }

    /// The server's primary message plus its detail, or libpq's own message; whitespace collapsed.
    var errorMessage: String {
        guard let primary = errorField(Int32(UInt8(ascii: "M"))) else {  // PG_DIAG_MESSAGE_PRIMARY
            let message = String(cString: PQresultErrorMessage(handle))
            return Self.oneLine(message.isEmpty ? "no error message" : message)
        }
        guard let detail = errorField(Int32(UInt8(ascii: "D"))) else { return Self.oneLine(primary) }  // DETAIL
        return Self.oneLine("\(primary) (\(detail))")
    }

    /// Rows affected by the command, from `PQcmdTuples`; nil when the command reports none.
    var affectedRowCount: Int? {
        Int(String(cString: PQcmdTuples(handle)))
    }

    /// Copies every row into Swift strings (NULL becomes nil).
    func rows() -> PQRows {
        let columnCount = PQnfields(handle)
        let rowCount = PQntuples(handle)
        let columnNames = (0..<columnCount).map { String(cString: PQfname(handle, $0)) }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            rows.append(
                (0..<columnCount).map { column in
                    guard PQgetisnull(handle, row, column) == 0, let value = PQgetvalue(handle, row, column) else {
                        return nil
                    }
                    let length = Int(PQgetlength(handle, row, column))
                    let bytes = UnsafeRawBufferPointer(start: value, count: length)
                    return String(decoding: bytes, as: UTF8.self)
                })
        }
        return PQRows(columnNames: columnNames, rows: rows, affectedRowCount: affectedRowCount)
    }

    private func errorField(_ code: Int32) -> String? {
        PQresultErrorField(handle, code).map { String(cString: $0) }
    }

    /// libpq messages end in newlines and may span lines; logs want one line.
    static func oneLine(_ message: String) -> String {
        message.split(whereSeparator: \.isNewline).map { $0.trimmingPrefix(while: \.isWhitespace) }
            .joined(separator: " ").trimmingSuffix()
    }
}

extension StringProtocol {
    fileprivate func trimmingSuffix() -> String {
        String(self[..<(lastIndex(where: { !$0.isWhitespace }).map(index(after:)) ?? startIndex)])
    }
}
