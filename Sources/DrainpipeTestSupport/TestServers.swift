import Foundation
import Logging

#if canImport(FoundationNetworking)
    import FoundationNetworking
    import Drainpipe
    import DrainpipeCore
    import DrainpipeKafka
    import DrainpipePostgres
#endif

/// The real Postgres and Kafka the integration tests use, from the variables the README's test command sets.
///
/// Missing variables are a test failure with instructions, never a silent skip.
package enum TestServers {
    package struct Missing: Error, CustomStringConvertible {
        package var variable: String
        package var description: String {
            "\(variable) is not set. Run the tests through the README's test command "
                + "(deploy/test), which starts Postgres and the embedded Kafka broker and "
                + "sets TEST_DATABASE_URL, TEST_DATABASE_SHARD_URLS, TEST_KAFKA_URL and TEST_INFLUX_URL."
        }
    }

    static func variable(_ name: String) throws -> String {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else {
            throw Missing(variable: name)
        }
        return value
    }

    /// The directory holding the built executables (`DRAINPIPE_TEST_BIN_PATH`).
    package static func binPath() throws -> String { try variable("DRAINPIPE_TEST_BIN_PATH") }

    /// The shard databases (`TEST_DATABASE_SHARD_URLS`, or `TEST_DATABASE_URL` alone).
    package static func databaseShards() throws -> [DatabaseURL] {
        let list = try (try? variable("TEST_DATABASE_SHARD_URLS")) ?? variable("TEST_DATABASE_URL")
        return try list.split(separator: ",").map { try DatabaseURL(environmentValue: String($0)) }
    }

    /// The repository's topics.yaml.
    package static func topicCatalog() throws -> TopicCatalog {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try TopicCatalog(contentsOf: repository.appendingPathComponent("topics.yaml").path)
    }

    /// A connection to the test broker under a fresh topic prefix whose topics exist, so tests never share data.
    ///
    /// On the embedded broker the topics are created through its control endpoint (`TEST_KAFKA_CONTROL_URL`);
    /// on a real cluster through the admin API.
    package static func kafka(prefixedWith label: String) async throws -> KafkaConnection {
        let prefix = "\(label)-\(UUID().uuidString.prefix(8).lowercased())."
        var problems: [ConfigurationError.Problem] = []
        let environment = Environment(["KAFKA_URL": try variable("TEST_KAFKA_URL"), "KAFKA_PREFIX": prefix])
        guard let connection = KafkaConnection(environment: environment, noting: &problems) else {
            throw ConfigurationError.invalidEnvironment(problems)
        }
        let catalog = try topicCatalog()
        if let control = ProcessInfo.processInfo.environment["TEST_KAFKA_CONTROL_URL"],
            let url = URL(string: "\(control)?prefix=\(prefix)")
        {
            var request = URLRequest(url: url)
            request.httpMethod = "POST"
            let (_, response) = try await URLSession.shared.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                throw Missing(variable: "a working TEST_KAFKA_CONTROL_URL (the embedded broker did not create topics)")
            }
        } else {
            let admin = try KafkaAdmin(
                connection: connection, clientID: "drainpipe-tests", logger: .init(label: "tests"))
            _ = try admin.createTopics(
                catalog.topics.map {
                    TopicSpecification(
                        name: connection.topicName($0.name), partitions: $0.partitions, replicationFactor: 1,
                        configs: ["cleanup.policy": $0.cleanupPolicy])
                }, timeout: .seconds(30))
        }
        return connection
    }
}

/// The InfluxDB 1.x server the README's test command starts (`deploy/start-influxdb`), for the influx-sink's tests.
package enum TestInflux {
    /// A database of one test's own: its URL, and the same as `INFLUX_URL` spells it for child processes.
    package struct Database: Sendable {
        package var url: InfluxURL
        package var urlText: String
    }

    /// A database of the test's own on the server of `TEST_INFLUX_URL`, created empty.
    package static func database(_ label: String) async throws -> Database {
        let text = try TestServers.variable("TEST_INFLUX_URL")
        let name = "\(label)_\(UUID().uuidString.prefix(8).lowercased())"
        var components = URLComponents(string: text)
        components?.path = "/\(name)"
        let urlText = components?.string ?? ""
        let url = try InfluxURL(environmentValue: urlText)
        let admin = InfluxClient(url: url, gzip: false, timeout: .seconds(10))
        _ = try await admin.query("CREATE DATABASE \(InfluxLineProtocol.quotedIdentifier(name))")
        return Database(url: url, urlText: urlText)
    }

    /// Stops the server (as an outage would); ``start()`` brings it back with its data.
    package static func stop() throws { try control(["--stop"]) }

    /// Starts the server again and waits until it answers.
    package static func start() throws { try control([]) }

    /// Runs `deploy/start-influxdb` with the state directory and port `deploy/test` exported.
    private static func control(_ arguments: [String]) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("deploy/start-influxdb")
        let process = Process()
        process.executableURL = script
        process.arguments = arguments + (arguments.isEmpty ? ["drainpipe_test"] : [])
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestServers.Missing(variable: "a working deploy/start-influxdb \(arguments.joined(separator: " "))")
        }
    }
}
