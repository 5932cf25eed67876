import ArgumentParser
import Drainpipe
import DrainpipeCore
import Foundation

/// The `postgres-sink` process (Procfile type `postgres_sink`); configuration comes from the environment (see
/// README.md).
@main
struct PostgresSinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres-sink", abstract: "Drainpipe's postgres-sink service.")

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        try await ServiceLauncher.launch(
            "postgres-sink", environment: Environment(ProcessInfo.processInfo.environment), logLevel: logLevel,
            configure: { environment throws(ConfigurationError) in
                try SinkConfiguration(environment: environment, workersVariable: "POSTGRES_SINK_WORKERS")
            },
            run: { try await PostgresSinkProcess(configuration: $0, observability: $1).run() })
    }
}
