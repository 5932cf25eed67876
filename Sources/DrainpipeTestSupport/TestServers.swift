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
                + "sets TEST_DATABASE_URL, TEST_DATABASE_SHARD_URLS and TEST_KAFKA_URL."
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
