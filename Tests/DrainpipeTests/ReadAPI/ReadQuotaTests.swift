import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

/// Per-tenant read quotas on the series API: a tenant over its series rate or its concurrent readers gets 429 with
/// `Retry-After`, while another tenant keeps reading.
@Suite("Read quotas")
struct ReadQuotaTests {
    static let now = HTTPRoutesTests.now

    /// `count` one-minute summaries of `owner`, one per process type (so `count` series).
    static func summaries(owner: String, count: Int) -> [Summary] {
        let minute = now.windowStart(length: .seconds(60)) - .seconds(60)
        return (0..<count).map { index in
            Summary(
                key: SeriesKey(
                    type: .dynoLoad, owner: owner, processType: "web\(index)", metric: "load_avg",
                    windowStart: minute, periodSeconds: 60),
                version: 1, fields: ["load_avg_1m": FieldStatistics(value: 1)])
        }
    }

    static func read(_ client: some TestClientProtocol, owner: String) async throws -> (HTTPResponse.Status, String?) {
        try await client.execute(
            uri: "/api/v1/series/dyno-load?owner=\(owner)", method: .get,
            headers: [.authorization: "Bearer token-\(owner)"]
        ) { ($0.status, $0.headers[.retryAfter]) }
    }

    @Test("a tenant reading more series per second than its quota gets 429 until the allowance refills; others read")
    func seriesRate() async throws {
        let clock = ManualWallClock(Self.now)
        let tenants = try TenantDirectory(owners: [
            .init(
                id: "storm", drainCredentials: [], apiTokens: ["token-storm"], limits: .init(readSeriesPerSecond: 10)),
            .init(id: "calm", drainCredentials: [], apiTokens: ["token-calm"]),
        ])
        let store = HTTPRoutesTests.FixedStore(
            summaries: Self.summaries(owner: "storm", count: 25) + Self.summaries(owner: "calm", count: 3))
        let router = Router()
        SeriesRoutes(
            tenants: LiveTenantDirectory(tenants), store: store, clock: clock,
            quota: ReadQuota(defaults: .init(seriesPerSecond: 150, concurrentReaders: 5), clock: clock)
        ).register(on: router)
        try await Application(router: router).test(.router) { client in
            // The first read is served whole (25 series against 10/s) and leaves the tenant 15 series in debt.
            #expect(try await Self.read(client, owner: "storm").0 == .ok)
            let refused = try await Self.read(client, owner: "storm")
            #expect(refused.0 == .tooManyRequests)
            #expect(refused.1 == "3")
            for _ in 0..<5 { #expect(try await Self.read(client, owner: "calm").0 == .ok) }
            clock.advance(by: .seconds(1))
            #expect(try await Self.read(client, owner: "storm").0 == .tooManyRequests)
            clock.advance(by: .seconds(1))
            #expect(try await Self.read(client, owner: "storm").0 == .ok)
        }
    }

    @Test("a tenant's concurrent readers are capped; a released slot is reusable and other tenants are unaffected")
    func concurrentReaders() throws {
        let clock = ManualWallClock(Self.now)
        let quota = ReadQuota(defaults: .init(seriesPerSecond: 150, concurrentReaders: 2), clock: clock)
        let storm = TenantDirectory.Owner(id: "storm", drainCredentials: [], apiTokens: [])
        let calm = TenantDirectory.Owner(id: "calm", drainCredentials: [], apiTokens: [])
        let first = try quota.acquireReader(for: storm)
        let second = try quota.acquireReader(for: storm)
        #expect(throws: ReadQuota.Exceeded.self) { try quota.acquireReader(for: storm) }
        let other = try quota.acquireReader(for: calm)
        first.release()
        let third = try quota.acquireReader(for: storm)
        for slot in [second, third, other] { slot.release() }
        let own = TenantDirectory.Owner(
            id: "own", drainCredentials: [], apiTokens: [], limits: .init(concurrentReaders: 1))
        let only = try quota.acquireReader(for: own)
        #expect(throws: ReadQuota.Exceeded.self) { try quota.acquireReader(for: own) }
        only.release()
    }
}

/// The same quotas on the Graphite query API: a render charges the series it matched to their owner.
@Suite("Read quotas on the Graphite API")
struct GraphiteReadQuotaTests {
    @Test("a tenant rendering more series per second than its quota gets 429 with Retry-After; another renders")
    func renderRate() async throws {
        let clock = ManualWallClock(ReadQuotaTests.now)
        let tenants = try TenantDirectory(owners: [
            .init(
                id: "storm", drainCredentials: [], apiTokens: ["token-storm"], limits: .init(readSeriesPerSecond: 3)),
            .init(id: "calm", drainCredentials: [], apiTokens: ["token-calm"]),
        ])
        let store = InMemorySummaryStore(
            ReadQuotaTests.summaries(owner: "storm", count: 4) + ReadQuotaTests.summaries(owner: "calm", count: 4))
        let router = Router()
        GraphiteQueryRoutes(
            tenants: LiveTenantDirectory(tenants), store: store, clock: clock,
            quota: ReadQuota(clock: clock)
        ).register(on: router)
        try await Application(router: router).test(.router) { client in
            func send(_ owner: String) async throws -> (HTTPResponse.Status, String?) {
                try await client.execute(
                    uri: "/render?target=\(owner).*.load_avg.1m.mean&from=-10min", method: .get,
                    headers: [.authorization: "Bearer token-\(owner)"]
                ) { ($0.status, $0.headers[.retryAfter]) }
            }
            // 4 series against an allowance of 3: served whole, then refused until it refills.
            #expect(try await send("storm").0 == .ok)
            let refused = try await send("storm")
            #expect(refused.0 == .tooManyRequests)
            #expect(refused.1 != nil)
            #expect(try await send("calm").0 == .ok)
            clock.advance(by: .seconds(2))
            #expect(try await send("storm").0 == .ok)
        }
    }
}

/// The same quotas on the events and owners routes: a reader slot per owner read, and the events routes charge one
/// series per process type whose events they read.
@Suite("Read quotas on the events and owners routes")
struct EventsOwnersReadQuotaTests {
    static let tenants = try! TenantDirectory(owners: [
        .init(
            id: "storm", drainCredentials: [], apiTokens: ["token-storm"],
            limits: .init(readSeriesPerSecond: 2, concurrentReaders: 1)),
        .init(id: "calm", drainCredentials: [], apiTokens: ["token-calm"]),
    ])

    /// One minute of (empty) platform events of `owner` for each of `processTypes`.
    static func events(owner: String, processTypes: [String]) -> [Summary] {
        let minute = ReadQuotaTests.now.windowStart(length: .seconds(60)) - .seconds(60)
        return processTypes.map { processType in
            Summary(
                key: SeriesKey(
                    type: .platformEvents, owner: owner, processType: processType,
                    metric: MeasurementType.platformEvents.platformMetricName, windowStart: minute, periodSeconds: 60),
                version: 1, counts: ["restart": 1])
        }
    }

    @Test("events: 429 while the tenant's reader slots are taken or its series allowance is spent; others read")
    func events() async throws {
        let clock = ManualWallClock(ReadQuotaTests.now)
        let quota = ReadQuota(clock: clock)
        let store = InMemorySummaryStore(
            Self.events(owner: "storm", processTypes: ["web", "worker", "clock"])
                + Self.events(owner: "calm", processTypes: ["web"]))
        let router = Router()
        EventsRoutes(tenants: LiveTenantDirectory(Self.tenants), store: store, clock: clock, quota: quota)
            .register(on: router)
        try await Application(router: router).test(.router) { client in
            func send(_ owner: String, graphite: Bool = false) async throws -> (HTTPResponse.Status, String?) {
                try await client.execute(
                    uri: graphite ? "/events/get_data?from=-10min" : "/api/v1/events?owner=\(owner)", method: .get,
                    headers: [.authorization: "Bearer token-\(owner)"]
                ) { ($0.status, $0.headers[.retryAfter]) }
            }
            let held = try quota.acquireReader(for: Self.tenants.owner(id: "storm")!)
            #expect(try await send("storm").0 == .tooManyRequests)
            #expect(try await send("storm", graphite: true).0 == .tooManyRequests)
            #expect(try await send("calm").0 == .ok)
            held.release()
            // Three process types against an allowance of 2: served whole, then refused until it refills.
            #expect(try await send("storm").0 == .ok)
            let refused = try await send("storm", graphite: true)
            #expect(refused.0 == .tooManyRequests)
            #expect(refused.1 != nil)
            clock.advance(by: .seconds(2))
            #expect(try await send("storm", graphite: true).0 == .ok)
        }
    }

    @Test("owners: 429 while a listed owner's reader slots are taken; a freed slot lists again")
    func owners() async throws {
        let clock = ManualWallClock(ReadQuotaTests.now)
        let quota = ReadQuota(clock: clock)
        let router = Router()
        OwnersRoutes(
            tenants: LiveTenantDirectory(Self.tenants), store: InMemorySummaryStore([]), clock: clock, quota: quota
        ).register(on: router)
        try await Application(router: router).test(.router) { client in
            func send(_ owner: String) async throws -> HTTPResponse.Status {
                try await client.execute(
                    uri: "/api/v1/owners", method: .get, headers: [.authorization: "Bearer token-\(owner)"]
                ) { $0.status }
            }
            let held = try quota.acquireReader(for: Self.tenants.owner(id: "storm")!)
            #expect(try await send("storm") == .tooManyRequests)
            #expect(try await send("calm") == .ok)
            held.release()
            #expect(try await send("storm") == .ok)
        }
    }
}
