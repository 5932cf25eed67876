import DrainpipeTestSupport
import Foundation
import Logging
import Testing

@testable import Drainpipe
@testable import DrainpipeCore
@testable import DrainpipeKafka
@testable import DrainpipePostgres
@testable import DrainpipeWorkloads

/// Drainpipe against Kafka over TLS with client certificates, as hosted providers give it (`kafka+ssl://` and the
/// three PEM variables), through ``KafkaTLSEndpoint`` in front of the embedded broker.
@Suite(
    "Kafka over TLS", .serialized,
    .enabled(
        if: ProcessInfo.processInfo.environment["TEST_KAFKA_CONTROL_URL"] != nil,
        "needs the embedded broker: the TLS endpoint relays to a single broker"))
struct KafkaTLSTests {
    /// The endpoint in front of the test broker and the environment every process gets to use it.
    static func endpoint(prefix label: String) async throws -> (KafkaTLSEndpoint, [String: String]) {
        let kafka = try await TestServers.kafka(prefixedWith: label)
        let brokerPort = try #require(kafka.bootstrapServers.split(separator: ":").last.flatMap { Int($0) })
        let endpoint = try KafkaTLSEndpoint(
            brokerPort: brokerPort, tlsPort: try await IngressReloadTests.freePort(),
            relayPort: try await IngressReloadTests.freePort())
        let environment = [
            "KAFKA_URL": "kafka+ssl://127.0.0.1:\(endpoint.port)", "KAFKA_PREFIX": kafka.prefix,
            "KAFKA_TRUSTED_CERT": endpoint.credentials.trustedCertificate,
            "KAFKA_CLIENT_CERT": endpoint.credentials.clientCertificate,
            "KAFKA_CLIENT_CERT_KEY": endpoint.credentials.clientKey,
            "DRAINPIPE_TOPICS": ScalingTests.repository.appendingPathComponent("topics.yaml").path,
        ]
        return (endpoint, environment)
    }

    @Test(
        "drains flow ingress → aggregator → postgres-sink over TLS with a client certificate, exactly",
        .timeLimit(.minutes(3)))
    func pipelineOverTLS() async throws {
        let (endpoint, tls) = try await Self.endpoint(prefix: "tls")
        defer { endpoint.stop() }
        let shardList = try #require(ProcessInfo.processInfo.environment["TEST_DATABASE_SHARD_URLS"])
        let shards = try shardList.split(separator: ",").map { try DatabaseURL(environmentValue: String($0)) }
        var logger = Logger(label: "tls")
        logger.logLevel = .warning
        let database = ShardedDatabase(shards: shards, logger: logger)
        var generator = SplitMix64(seed: UInt64(Date().timeIntervalSince1970))
        let owners = ScalingTests.owners(count: 3, shardCount: shards.count, generator: &generator)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tenantsFile = directory.appendingPathComponent("tenants.yaml").path
        try ("owners:\n" + owners.map { "  - id: \($0)\n    drain_credentials: [\"\($0):secret\"]\n" }.joined())
            .write(toFile: tenantsFile, atomically: true, encoding: .utf8)
        let common = tls.merging(["DATABASE_SHARD_URLS": shardList, "FLUSH_INTERVAL": "250ms"]) { $1 }
        let port = try await IngressReloadTests.freePort()
        let formation = ScalingTests.Formation(ingressPorts: [port])
        defer { formation.stopAll() }
        try formation.start(
            "ingress",
            environment: common.merging([
                "PORT": "\(port)", "GRAPHITE_PORT": "off", "DYNO": "web.1", "DRAINPIPE_TENANTS": tenantsFile,
            ]) { $1 })
        try formation.start(
            "aggregator", environment: common.merging(["DYNO": "aggregator.1", "AGGREGATOR_WORKERS": "1"]) { $1 })
        try formation.start(
            "postgres-sink",
            environment: common.merging(["DYNO": "postgres_sink.1", "POSTGRES_SINK_WORKERS": "1"]) { $1 })
        let web = try #require(formation.processes["ingress"]?.first?.process)
        let ready = try await ReadinessAndMetricsTests.poll("/readyz", of: web, port: port) { status, _ in
            status == 200
        }
        #expect(ready.status == 200, "web never reached the broker over TLS\n\(endpoint.output)")

        var truth: [ScalingTests.SeriesMinute: [String: FieldStatistics]] = [:]
        let now = SystemWallClock().now()
        let requests = ScalingTests.requests(
            count: 20, owners: owners, now: now, phase: 1, generator: &generator, truth: &truth)
        for (index, request) in requests.enumerated() {
            try await ScalingTests.deliver(request, startingAt: index, ports: [port])
        }
        try await ScalingTests.expectShardsEqual(
            truth, owners: owners, around: now, database: database, formation: formation)
    }

    @Test(
        """
        a CA that did not sign the broker's certificate, or no client certificate, keeps web unready and its log \
        names the variable to fix
        """,
        .timeLimit(.minutes(2)))
    func wrongCredentialsAreNamed() async throws {
        let (endpoint, tls) = try await Self.endpoint(prefix: "tlsrefused")
        defer { endpoint.stop() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tlsno-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let tenantsFile = directory.appendingPathComponent("tenants.yaml").path
        try "owners:\n  - id: team-a\n".write(toFile: tenantsFile, atomically: true, encoding: .utf8)
        let cases: [(change: [String: String?], named: String)] = [
            (["KAFKA_TRUSTED_CERT": endpoint.credentials.unrelatedCertificate], "set KAFKA_TRUSTED_CERT"),
            (
                ["KAFKA_CLIENT_CERT": nil, "KAFKA_CLIENT_CERT_KEY": nil],
                "set KAFKA_CLIENT_CERT and KAFKA_CLIENT_CERT_KEY"
            ),
        ]
        for (change, named) in cases {
            var environment = tls.merging([
                "GRAPHITE_PORT": "off", "DRAINPIPE_TENANTS": tenantsFile,
                "DATABASE_SHARD_URLS": ProcessInfo.processInfo.environment["TEST_DATABASE_SHARD_URLS"] ?? "",
            ]) { $1 }
            for (name, value) in change { environment[name] = value }
            let port = try await IngressReloadTests.freePort()
            environment["PORT"] = "\(port)"
            let web = try ServiceProcess("ingress", environment: environment)
            defer { _ = web.terminate() }
            let answer = try await ReadinessAndMetricsTests.poll("/readyz", of: web, port: port) { status, body in
                status == 503 && body.contains("kafka: ") && web.output.contains(named)
            }
            #expect(answer.status == 503, "\(named): \(answer.body)")
            #expect(web.output.contains(named), "the log does not say \"\(named)\":\n\(web.output.suffix(3_000))")
        }
    }
}
