import DrainpipePostgres
import Foundation
import Logging

/// A database of one test's own on the test server (`TEST_DATABASE_URL`), for tests that take a shard down or
/// drop day schemas, which must never disturb the databases other tests share.
///
/// Created empty; `drop()` removes it, terminating its sessions. The test user must be allowed to create
/// databases and to alter and terminate its own (the private server of `deploy/test` runs as a superuser).
struct ScratchDatabase: Sendable {
    let name: String
    let url: DatabaseURL
    /// The URL as `DATABASE_URL` spells it, for child processes.
    let urlText: String

    /// Creates `drainpipe_<label>_<random>`.
    static func create(_ label: String) throws -> ScratchDatabase {
        let name = "drainpipe_\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        try PostgresTestDatabase.connect().execute("CREATE DATABASE \(name)")
        var url = try PostgresTestDatabase.url()
        url.database = name
        var components = URLComponents(string: ProcessInfo.processInfo.environment["TEST_DATABASE_URL"] ?? "")
        components?.path = "/\(name)"
        return ScratchDatabase(name: name, url: url, urlText: components?.string ?? "")
    }

    /// Refuses new sessions and ends the open ones, as if the server had gone away: every client call fails.
    func refuseConnections() throws {
        let admin = try PostgresTestDatabase.connect()
        try admin.execute("ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
        _ = try admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            parameters: [name])
    }

    /// Accepts sessions again.
    func allowConnections() throws {
        try PostgresTestDatabase.connect().execute("ALTER DATABASE \(name) ALLOW_CONNECTIONS true")
    }

    /// Drops the database with whatever sessions are still open on it.
    func drop() throws {
        try PostgresTestDatabase.connect().execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// A new connection to this database.
    func connect() throws -> PQConnection {
        try PQConnection(url: url, connectTimeout: .seconds(5), logger: Logger(label: "drainpipe.tests.scratch"))
    }
}
