import DrainpipePostgres
import Logging
import Testing

@Suite("PQConnection against Postgres", .timeLimit(.minutes(1)))
struct PQConnectionTests {
    @Test("runs parameterised queries and copies text results, NULL included")
    func parameters() throws {
        let connection = try PostgresTestDatabase.connect()
        let hostile = "x'\"\\\t\n\r é📈 $2 %s"
        let rows = try connection.query(
            "SELECT $1::text AS a, $2::text AS b, $3::int + 1 AS c", parameters: [hostile, nil, "41"])
        #expect(rows.columnNames == ["a", "b", "c"])
        #expect(rows.rows == [[hostile, nil, "42"]])
        #expect(rows.columnIndex(named: "c") == 2)
    }

    @Test("reports a unique violation as a permanent failure whose description withholds the key")
    func uniqueViolation() throws {
        let connection = try PostgresTestDatabase.connect()
        try connection.execute("CREATE TEMP TABLE keys (k text PRIMARY KEY)")
        _ = try connection.query("INSERT INTO keys VALUES ($1)", parameters: ["secret-key-value"])
        #expect {
            try connection.query("INSERT INTO keys VALUES ($1)", parameters: ["secret-key-value"])
        } throws: { error in
            guard let error = error as? PostgresError, case .queryFailed(.uniqueViolation?, _) = error else {
                return false
            }
            return !error.isRetryable && !error.description.contains("secret-key-value")
        }
        #expect(try connection.query("SELECT count(*) FROM keys").rows == [["1"]])
    }

    @Test("refuses a parameter containing NUL before sending it")
    func nulParameter() throws {
        let connection = try PostgresTestDatabase.connect()
        #expect {
            try connection.query("SELECT $1::text", parameters: ["a\u{0}b"])
        } throws: { error in
            (error as? PostgresError)?.sqlState == .characterNotInRepertoire
        }
        #expect(connection.isHealthy)
    }

    @Test("commits a transaction's work, and rolls it back when a statement fails")
    func transactions() throws {
        let connection = try PostgresTestDatabase.connect()
        try connection.execute("CREATE TEMP TABLE items (n int PRIMARY KEY)")
        let returned = try connection.transaction { () throws(PostgresError) in
            try connection.execute("INSERT INTO items VALUES (1)")
            return "done"
        }
        #expect(returned == "done")
        #expect(throws: PostgresError.self) {
            try connection.transaction { () throws(PostgresError) in
                try connection.execute("INSERT INTO items VALUES (2)")
                try connection.execute("INSERT INTO items VALUES (1)")  // duplicate key
            }
        }
        #expect(try connection.query("SELECT n FROM items ORDER BY n").rows == [["1"]])
    }

    @Test("refuses to commit when the body swallowed a failed statement")
    func swallowedFailure() throws {
        let connection = try PostgresTestDatabase.connect()
        #expect {
            try connection.transaction { () throws(PostgresError) in
                _ = try? connection.execute("SELECT 1/0")
            }
        } throws: { error in
            (error as? PostgresError)?.sqlState == .inFailedTransaction
        }
        #expect(try connection.query("SELECT 1").rows == [["1"]])
    }

    @Test("copies rows in with COPY and reports a refused row as copyRejected, leaving the session usable")
    func copy() throws {
        let connection = try PostgresTestDatabase.connect()
        try connection.execute("CREATE TEMP TABLE copied (t text, n int)")
        var encoder = CopyTextEncoder()
        let values = ["plain", "tab\there", "line\nbreak", "back\\slash", "\\N", "", "é📈"]
        for (index, value) in values.enumerated() { encoder.appendRow([value, String(index)]) }
        encoder.appendRow([nil, nil])
        try connection.copyIn("COPY copied (t, n) FROM STDIN", table: "copied", data: encoder.bytes)
        let rows = try connection.query("SELECT t, n FROM copied ORDER BY n NULLS LAST").rows
        #expect(rows == values.enumerated().map { [$0.element, String($0.offset)] } + [[nil, nil]])

        #expect {
            try connection.copyIn(
                "COPY copied (t, n) FROM STDIN", table: "copied", data: Array("a\tnot-a-number\n".utf8))
        } throws: { error in
            guard let error = error as? PostgresError, case .copyRejected("copied", let state, _) = error else {
                return false
            }
            return state?.rawValue == "22P02" && !error.description.contains("not-a-number")
        }
        #expect(throws: PostgresError.self) {
            try connection.copyIn("COPY no_such_table FROM STDIN", table: "no_such_table", data: [])
        }
        #expect(try connection.query("SELECT count(*) FROM copied").rows == [["8"]])
    }

    @Test("notices a terminated session, reports it as retryable, and recovers with reset")
    func lostConnection() throws {
        let victim = try PostgresTestDatabase.connect()
        let killer = try PostgresTestDatabase.connect()
        let pid = try #require(try victim.query("SELECT pg_backend_pid()").rows.first?.first ?? nil)
        _ = try killer.query("SELECT pg_terminate_backend($1::int, 10000)", parameters: [pid])
        #expect {
            try victim.query("SELECT 1")
        } throws: { error in
            guard let error = error as? PostgresError, case .connectionLost = error else { return false }
            return error.isRetryable
        }
        #expect(!victim.isHealthy)
        try victim.reset()
        #expect(victim.isHealthy)
        #expect(try victim.query("SELECT 1").rows == [["1"]])
    }

    @Test("fails to connect to a closed port with a retryable error that names the endpoint, not the password")
    func connectFailure() throws {
        var url = try PostgresTestDatabase.url()
        url.host = "127.0.0.1"
        url.port = 1
        url.password = "pw-secret-value"
        #expect {
            try PQConnection(url: url, connectTimeout: .seconds(2), logger: Logger(label: "test"))
        } throws: { error in
            guard let error = error as? PostgresError, case .connectFailed(let host, _) = error else { return false }
            return host == "127.0.0.1:1" && error.isRetryable && !error.description.contains("pw-secret-value")
        }
    }

    @Test("a session runs bodies off the cooperative pool and reopens itself after a failure")
    func session() async throws {
        let session = try await PostgresTestDatabase.session()
        let pid = try await session.run { connection throws(PostgresError) in
            try connection.query("SELECT pg_backend_pid()").rows.first?.first ?? nil
        }
        let killer = try PostgresTestDatabase.connect()
        _ = try killer.query("SELECT pg_terminate_backend($1::int, 10000)", parameters: [pid])
        await #expect(throws: PostgresError.self) {
            try await session.run { connection throws(PostgresError) in try connection.execute("SELECT 1") }
        }
        let newPID = try await session.run { connection throws(PostgresError) in
            try connection.query("SELECT pg_backend_pid()").rows.first?.first ?? nil
        }
        #expect(newPID != nil && newPID != pid)
    }
}
