import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
    import DrainpipeTestSupport
    import DrainpipeKafka
#endif

/// Every executable exits 0 after a SIGTERM or SIGINT it handled: a stop asked for is not a failure.
@Suite("Exit status after a handled signal", .serialized)
struct ExitStatusTests {
    static let topics = IngressHardeningTests.repository.appendingPathComponent("topics.yaml").path

    /// Waits until `ready` holds (at most 60 s) while the process runs.
    static func waitUntil(_ process: ServiceProcess, _ ready: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !(await ready()) {
            try #require(process.isRunning, "\(process.executable) exited early: \(process.output.suffix(2_000))")
            try #require(ContinuousClock.now < deadline, "\(process.executable) never got ready: \(process.output)")
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    @Test("ingress exits 0 after SIGTERM and after SIGINT", .timeLimit(.minutes(2)), arguments: [SIGTERM, SIGINT])
    func ingress(signal: Int32) async throws {
        let ingress = try await IngressHardeningTests.startIngress("exit", extra: [:])
        defer { try? FileManager.default.removeItem(at: ingress.directory) }
        #expect(ingress.process.stop(with: signal) == 0, "\(ingress.process.output.suffix(2_000))")
    }

    @Test(
        "aggregator, postgres-sink and retry-sink exit 0 after SIGTERM", .timeLimit(.minutes(3)),
        arguments: [
            ("aggregator", "aggregator.1", "aggregator assigned"),
            ("postgres-sink", "postgres_sink.1", "sink assigned"),
            ("retry-sink", "retry_sink.1", "sink assigned"),
        ])
    func service(executable: String, dyno: String, readyLine: String) async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "exit-\(executable)")
        let environment = [
            "KAFKA_URL": kafka.bootstrapServers, "KAFKA_PREFIX": kafka.prefix, "DYNO": dyno,
            "DRAINPIPE_TOPICS": Self.topics, "AGGREGATOR_WORKERS": "1", "POSTGRES_SINK_WORKERS": "1",
            "RETRY_SINK_WORKERS": "1",
            "DATABASE_SHARD_URLS": ProcessInfo.processInfo.environment["TEST_DATABASE_SHARD_URLS"] ?? "",
        ]
        let process = try ServiceProcess(executable, environment: environment)
        try await Self.waitUntil(process) { process.output.contains(readyLine) }
        #expect(process.stop(with: SIGTERM) == 0, "\(process.output.suffix(2_000))")
    }

    @Test("drainpipe kafka exits 0 after SIGTERM", .timeLimit(.minutes(1)))
    func embeddedBroker() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("exit-kafka-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let broker = try ServiceProcess(
            "drainpipe", arguments: ["kafka", "--topics", Self.topics, "--bootstrap-file", file.path], environment: [:])
        try await Self.waitUntil(broker) { FileManager.default.fileExists(atPath: file.path) }
        #expect(broker.stop(with: SIGTERM) == 0, "\(broker.output.suffix(2_000))")
    }
}
