import DrainpipeCore
import DrainpipePostgres
import Foundation
import Logging

/// The Postgres server the integration tests use, named by `TEST_DATABASE_URL`.
///
/// Without it every test fails (never skips) with instructions to start the private test server.
enum PostgresTestDatabase {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String
    }

    static func url() throws -> DatabaseURL {
        let name = "TEST_DATABASE_URL"
        guard let text = ProcessInfo.processInfo.environment[name], !text.isEmpty else {
            throw NotConfigured(
                description: """
                    \(name) is not set, so the Postgres integration tests cannot run. Run the tests through \
                    `deploy/test`, which starts a private Postgres and sets it; or start one with \
                    `deploy/start-postgres drainpipe_test` (it prints the URL) and set \(name) to that URL.
                    """)
        }
        do {
            return try DatabaseURL(environmentValue: text)
        } catch {
            throw NotConfigured(description: "\(name) is malformed: expected \(error.expected).")
        }
    }

    /// A new connection of the test's own; tests run in parallel and never share one.
    static func connect() throws -> PQConnection {
        try PQConnection(url: url(), connectTimeout: .seconds(5), logger: Logger(label: "drainpipe.tests.postgres"))
    }

    /// A new session (connection plus its own queue) for async tests.
    static func session() async throws -> PostgresSession {
        try await PostgresSession.connect(
            to: url(), connectTimeout: .seconds(5), logger: Logger(label: "drainpipe.tests.postgres"))
    }

    /// An owner no other test or earlier run uses, so parallel tests never see each other's rows.
    static func uniqueOwner(_ label: String) -> String {
        "\(label)-\(UUID().uuidString.lowercased())"
    }
}
