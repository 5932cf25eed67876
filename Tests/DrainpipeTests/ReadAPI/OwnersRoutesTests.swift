import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

@Suite("Owners API")
struct OwnersRoutesTests {
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)

    /// Answers fixed newest windows per owner and remembers the ranges asked for.
    final class FixedActivity: SeriesActivityStore {
        let newest: [String: [String: EventTime]]
        let asked = Mutex<[(owner: String, from: EventTime, to: EventTime)]>([])

        init(_ newest: [String: [String: EventTime]]) {
            self.newest = newest
        }

        func newestWindows(owner: String, from: EventTime, to: EventTime) async throws -> [String: EventTime] {
            asked.withLock { $0.append((owner, from, to)) }
            return newest[owner] ?? [:]
        }
    }

    static func application(_ store: FixedActivity) throws -> some ApplicationProtocol {
        let tenants = try TenantDirectory(owners: [
            .init(id: "shop", name: "shop-api", drainCredentials: [], apiTokens: ["token-both", "token-shop"]),
            .init(id: "billing", drainCredentials: [], apiTokens: ["token-both"]),
            .init(id: "hidden", name: "hidden-app", drainCredentials: [], apiTokens: ["token-hidden"]),
        ])
        let router = Router()
        OwnersRoutes(tenants: LiveTenantDirectory(tenants), store: store, clock: ManualWallClock(now))
            .register(on: router)
        return Application(router: router)
    }

    static func get(
        _ client: some TestClientProtocol, _ uri: String, token: String?
    ) async throws -> (HTTPResponse.Status, OwnersResponse?) {
        let headers: HTTPFields = token.map { [.authorization: "Bearer \($0)"] } ?? [:]
        return try await client.execute(uri: uri, method: .get, headers: headers) { response in
            let body = try? JSONDecoder().decode(OwnersResponse.self, from: Data(response.body.readableBytesView))
            return (response.status, body)
        }
    }

    @Test("lists exactly the owners a token reads, by name, with their process types and newest windows")
    func listsReadableOwners() async throws {
        let store = FixedActivity([
            "shop": ["web": Self.now - .seconds(120), "worker": Self.now - .seconds(3_600)],
            "hidden": ["web": Self.now],
        ])
        try await Self.application(store).test(.router) { client in
            let (status, body) = try await Self.get(client, "/api/v1/owners", token: "token-both")
            #expect(status == .ok)
            let owners = try #require(body?.owners)
            #expect(owners.map(\.id) == ["billing", "shop"], "sorted by name; the id stands in for a missing name")
            #expect(owners.map(\.name) == ["billing", "shop-api"])
            #expect(owners[0].processTypes.isEmpty)
            #expect(owners[1].processTypes.map(\.name) == ["web", "worker"])
            #expect(owners[1].processTypes[0].newestWindowStartEpoch == Self.now.secondsSinceEpoch - 120)
            #expect(owners[1].processTypes[1].newestWindowStart == "2024-03-05T13:04:00Z")
            #expect(body?.to == "2024-03-05T14:04:00Z" && body?.from == "2024-03-04T14:04:00Z", "default: 24 hours")
            #expect(!store.asked.withLock { $0 }.contains { $0.owner == "hidden" }, "unreadable owners are not read")

            let (_, shopOnly) = try await Self.get(client, "/api/v1/owners", token: "token-shop")
            #expect(shopOnly?.owners.map(\.id) == ["shop"])
        }
    }

    @Test("passes the requested range to the store")
    func range() async throws {
        let store = FixedActivity([:])
        try await Self.application(store).test(.router) { client in
            let (status, _) = try await Self.get(
                client, "/api/v1/owners?from=2024-03-01T00:00:00Z&to=1709337600", token: "token-shop")
            #expect(status == .ok)
            let asked = try #require(store.asked.withLock { $0 }.first)
            #expect(asked.from == EventTime(secondsSinceEpoch: 1_709_251_200))
            #expect(asked.to == EventTime(secondsSinceEpoch: 1_709_337_600))
        }
    }

    @Test(
        "refuses a missing or unknown token (401) and a bad range (400)",
        arguments: [
            ("/api/v1/owners", nil, HTTPResponse.Status.unauthorized),
            ("/api/v1/owners", "token-unknown", .unauthorized),
            ("/api/v1/owners?from=1709251200&to=1709251200", "token-shop", .badRequest),
            ("/api/v1/owners?from=0&to=1709251200", "token-shop", .badRequest),
            ("/api/v1/owners?from=yesterday", "token-shop", .badRequest),
        ] as [(String, String?, HTTPResponse.Status)])
    func refusals(uri: String, token: String?, status: HTTPResponse.Status) async throws {
        try await Self.application(FixedActivity([:])).test(.router) { client in
            let (answered, _) = try await Self.get(client, uri, token: token)
            #expect(answered == status)
        }
    }
}
