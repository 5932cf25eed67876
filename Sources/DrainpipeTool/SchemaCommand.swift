import ArgumentParser
import Drainpipe
import DrainpipeCore
import DrainpipePostgres
import Foundation
import Logging

/// `drainpipe schema create|retention`: day schemas on every shard of DATABASE_URL / DATABASE_SHARD_URLS.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract:
            "Create day schemas ahead of time and drop expired ones "
            + "on every shard (the postgres-sink also does this hourly)."
    )

    @Option(help: "Create today's schema and this many days ahead.")
    var daysAhead = 1

    @Option(help: "Drop day schemas older than this many days.")
    var retentionDays = 21

    func run() async throws {
        var problems: [ConfigurationError.Problem] = []
        guard
            let shards = SinkConfiguration.shards(
                environment: Environment(ProcessInfo.processInfo.environment), noting: &problems)
        else {
            throw ConfigurationError.invalidEnvironment(problems)
        }
        let logger = Logger(label: "drainpipe.schema")
        let maintenance = SchemaMaintenanceService(
            database: ShardedDatabase(shards: shards, logger: logger), retentionDays: retentionDays,
            daysAhead: daysAhead,
            clock: SystemWallClock(), logger: logger)
        for shard in 0..<shards.count {
            let (ensured, dropped) = try await maintenance.maintain(shard: shard)
            say(
                "shard \(shard) (\(shards[shard].redacted)): ensured \(ensured.map(\.name).joined(separator: ", ")); "
                    + "dropped \(dropped.isEmpty ? "none" : dropped.map(\.name).joined(separator: ", "))"
            )
        }
    }
}
