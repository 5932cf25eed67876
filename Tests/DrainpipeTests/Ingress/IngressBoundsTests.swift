import DrainpipeTestSupport
import Logging
import Metrics
import MetricsTestKit
import Synchronization
import Testing

@testable import Drainpipe
@testable import DrainpipeCore

/// The pieces that bound what clients may hold: the connection roster, the request gate, the refusal log.
@Suite("Ingress bounds")
struct IngressBoundsTests {
    @Test("at the global cap a new connection evicts the longest-evictable one; busy ones are never evicted")
    func rosterEvictsIdleConnections() {
        let roster = ConnectionRoster(maximumConnections: 3)
        let closed = SynchronizedBox<[String]>([])
        func admit(_ name: String) -> (ConnectionRoster.Admission, evicted: Bool) {
            roster.admit(source: "10.0.0.1") { closed.update { $0.append(name) } }
        }
        var ids: [String: UInt64] = [:]
        for name in ["a", "b", "c"] {
            guard case (.admitted(let id), false) = admit(name) else {
                Issue.record("\(name) is admitted without eviction")
                return
            }
            ids[name] = id
        }
        roster.setBusy(ids["a"]!, true)
        // "b" has been evictable the longest: "d" takes its slot.
        #expect(admit("d").evicted)
        #expect(closed.value == ["b"])
        roster.setBusy(ids["c"]!, true)
        // Only "d" is evictable now.
        #expect(admit("e").evicted)
        #expect(closed.value == ["b", "d"])
        // "a" finishes its request: evictable again, but since after "e" was admitted, so "e" goes first.
        roster.setBusy(ids["a"]!, false)
        #expect(admit("f").evicted)
        #expect(closed.value == ["b", "d", "e"])
        #expect(roster.count == 3)
    }

    @Test("the per-source cap refuses without evicting")
    func rosterPerSourceCap() {
        let roster = ConnectionRoster(maximumConnections: 10, maximumConnectionsPerSource: 1)
        #expect(roster.admit(source: "10.0.0.1") {}.0 != .refused(.overSourceCap))
        #expect(roster.admit(source: "10.0.0.1") {}.0 == .refused(.overSourceCap))
        #expect(roster.admit(source: "10.0.0.2") {}.0 != .refused(.overSourceCap))
        #expect(roster.count == 2)
    }

    @Test("the gate refuses a tenant at its concurrent limit (429) and any request over the body budget (503)")
    func gate() async throws {
        let gate = IngressRequestGate(budgetBytes: 100, defaultConcurrentRequests: 1)
        let status = try await gate.withPass(owner: "a", ownerLimit: nil, reservedBytes: 60) {
            () async throws(IngressError) -> [Int] in
            var statuses: [Int] = []
            for (owner, bytes) in [("a", 1), ("b", 50), ("c", 40)] {
                do throws(IngressError) {
                    try await gate.withPass(owner: owner, ownerLimit: nil, reservedBytes: bytes) {
                        () async throws(IngressError) in statuses.append(200)
                    }
                } catch {
                    statuses.append(error.statusCode)
                }
            }
            return statuses
        }
        #expect(status == [429, 503, 200])
        #expect(gate.reservedBytes == 0)
    }

    @Test("refusals are counted every time and logged at most once per interval, with the number suppressed")
    func refusalLogIsRateLimited() {
        let now = Mutex(ContinuousClock.now)
        let lines = SynchronizedBox<[String]>([])
        let logger = Logger(label: "refusals") { _ in RecordingLogHandler(lines: lines) }
        let metrics = TestMetrics()
        let reporter = RefusalReporter(
            logger: logger, metrics: metrics, logInterval: .seconds(10), now: { now.withLock { $0 } })
        for _ in 0..<5 { reporter.report(status: 401, reason: "unauthenticated", method: "POST", path: "/logs") }
        reporter.report(status: 503, reason: "body_budget", method: "POST", path: "/logs")
        now.withLock { $0 = $0.advanced(by: .seconds(11)) }
        reporter.report(status: 401, reason: "unauthenticated", method: "POST", path: "/logs")
        #expect(lines.value.count == 3)
        #expect(lines.value.last?.contains("suppressed_since_last=4") == true)
        let counter = try? metrics.expectCounter(
            "drainpipe_http_refusals_total", [("status", "401"), ("reason", "unauthenticated")])
        #expect(counter?.totalValue == 6)
    }
}

/// Keeps each log line's message and metadata.
private struct RecordingLogHandler: LogHandler {
    let lines: SynchronizedBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        lines.update { $0.append("\(event.message) \(fields.joined(separator: " "))") }
    }
}
