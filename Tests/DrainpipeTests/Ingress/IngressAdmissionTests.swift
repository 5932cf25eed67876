import DrainpipeTestSupport
import Metrics
import MetricsTestKit
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

@Suite("IngressAdmission")
struct IngressAdmissionTests {
    static let start = EventTime(secondsSinceEpoch: 1_709_647_440)  // 14:04:00, a minute boundary

    static func measurement(_ metric: String, owner: String = "a", processType: String = "web") -> Measurement {
        Measurement(
            type: .customMetrics, owner: owner, processType: processType, metric: metric, time: start,
            receivedAt: start,
            fields: [MeasurementField(name: "value", value: 1)])
    }

    @Test("denied metrics are dropped and counted, never an error for the rest")
    func lists() throws {
        let metrics = TestMetrics()
        let admission = IngressAdmission(clock: ManualWallClock(Self.start), metrics: metrics)
        let owner = TenantDirectory.Owner(
            id: "a", drainCredentials: [], apiTokens: [], allowedMetrics: [MetricPattern("prod.*")!],
            deniedMetrics: [MetricPattern("*.debug")!])
        let admitted = try admission.admit(
            ["prod.cpu", "prod.debug", "staging.cpu", "prod.mem"].map { Self.measurement($0) }, owner: owner)
        #expect(admitted.measurements.map(\.metric) == ["prod.cpu", "prod.mem"])
        #expect(admitted.deniedCount == 2)
        #expect(try metrics.expectCounter("drainpipe_ingress_measurements_denied_total").totalValue == 2)
    }

    @Test(
        "over the updates cap a request is refused whole with Retry-After until the minute turns; other tenants go on")
    func updatesCap() throws {
        let clock = ManualWallClock(Self.start + .seconds(15))
        let admission = IngressAdmission(clock: clock, metrics: NOOPMetricsHandler.instance)
        let capped = TenantDirectory.Owner(
            id: "a", drainCredentials: [], apiTokens: [], limits: .init(updatesPerMinute: 5))
        let other = TenantDirectory.Owner(
            id: "b", drainCredentials: [], apiTokens: [], limits: .init(updatesPerMinute: 5))
        let three = (0..<3).map { Self.measurement("m\($0)") }
        _ = try admission.admit(three, owner: capped)
        #expect(throws: IngressError.overQuota(cap: "updates_per_minute", retryAfterSeconds: 45)) {
            try admission.admit(three, owner: capped)
        }
        #expect(try admission.admit(three, owner: other).measurements.count == 3)
        #expect(try admission.admit(Array(three.prefix(2)), owner: capped).measurements.count == 2)
        clock.advance(by: .seconds(45))
        #expect(try admission.admit(three, owner: capped).measurements.count == 3)
    }

    @Test("the distinct-series cap counts new series only, per minute")
    func seriesCap() throws {
        let clock = ManualWallClock(Self.start)
        let admission = IngressAdmission(clock: clock, metrics: NOOPMetricsHandler.instance)
        let owner = TenantDirectory.Owner(
            id: "a", drainCredentials: [], apiTokens: [], limits: .init(distinctSeriesPerMinute: 2))
        _ = try admission.admit([Self.measurement("x"), Self.measurement("x"), Self.measurement("y")], owner: owner)
        _ = try admission.admit([Self.measurement("y"), Self.measurement("x")], owner: owner)
        #expect(throws: IngressError.self) {
            try admission.admit([Self.measurement("x", processType: "worker")], owner: owner)
        }
        clock.advance(by: .seconds(60))
        #expect(try admission.admit([Self.measurement("z")], owner: owner).measurements.count == 1)
    }

    @Test(
        "a request larger than a whole minute's cap is refused as too large, without Retry-After, and charges nothing")
    func largerThanCap() throws {
        let admission = IngressAdmission(clock: ManualWallClock(Self.start), metrics: NOOPMetricsHandler.instance)
        let owner = TenantDirectory.Owner(
            id: "a", drainCredentials: [], apiTokens: [], limits: .init(updatesPerMinute: 5, distinctSeriesPerMinute: 2)
        )
        let six = (0..<6).map { _ in Self.measurement("x") }
        let error = #expect(throws: IngressError.largerThanCap(cap: "updates_per_minute", requested: 6, limit: 5)) {
            try admission.admit(six, owner: owner)
        }
        #expect(error?.statusCode == 413 && error?.isRetryable == false && error?.retryAfterSeconds == nil)
        #expect(throws: IngressError.largerThanCap(cap: "distinct_series_per_minute", requested: 3, limit: 2)) {
            try admission.admit(["x", "y", "z"].map { Self.measurement($0) }, owner: owner)
        }
        #expect(try admission.admit(Array(six.prefix(5)), owner: owner).measurements.count == 5)
    }

    @Test("a refunded request frees its updates and its new series, so the sender's retry is charged once")
    func refund() throws {
        let admission = IngressAdmission(clock: ManualWallClock(Self.start), metrics: NOOPMetricsHandler.instance)
        let owner = TenantDirectory.Owner(
            id: "a", drainCredentials: [], apiTokens: [], limits: .init(updatesPerMinute: 4, distinctSeriesPerMinute: 2)
        )
        _ = try admission.admit([Self.measurement("x")], owner: owner)
        let undelivered = try admission.admit([Self.measurement("x"), Self.measurement("y")], owner: owner)
        admission.refund(undelivered.charge)
        // Without the refund the retry would pass the updates cap (1 + 2 + 2 > 4)…
        #expect(
            try admission.admit([Self.measurement("x"), Self.measurement("y")], owner: owner).measurements.count == 2)
        // …and "x", charged by the first request, still counts: a third series is over the cap.
        #expect(throws: IngressError.overQuota(cap: "distinct_series_per_minute", retryAfterSeconds: 60)) {
            try admission.admit([Self.measurement("z")], owner: owner)
        }
    }
}

/// One request through the ingress's admission steps, `Filter` then `charge`, keeping what passed.
extension IngressAdmission {
    fileprivate struct Admitted {
        var measurements: [Measurement]
        var deniedCount: Int
        var charge: IngressQuotaLedger.Charge?
    }

    fileprivate func admit(_ measurements: [Measurement], owner: TenantDirectory.Owner) throws(IngressError) -> Admitted
    {
        var filter = Filter(owner: owner, into: MeasurementCollector())
        for measurement in measurements { filter.append(measurement) }
        let charge = try charge(filter)
        return Admitted(measurements: filter.destination.measurements, deniedCount: filter.deniedCount, charge: charge)
    }
}
