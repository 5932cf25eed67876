import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
    import DrainpipeKafka
    import DrainpipeTestSupport
#endif

/// Every process of the Procfile serves a valid Prometheus exposition on its own port: Prometheus's own checker,
/// `promtool check metrics` (Debian's `prometheus` package), accepts each, help text and naming included.
@Suite("Metrics exposition")
struct MetricsExpositionTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// promtool's verdict on `exposition`: its exit status and what it printed.
    static func promtool(_ exposition: Data) throws -> (status: Int32, output: String) {
        let candidates = ["/usr/bin/promtool", "/usr/local/bin/promtool"]
        guard let path = candidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw PromtoolMissing()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(exposition)
        try input.fileHandleForWriting.close()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: printed, as: UTF8.self))
    }

    struct PromtoolMissing: Error, CustomStringConvertible {
        var description: String { "promtool is not installed: deploy/install-packages installs Debian's prometheus" }
    }

    /// Waits until `port` serves `/metrics` (or the process dies) and returns the exposition.
    static func scrape(_ process: ServiceProcess, port: Int) async throws -> Data {
        let url = URL(string: "http://127.0.0.1:\(port)/metrics")!
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            try #require(process.isRunning, "\(process.executable) exited: \(process.output)")
            if let (body, response) = try? await URLSession.shared.data(from: url),
                (response as? HTTPURLResponse)?.statusCode == 200
            {
                return body
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CancellationError()
    }

    @Test("ingress, aggregator, postgres-sink and retry-sink each pass promtool check metrics", .timeLimit(.minutes(2)))
    func everyProcessPassesPromtool() async throws {
        let kafka = try await TestServers.kafka(prefixedWith: "metrics")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tenantsFile = directory.appendingPathComponent("tenants.yaml").path
        try "owners:\n  - id: team-a\n    graphite_tokens: [\"metrics-token\"]\n"
            .write(toFile: tenantsFile, atomically: true, encoding: .utf8)
        let common = [
            "KAFKA_URL": kafka.bootstrapServers, "KAFKA_PREFIX": kafka.prefix,
            "DRAINPIPE_TOPICS": Self.repository.appendingPathComponent("topics.yaml").path,
            "DATABASE_SHARD_URLS": ProcessInfo.processInfo.environment["TEST_DATABASE_SHARD_URLS"] ?? "",
        ]
        let formation: [(executable: String, environment: [String: String])] = [
            ("ingress", ["DRAINPIPE_TENANTS": tenantsFile, "GRAPHITE_PORT": "off", "DYNO": "web.1"]),
            ("aggregator", ["DYNO": "aggregator.1", "AGGREGATOR_WORKERS": "1"]),
            ("postgres-sink", ["DYNO": "postgres_sink.1", "POSTGRES_SINK_WORKERS": "1"]),
            ("retry-sink", ["DYNO": "retry_sink.1", "RETRY_SINK_WORKERS": "1"]),
        ]
        var processes: [(ServiceProcess, Int)] = []
        defer { for (process, _) in processes { _ = process.terminate() } }
        for (executable, environment) in formation {
            let port = try await IngressReloadTests.freePort()
            let process = try ServiceProcess(
                executable,
                environment: common.merging(environment) { _, own in own }.merging(["PORT": "\(port)"]) {
                    _, own in own
                })
            processes.append((process, port))
        }
        // One acknowledged Graphite datapoint and one refused, so labelled ingress series exist too.
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(processes[0].1)/graphite")!)
        request.httpMethod = "POST"
        request.setValue("Bearer metrics-token", forHTTPHeaderField: "Authorization")
        request.httpBody = Data("team.metrics.check 1 -1\nnot a datapoint\n".utf8)
        _ = try await Self.scrape(processes[0].0, port: processes[0].1)
        _ = try await URLSession.shared.data(for: request)

        for (process, port) in processes {
            let exposition = try await Self.scrape(process, port: port)
            #expect(
                String(decoding: exposition, as: UTF8.self).contains("# HELP drainpipe_"),
                "\(process.executable) exposes no drainpipe metric with help")
            let verdict = try Self.promtool(exposition)
            #expect(verdict.status == 0, "promtool on \(process.executable)'s /metrics: \(verdict.output)")
        }
    }
}
