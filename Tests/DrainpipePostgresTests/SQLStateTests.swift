import DrainpipePostgres
import Testing

@Suite("SQLState and PostgresError")
struct SQLStateTests {
    @Test(
        "transient codes are retryable",
        arguments: [
            "08000", "08006", "08P01", "40001", "40P01", "57014", "57P01", "57P02", "57P03", "53000", "53100", "53300",
        ])
    func transient(code: String) {
        let state = SQLState(rawValue: code)
        #expect(state.isTransient)
        #expect(PostgresError.queryFailed(sqlState: state, message: "m").isRetryable)
        #expect(PostgresError.copyRejected(table: "t", sqlState: state, detail: "d").isRetryable)
    }

    @Test(
        "permanent codes are not retryable", arguments: ["23505", "22P02", "42P01", "3F000", "40002", "25P02"])
    func permanent(code: String) {
        let state = SQLState(rawValue: code)
        #expect(!state.isTransient)
        #expect(!PostgresError.queryFailed(sqlState: state, message: "m").isRetryable)
    }

    @Test("lost and refused connections are retryable; invalid values and libpq's own refusals are not")
    func otherCases() {
        #expect(PostgresError.connectFailed(host: "h:5432", reason: "refused").isRetryable)
        #expect(PostgresError.connectionLost(reason: "eof").isRetryable)
        #expect(!PostgresError.invalidValue(table: "t", reason: "r").isRetryable)
        #expect(!PostgresError.queryFailed(sqlState: nil, message: "m").isRetryable)
    }

    @Test("lost or refused connections and statement timeouts wait for the server, not bad data or constraint errors")
    func waitsForTheServer() {
        func waits(_ error: PostgresError) -> Bool { error.recovery == .waitForServer }
        #expect(waits(.connectFailed(host: "h:5432", reason: "refused")))
        #expect(waits(.connectionLost(reason: "eof")))
        #expect(waits(.queryFailed(sqlState: .queryCanceled, message: "statement timeout")))
        #expect(waits(.copyRejected(table: "t", sqlState: .queryCanceled, detail: "statement timeout")))
        #expect(!waits(.queryFailed(sqlState: .uniqueViolation, message: "m")))
        #expect(!waits(.invalidValue(table: "t", reason: "r")))
    }

    @Test("other failures are retried later, after a fix, or never")
    func otherRecoveries() {
        #expect(PostgresError.queryFailed(sqlState: .deadlockDetected, message: "m").recovery == .retryLater)
        #expect(PostgresError.copyRejected(table: "t", sqlState: .adminShutdown, detail: "d").recovery == .retryLater)
        #expect(PostgresError.queryFailed(sqlState: .uniqueViolation, message: "m").recovery == .retryAfterFix)
        #expect(PostgresError.queryFailed(sqlState: nil, message: "m").recovery == .retryAfterFix)
        #expect(PostgresError.invalidValue(table: "t", reason: "r").recovery == .unstorable)
    }

    @Test("descriptions withhold server messages that may quote row data")
    func withholdsData() {
        let secret = "owner-4b1e"
        let errors: [PostgresError] = [
            .queryFailed(sqlState: .uniqueViolation, message: "duplicate key (\(secret))"),
            .copyRejected(table: "metrics_20240101.dyno_load", sqlState: SQLState(rawValue: "22P02"), detail: secret),
        ]
        for error in errors {
            #expect(!error.description.contains(secret))
            #expect(error.description.contains("withheld"))
        }
        let schemaError = PostgresError.queryFailed(sqlState: .undefinedTable, message: "relation \"x\" does not exist")
        #expect(schemaError.description.contains("relation \"x\" does not exist"))
        #expect(schemaError.description.contains("42P01"))
    }

    @Test("descriptions say what to do next")
    func nextSteps() {
        #expect(
            PostgresError.queryFailed(sqlState: .deadlockDetected, message: "m").description.contains("retry later"))
        #expect(
            PostgresError.queryFailed(sqlState: .undefinedTable, message: "m").description.contains("will not help"))
        #expect(PostgresError.connectFailed(host: "h", reason: "r").description.contains("deploy/start-postgres"))
    }
}
