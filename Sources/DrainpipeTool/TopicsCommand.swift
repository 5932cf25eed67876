import ArgumentParser
import Drainpipe
import DrainpipeCore
import DrainpipeKafka
import Foundation
import Logging

/// `drainpipe topics create|verify`: keeps a real cluster in line with topics.yaml.
struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics", abstract: "Create or verify the topics of topics.yaml on the cluster in KAFKA_URL.",
        subcommands: [Create.self, Verify.self])

    struct Options: ParsableArguments {
        @Option(help: "The topics file.")
        var topics = "topics.yaml"

        @Option(help: "Override the replication factor of every topic (e.g. 1 on a single-broker cluster).")
        var replicationFactor: Int?

        func connect() throws -> (TopicCatalog, KafkaConnection, KafkaAdmin) {
            var problems: [ConfigurationError.Problem] = []
            guard
                let connection = KafkaConnection(
                    environment: Environment(ProcessInfo.processInfo.environment), noting: &problems)
            else {
                throw ConfigurationError.invalidEnvironment(problems)
            }
            let catalog = try TopicCatalog(contentsOf: topics)
            let admin = try KafkaAdmin(
                connection: connection, clientID: "drainpipe-topics", logger: Logger(label: "drainpipe.topics"))
            return (catalog, connection, admin)
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create every missing topic (existing topics are left alone).")
        @OptionGroup var options: Options

        func run() throws {
            let (catalog, connection, admin) = try options.connect()
            let specifications = catalog.topics.map { topic in
                var configs = ["cleanup.policy": topic.cleanupPolicy]
                if let retention = topic.retentionMilliseconds { configs["retention.ms"] = String(retention) }
                return TopicSpecification(
                    name: connection.topicName(topic.name), partitions: topic.partitions,
                    replicationFactor: options.replicationFactor ?? topic.replicationFactor, configs: configs)
            }
            let results = try admin.createTopics(specifications, timeout: .seconds(30))
            for name in results.keys.sorted() {
                say("\(name): \(results[name] == .created ? "created" : "already exists")")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report missing topics, wrong partition counts and wrong cleanup policies; exit 1 on any.")
        @OptionGroup var options: Options

        func run() throws {
            let (catalog, connection, admin) = try options.connect()
            let names = catalog.topics.map { connection.topicName($0.name) }
            let partitions = try admin.partitionCounts(topics: names, timeout: .seconds(30))
            let policies: [String: String]
            var problems: [String] = []
            do {
                policies = try admin.describeCleanupPolicies(
                    topics: names.filter { partitions[$0] != nil }, timeout: .seconds(10))
            } catch {
                policies = [:]
                say("note: cleanup policies not checked (the embedded mock broker has no DescribeConfigs): \(error)")
            }
            for topic in catalog.topics {
                let name = connection.topicName(topic.name)
                guard let count = partitions[name] else {
                    problems.append("\(name): missing")
                    continue
                }
                if count != topic.partitions {
                    problems.append("\(name): \(count) partitions, expected \(topic.partitions)")
                }
                if let policy = policies[name], policy != topic.cleanupPolicy {
                    problems.append("\(name): cleanup.policy=\(policy), expected \(topic.cleanupPolicy)")
                }
            }
            if problems.isEmpty {
                say("All \(catalog.topics.count) topics match \(options.topics).")
            } else {
                for problem in problems { print(problem) }
                throw ExitCode(1)
            }
        }
    }
}
