import ArgumentParser

/// `drainpipe`: the tool beside the services — local stack, topics, schemas, load generation.
@main
struct DrainpipeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drainpipe",
        abstract: "Drainpipe administration: embedded Kafka, topics, database schemas and sample load.",
        subcommands: [
            KafkaCommand.self, TopicsCommand.self, SchemaCommand.self, LoadCommand.self, BenchCommand.self,
            BenchGraphiteCommand.self, BenchSinkCommand.self, BenchAggregatorCommand.self, StatusCommand.self,
            BenchQueryCommand.self, SeedHistoryCommand.self, BenchInfluxCommand.self, BenchHTTPServerCommand.self,
            BenchProduceCommand.self, BenchIngestPathCommand.self,
        ])
}
