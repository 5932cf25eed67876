import DrainpipeTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipeWire

/// Ingress against an in-process embedded broker that turns slow, then goes down, and comes back each time.
@Suite("Ingress during a broker outage")
struct IngressBrokerOutageTests {
    static let now = EventTime(secondsSinceEpoch: 1_709_647_440)

    @Test(
        """
        while the broker is slow or down requests get 503 with Retry-After within the \
        bound; once it is back they succeed, and every acknowledged datapoint is in Kafka
        """,
        .timeLimit(.minutes(1)))
    func outage() async throws {
        let broker = try GraphiteHTTPOverBroker(
            name: "outage-ingress", messageTimeout: .seconds(20), retryAfterSeconds: 3, clock: ManualWallClock(Self.now)
        )
        defer { broker.close() }
        let cluster = broker.cluster
        let headers: HTTPFields = [.authorization: "Bearer gr-a"]
        let acknowledged = SynchronizedBox<[String]>([])

        try await Application(router: broker.router).test(.router) { client in
            func post(_ path: String) async throws -> (HTTPResponse.Status, String?) {
                try await client.execute(
                    uri: "/graphite", method: .post, headers: headers,
                    body: ByteBuffer(string: "\(path) 1 1709647400\n")
                ) { ($0.status, $0.headers[.retryAfter]) }
            }
            /// Posts until one is answered 204, as a sender retrying after `Retry-After` would.
            func postUntilAccepted(_ prefix: String) async throws {
                var attempt = 0
                while true {
                    attempt += 1
                    let path = "\(prefix).\(attempt)"
                    if try await post(path).0 == .noContent {
                        acknowledged.update { $0.append(path) }
                        return
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            /// The next post must get 503 with Retry-After from the 1 s delivery bound, not from the broker: the
            /// ceiling is generous for a busy 2-core test run yet below the slow broker's 10 s round trip.
            func expectUnavailable(_ path: String) async throws {
                let clock = ContinuousClock()
                let started = clock.now
                let (status, retryAfter) = try await post(path)
                #expect(status == .serviceUnavailable && retryAfter == "3")
                #expect(clock.now - started < .seconds(8), "the answer must come from the 1 s bound, not the broker")
            }

            // The first answer may need more than the 1 s bound while the producer connects under a busy test run.
            try await postUntilAccepted("before.outage")

            try cluster.setBroker(1, roundTripTime: .seconds(10))
            try await expectUnavailable("slow.broker")
            try cluster.setBroker(1, roundTripTime: .zero)
            try await postUntilAccepted("after.slow")

            try cluster.setBroker(1, isUp: false)
            try await expectUnavailable("during.outage")
            try cluster.setBroker(1, isUp: true)
            try await postUntilAccepted("after.outage")
            #expect(try await post("after.outage.final").0 == .noContent)
            acknowledged.update { $0.append("after.outage.final") }
        }
        await broker.producer.close(flushTimeout: .seconds(5))
        let messages = try await broker.rawMessages()
        let stored = Set(try messages.flatMap { try MeasurementBatchWire.decode($0.value) }.map(\.metric))
        #expect(Set(acknowledged.value).isSubset(of: stored), "acknowledged \(acknowledged.value), stored \(stored)")
    }
}
