import ArgumentParser
import Drainpipe
import DrainpipeCore
import Foundation

/// The `retry-sink` process (Procfile type `retry_sink`); configuration comes from the environment (see README.md).
@main
struct RetrySinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry-sink", abstract: "Drainpipe's retry-sink service.")

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        try await ServiceLauncher.launch(
            "retry-sink", environment: Environment(ProcessInfo.processInfo.environment), logLevel: logLevel,
            configure: { environment throws(ConfigurationError) in
                try SinkConfiguration(environment: environment, workersVariable: "RETRY_SINK_WORKERS")
            },
            run: { try await RetrySinkProcess(configuration: $0, observability: $1).run() })
    }
}
