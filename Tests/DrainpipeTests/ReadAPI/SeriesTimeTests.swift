import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

@Suite("Series API times")
struct SeriesTimeTests {
    @Test(
        "from and to take Unix seconds or RFC 3339 times, rounded down to the second",
        arguments: [
            ("1709647327", Int64(1_709_647_327)), ("0", 0), ("253402300799", 253_402_300_799),
            ("2024-03-05T14:02:07Z", 1_709_647_327), ("2024-03-05T14:02:07.412387+00:00", 1_709_647_327),
            ("2024-03-05T14:02:07.999999999Z", 1_709_647_327), ("2024-03-05T14:02:07z", 1_709_647_327),
            ("2024-03-05T14:02:07+0100", 1_709_643_727), ("2024-03-05T14:02:07+01", 1_709_643_727),
            ("2024-03-05T14:02:07.5+01:00", 1_709_643_727), ("1970-01-01T00:00:00.5-00:01", 60),
            ("9999-12-31T23:59:59Z", 253_402_300_799),
        ])
    func parses(text: String, seconds: Int64) throws {
        #expect(try SeriesRoutes.parseTime(text, parameter: "from") == EventTime(secondsSinceEpoch: seconds))
    }

    @Test(
        "from and to reject other text and times outside 1970 to 9999",
        arguments: [
            "", "yesterday", "-1", "253402300800", "1969-12-31T23:59:59Z", "1970-01-01T00:30:00+01:00",
            "2024-03-05", "2024-03-05 14:02:07Z", "2024-03-05T14:02:07", "2024-02-30T00:00:00Z",
        ])
    func rejects(text: String) {
        #expect(throws: HTTPError.self) { try SeriesRoutes.parseTime(text, parameter: "to") }
    }

    @Test("the response names from, to and every window start in whole UTC seconds")
    func renders() async throws {
        let minute = EventTime(secondsSinceEpoch: 1_709_647_320)
        let summary = Summary(
            key: SeriesKey(
                type: .dynoLoad, owner: HTTPRoutesTests.owner, processType: "web", metric: "load_avg",
                windowStart: minute, periodSeconds: 60),
            version: 1, fields: ["load_avg_1m": FieldStatistics(value: 1)])
        let store = HTTPRoutesTests.FixedStore(summaries: [summary])
        let uri =
            "/api/v1/series/dyno-load?owner=\(HTTPRoutesTests.owner)&from=2024-03-05T14:01:00.25Z"
            + "&to=2024-03-05T16:03:00%2B02:00"
        try await HTTPRoutesTests.application(publisher: InMemoryPublisher(), store: store).test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer token-shop"]) {
                response in
                #expect(response.status == .ok)
                let body = try JSONDecoder().decode(SeriesResponse.self, from: Data(response.body.readableBytesView))
                #expect(body.from == "2024-03-05T14:01:00Z")
                #expect(body.to == "2024-03-05T14:03:00Z")
                #expect(body.points.map(\.windowStart) == ["2024-03-05T14:02:00Z"])
            }
        }
    }
}
