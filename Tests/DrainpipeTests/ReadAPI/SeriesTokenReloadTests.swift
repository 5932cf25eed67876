import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

/// The series API checks bearer tokens against the tenants file in force, so a reload takes effect at once.
@Suite("Series API tokens after a tenants reload")
struct SeriesTokenReloadTests {
    static func tenantsFile(tokensByOwner: [(owner: String, token: String)]) -> String {
        "owners:\n" + tokensByOwner.map { "  - id: \($0.owner)\n    api_tokens: [\"\($0.token)\"]\n" }.joined()
    }

    static func status(
        _ client: some TestClientProtocol, token: String, owner: String
    ) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: "/api/v1/series/dyno-load?owner=\(owner)", method: .get, headers: [.authorization: "Bearer \(token)"]
        ) { $0.status }
    }

    @Test("a revoked token gets 401 and a rescoped one 403 right after the reload, and a new token reads")
    func reloadChangesTokens() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "series-tenants-\(UUID().uuidString).yaml"
        ).path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Self.tenantsFile(tokensByOwner: [("shop", "old-token"), ("other", "moving-token")])
            .write(toFile: file, atomically: true, encoding: .utf8)
        let tenants = LiveTenantDirectory(try TenantDirectory(contentsOf: file), path: file)
        let router = Router()
        SeriesRoutes(
            tenants: tenants, store: HTTPRoutesTests.FixedStore(summaries: []),
            clock: ManualWallClock(HTTPRoutesTests.now)
        )
        .register(on: router)
        try await Application(router: router).test(.router) { client in
            #expect(try await Self.status(client, token: "old-token", owner: "shop") == .ok)
            #expect(try await Self.status(client, token: "moving-token", owner: "other") == .ok)
            #expect(try await Self.status(client, token: "new-token", owner: "shop") == .unauthorized)

            try Self.tenantsFile(tokensByOwner: [
                ("shop", "new-token"), ("other", "other-token"), ("third", "moving-token"),
            ])
            .write(toFile: file, atomically: true, encoding: .utf8)
            try tenants.reload()

            #expect(try await Self.status(client, token: "old-token", owner: "shop") == .unauthorized)
            #expect(try await Self.status(client, token: "moving-token", owner: "other") == .forbidden)
            #expect(try await Self.status(client, token: "new-token", owner: "shop") == .ok)
            #expect(try await Self.status(client, token: "moving-token", owner: "third") == .ok)
        }
    }
}
