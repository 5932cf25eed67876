import Foundation
import NIOCore
import NIOPosix
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
    import DrainpipeTestSupport
    import DrainpipeKafka
#endif

/// The `ingress` executable as a child process: SIGHUP reloads the tenants file, and a broken file changes nothing.
@Suite("Ingress tenants reload")
struct IngressReloadTests {
    /// A port that was free a moment ago, for a child process that cannot report its own.
    ///
    /// Chosen below the kernel's ephemeral range (32768 and up), so no outgoing connection of another test (a Kafka
    /// or Postgres client) can take it between this check and the child's bind, as happened with port 0.
    static func freePort() async throws -> Int {
        for _ in 0..<50 {
            let candidate = Int.random(in: 20_000..<32_000)
            guard
                let channel = try? await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .bind(host: "127.0.0.1", port: candidate).get()
            else { continue }
            try await channel.close()
            return candidate
        }
        struct NoFreePort: Error {}
        throw NoFreePort()
    }

    static func tenants(graphiteToken: String, apiToken: String = "old-api-token") -> String {
        "owners:\n  - id: team-a\n    graphite_tokens: [\"\(graphiteToken)\"]\n    api_tokens: [\"\(apiToken)\"]\n"
    }

    /// The status of a series read of team-a with a bearer token.
    static func read(port: Int, token: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/api/v1/series/dyno-load?owner=team-a")!)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    static func post(port: Int, token: String) async throws -> Int {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/graphite")!)
        request.httpMethod = "POST"
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        request.httpBody = Data("team.reload.check 1 -1\n".utf8)
        let (_, response) = try await URLSession.shared.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    @Test(
        """
        SIGHUP puts a new tenants file in force for drains and \
        the read API; an invalid one is logged and the old one kept
        """,
        .timeLimit(.minutes(1)))
    func sighup() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "reload")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tenantsFile = directory.appendingPathComponent("tenants.yaml").path
        try Self.tenants(graphiteToken: "old-token").write(toFile: tenantsFile, atomically: true, encoding: .utf8)
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let port = try await Self.freePort()
        let ingress = try ServiceProcess(
            "ingress",
            environment: [
                "PORT": String(port), "GRAPHITE_PORT": "off", "KAFKA_URL": kafka.bootstrapServers,
                "KAFKA_PREFIX": kafka.prefix,
                "DRAINPIPE_TOPICS": repository.appendingPathComponent("topics.yaml").path,
                "DRAINPIPE_TENANTS": tenantsFile,
                "DATABASE_URL": ProcessInfo.processInfo.environment["TEST_DATABASE_URL"] ?? "",
            ])
        defer { _ = ingress.terminate() }
        var status = 0
        while status == 0 {
            try #require(ingress.isRunning, "ingress exited: \(ingress.output)")
            status = (try? await Self.post(port: port, token: "old-token")) ?? 0
            if status == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(status == 204)
        #expect(try await Self.post(port: port, token: "new-token") == 401)
        #expect(try await Self.read(port: port, token: "old-api-token") == 200)
        #expect(try await Self.read(port: port, token: "new-api-token") == 401)

        try Self.tenants(graphiteToken: "new-token", apiToken: "new-api-token")
            .write(toFile: tenantsFile, atomically: true, encoding: .utf8)
        ingress.send(signal: SIGHUP)
        while try await Self.post(port: port, token: "new-token") != 204 {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await Self.post(port: port, token: "old-token") == 401)
        #expect(try await Self.read(port: port, token: "new-api-token") == 200)
        #expect(try await Self.read(port: port, token: "old-api-token") == 401)

        try "owners: [".write(toFile: tenantsFile, atomically: true, encoding: .utf8)
        ingress.send(signal: SIGHUP)
        while !ingress.output.contains("tenants file not reloaded") { try await Task.sleep(for: .milliseconds(50)) }
        #expect(ingress.isRunning)
        #expect(try await Self.post(port: port, token: "new-token") == 204)
    }
}
