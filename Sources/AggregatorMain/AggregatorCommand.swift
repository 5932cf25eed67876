import ArgumentParser
import Drainpipe
import DrainpipeCore
import Foundation

/// The `aggregator` process (Procfile type `aggregator`); configuration comes from the environment (see README.md).
@main
struct AggregatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregator", abstract: "Drainpipe's aggregator service.")

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        try await ServiceLauncher.launch(
            "aggregator", environment: Environment(ProcessInfo.processInfo.environment), logLevel: logLevel,
            configure: { environment throws(ConfigurationError) in try AggregatorConfiguration(environment: environment)
            },
            run: { try await AggregatorProcess(configuration: $0, observability: $1).run() })
    }
}
