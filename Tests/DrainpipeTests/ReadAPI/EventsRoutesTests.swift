import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

@Suite("Events API")
struct EventsRoutesTests {
    static let owner = HTTPRoutesTests.owner
    static let now = HTTPRoutesTests.now  // 2024-03-05T14:04:00Z
    static let minute = EventTime(secondsSinceEpoch: 1_709_647_320)  // 2024-03-05T14:02:00Z

    static func summary(
        owner: String = owner, processType: String, _ events: [PlatformEvent], overflow: UInt64 = 0
    )
        -> Summary
    {
        var counts: [String: UInt64] = [:]
        for event in events { counts[event.kind.rawValue, default: 0] += 1 }
        return Summary(
            key: SeriesKey(
                type: .platformEvents, owner: owner, processType: processType, metric: "events",
                windowStart: minute, periodSeconds: 60),
            version: 1, counts: counts, platformEvents: PlatformEventLog(events: events, overflow: overflow))
    }

    static let store = HTTPRoutesTests.FixedStore(summaries: [
        summary(
            processType: "api",
            [
                PlatformEvent(time: minute + .seconds(1), kind: .deploy, dyno: "", text: "4f2a1c7"),
                PlatformEvent(time: minute + .seconds(1), kind: .release, dyno: "", text: "v42"),
            ]),
        summary(
            processType: "web",
            [PlatformEvent(time: minute + .seconds(20), kind: .restart, dyno: "web.1", text: "")], overflow: 2),
        summary(
            processType: "worker",
            [PlatformEvent(time: minute + .seconds(30), kind: .state, dyno: "worker.1", text: "up -> crashed")]),
        summary(
            owner: HTTPRoutesTests.otherOwner, processType: "web",
            [PlatformEvent(time: minute + .seconds(5), kind: .deploy, dyno: "", text: "0000000")]),
    ])

    static func application() throws -> some ApplicationProtocol {
        let tenants = try TenantDirectory(owners: [
            .init(id: owner, drainCredentials: ["shop:secret"], apiTokens: ["token-shop", "token-both"]),
            .init(id: HTTPRoutesTests.otherOwner, drainCredentials: ["other:secret"], apiTokens: ["token-both"]),
        ])
        let router = Router()
        EventsRoutes(tenants: LiveTenantDirectory(tenants), store: store, clock: ManualWallClock(now)).register(
            on: router)
        return Application(router: router)
    }

    static func get<Body: Decodable & Sendable>(
        _ uri: String, as type: Body.Type, headers: HTTPFields = [.authorization: "Bearer token-shop"]
    ) async throws -> (HTTPResponse.Status, Body?) {
        try await application().test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: headers) { response in
                (response.status, try? JSONDecoder().decode(Body.self, from: Data(response.body.readableBytesView)))
            }
        }
    }

    @Test("lists an owner's events oldest first with every window's counts and overflow")
    func native() async throws {
        let (status, body) = try await Self.get("/api/v1/events?owner=\(Self.owner)", as: EventsResponse.self)
        #expect(status == .ok)
        let response = try #require(body)
        #expect(response.from == "2024-03-05T12:04:00Z" && response.to == "2024-03-05T14:04:00Z")
        #expect(response.events.map(\.kind) == ["deploy", "release", "restart", "state"])
        #expect(response.events.map(\.processType) == ["api", "api", "web", "worker"])
        #expect(response.events[2].dyno == "web.1" && response.events[2].time == "2024-03-05T14:02:20Z")
        #expect(response.events[3].text == "up -> crashed")
        #expect(response.events[0].dyno == "" && response.events[0].text == "4f2a1c7")
        #expect(response.counts.map(\.processType).sorted() == ["api", "web", "worker"])
        let web = try #require(response.counts.first { $0.processType == "web" })
        #expect(web.counts == ["restart": 1] && web.overflow == 2 && web.windowStart == "2024-03-05T14:02:00Z")
    }

    @Test("a process type keeps its own events and the app-wide ones")
    func processType() async throws {
        let (_, body) = try await Self.get(
            "/api/v1/events?owner=\(Self.owner)&process_type=web&from=2024-03-05T14:00:00Z&to=1709647500",
            as: EventsResponse.self)
        #expect(body?.events.map(\.kind) == ["deploy", "release", "restart"])
        let (_, narrow) = try await Self.get(
            "/api/v1/events?owner=\(Self.owner)&from=2024-03-05T14:02:10Z&to=2024-03-05T14:02:25Z",
            as: EventsResponse.self)
        #expect(narrow?.events.map(\.kind) == ["restart"])
    }

    @Test(
        "answers 401 without a known token, 403 for another owner, 400 for bad times",
        arguments: [
            ("/api/v1/events?owner=\(HTTPRoutesTests.owner)", "", HTTPResponse.Status.unauthorized),
            ("/api/v1/events?owner=\(HTTPRoutesTests.owner)", "Bearer nope", .unauthorized),
            ("/api/v1/events?owner=\(HTTPRoutesTests.otherOwner)", "Bearer token-shop", .forbidden),
            ("/api/v1/events", "Bearer token-shop", .badRequest),
            ("/api/v1/events?owner=\(HTTPRoutesTests.owner)&from=yesterday", "Bearer token-shop", .badRequest),
            (
                "/api/v1/events?owner=\(HTTPRoutesTests.owner)&from=1709647500&to=1709647400", "Bearer token-shop",
                .badRequest
            ),
            ("/events/get_data", "", .unauthorized),
            ("/events/get_data?from=-2x", "Bearer token-shop", .badRequest),
        ])
    func errors(uri: String, authorization: String, status: HTTPResponse.Status) async throws {
        let headers: HTTPFields = authorization.isEmpty ? [:] : [.authorization: authorization]
        let (answered, _) = try await Self.get(uri, as: [String: String].self, headers: headers)
        #expect(answered == status)
    }

    @Test("serves graphite-web's event shape, tagged with owner, process type and kind")
    func graphite() async throws {
        let (status, body) = try await Self.get("/events/get_data?from=-2h&until=now", as: [GraphiteEvent].self)
        #expect(status == .ok)
        let events = try #require(body)
        #expect(
            events.map(\.what) == ["deploy 4f2a1c7", "release v42", "web.1 restart", "worker.1 state up -> crashed"])
        #expect(events[0].tags == [Self.owner, "api", "deploy"])
        #expect(events[2].when == 1_709_647_340)
        #expect(Set(events.map(\.id)).count == 4)
        #expect(events.allSatisfy { $0.id > 0 && $0.id < 1 << 53 })
    }

    @Test(
        "selects by tags: every tag by default, any tag with set=union; basic auth takes the token as password",
        arguments: [
            ("tags=deploy", ["deploy 4f2a1c7", "deploy 0000000"]),
            ("tags=\(HTTPRoutesTests.owner)%20deploy", ["deploy 4f2a1c7"]),
            ("tags=\(HTTPRoutesTests.otherOwner)", ["deploy 0000000"]),
            ("tags=worker%20restart&set=union", ["web.1 restart", "worker.1 state up -> crashed"]),
            ("tags=nothing", []),
        ])
    func graphiteTags(query: String, expected: [String]) async throws {
        let basic = "Basic " + Data("grafana:token-both".utf8).base64EncodedString()
        let (status, body) = try await Self.get(
            "/events/get_data?from=1709640000&until=1709650000&\(query)", as: [GraphiteEvent].self,
            headers: [.authorization: basic])
        #expect(status == .ok)
        #expect(Set(body?.map(\.what) ?? ["missing"]) == Set(expected))
    }

    @Test(
        "from and until take graphite's time syntax; the window holds the events at or after from, before until",
        arguments: [
            ("from=-2h&until=now", 4), ("from=now-110s&until=now", 2), ("from=14:02_20240305", 4),
            ("from=1709647340&until=1709647350", 1), ("from=20240305&until=14:02_20240305", 0),
        ])
    func graphiteTimes(query: String, count: Int) async throws {
        let (status, body) = try await Self.get("/events/get_data?\(query)", as: [GraphiteEvent].self)
        #expect(status == .ok)
        #expect(body?.count == count)
    }

    @Test(
        "from and until reject what graphite cannot read and times before 1970",
        arguments: ["-2x", "noonish", "-60y"])
    func badGraphiteTimes(from: String) async throws {
        let (status, _) = try await Self.get("/events/get_data?from=\(from)", as: [GraphiteEvent].self)
        #expect(status == .badRequest)
    }
}
