import ArgumentParser
import Drainpipe
import DrainpipeCore
import Foundation

/// The `influx-sink` process (Procfile type `influx_sink`, optional); configuration comes from the environment
/// (see README.md, "Writing a sink").
@main
struct InfluxSinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "influx-sink", abstract: "Drainpipe's InfluxDB sink: summaries as line protocol.")

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        try await ServiceLauncher.launch(
            "influx-sink", environment: Environment(ProcessInfo.processInfo.environment), logLevel: logLevel,
            configure: { environment throws(ConfigurationError) in
                try InfluxSinkConfiguration(environment: environment)
            },
            run: { try await InfluxSinkProcess(configuration: $0, observability: $1).run() })
    }
}
