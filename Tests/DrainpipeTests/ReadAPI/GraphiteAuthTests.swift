import DrainpipeCore
import DrainpipeTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Drainpipe

/// The auth matrix of the Graphite query API: no token, a wrong token, another owner's token and a token revoked by
/// a tenants reload, over every endpoint that needs one, wildcards that would reach another owner included.
@Suite("Graphite API auth matrix")
struct GraphiteAuthTests {
    static let now = EventTime(secondsSinceEpoch: 1_733_400_000)
    static let shop = "6c1d5b7e-0f43-4a52-9b1e-2f6a8d3c4e71"
    static let rival = "0b7f6f4e-3a1d-4c3b-9f0e-5d2a7c9e8b14"

    static func tenantsFile(shopToken: String) -> String {
        """
        owners:
          - id: \(shop)
            name: shop
            api_tokens: ["\(shopToken)"]
          - id: \(rival)
            name: rival
            api_tokens: ["token-rival"]
        """
    }

    /// One minute of router data for each owner, a few minutes ago.
    static func summaries() -> [Summary] {
        [shop, rival].map { owner in
            var summary = Summary(
                key: SeriesKey(
                    type: .routerRequests, owner: owner, processType: "web", metric: "router",
                    windowStart: now - .seconds(300), periodSeconds: 60),
                version: 1, counts: ["status_5xx": 3])
            summary.fields["service_ms"] = FieldStatistics(value: 42)
            return summary
        }
    }

    /// Every request of the matrix: each endpoint, GET and form POST, with a pattern that reaches both owners.
    static let requests: [(method: HTTPRequest.Method, path: String, query: String)] = [
        (.get, "/render", "target=*.web.router.service_ms.mean&from=-1h"),
        (.post, "/render", "target=*.web.router.service_ms.mean&from=-1h"),
        (.get, "/metrics/find", "query=*"),
        (.post, "/metrics/find", "query=*.web.*"),
        (.get, "/metrics/expand", "query=*.web.router.status.*"),
        (.post, "/metrics/expand", "query=*.web.router.*"),
    ]

    static func send(
        _ client: some TestClientProtocol, _ request: (method: HTTPRequest.Method, path: String, query: String),
        authorization: String?
    ) async throws -> (status: HTTPResponse.Status, body: String) {
        var headers: HTTPFields = [:]
        if let authorization { headers[.authorization] = authorization }
        if request.method == .post {
            headers[.contentType] = "application/x-www-form-urlencoded"
            return try await client.execute(
                uri: request.path, method: .post, headers: headers, body: ByteBuffer(string: request.query)
            ) { ($0.status, String(buffer: $0.body)) }
        }
        return try await client.execute(uri: request.path + "?" + request.query, method: .get, headers: headers) {
            ($0.status, String(buffer: $0.body))
        }
    }

    static func basic(_ token: String) -> String {
        "Basic " + Data("grafana:\(token)".utf8).base64EncodedString()
    }

    @Test("without a valid token every endpoint answers 401; a token sees only its owner; a reload revokes at once")
    func matrix() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("graphite-auth-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Self.tenantsFile(shopToken: "token-shop").write(toFile: file, atomically: true, encoding: .utf8)
        let tenants = LiveTenantDirectory(try TenantDirectory(contentsOf: file), path: file)
        let store = InMemorySummaryStore(Self.summaries())
        let router = Router()
        GraphiteQueryRoutes(tenants: tenants, store: store, clock: ManualWallClock(Self.now)).register(on: router)
        try await Application(router: router).test(.router) { client in
            for request in Self.requests {
                let label = "\(request.method) \(request.path)"
                for authorization in [nil, "Bearer nope", Self.basic("nope"), "Basic !!", "Token token-shop"] {
                    let answer = try await Self.send(client, request, authorization: authorization)
                    #expect(answer.status == .unauthorized, "\(label) with \(authorization ?? "no header")")
                }
                let bearer = try await Self.send(client, request, authorization: "Bearer token-shop")
                let basic = try await Self.send(client, request, authorization: Self.basic("token-shop"))
                #expect(bearer.status == .ok && basic.status == .ok, "\(label)")
                #expect(bearer.body == basic.body, "\(label): basic and bearer see the same")
                #expect(bearer.body.contains("shop") || bearer.body.contains("router"), "\(label): \(bearer.body)")
                #expect(!bearer.body.contains("rival") && !bearer.body.contains(Self.rival), "\(label): \(bearer.body)")
            }
            // Another owner's paths look exactly like paths that do not exist.
            for (path, query) in [
                ("/metrics/find", "query=rival.*"), ("/metrics/expand", "query=rival.web.*"),
                ("/render", "target=rival.web.router.service_ms.mean&from=-1h"),
                ("/render", "target=\(Self.rival).web.router.service_ms.mean&from=-1h"),
            ] {
                let foreign = try await Self.send(client, (.get, path, query), authorization: "Bearer token-shop")
                let missing = try await Self.send(
                    client, (.get, path, query.replacingOccurrences(of: "rival", with: "nosuch")),
                    authorization: "Bearer token-shop")
                #expect(foreign.status == missing.status && foreign.body == missing.body, "\(path)?\(query)")
            }
            #expect(Set(store.listedOwners.value) == [Self.shop], "only the token's owner was ever listed")
            #expect(Set(store.readOwners.value).isSubset(of: [Self.shop]), "only the token's owner was ever read")

            try Self.tenantsFile(shopToken: "token-shop-2").write(toFile: file, atomically: true, encoding: .utf8)
            try tenants.reload()
            for request in Self.requests {
                let revoked = try await Self.send(client, request, authorization: "Bearer token-shop")
                #expect(revoked.status == .unauthorized, "\(request.method) \(request.path) after the reload")
                let granted = try await Self.send(client, request, authorization: "Bearer token-shop-2")
                #expect(granted.status == .ok, "\(request.method) \(request.path) with the new token")
            }
        }
    }
}
