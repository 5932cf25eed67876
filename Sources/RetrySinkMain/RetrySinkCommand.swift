import ArgumentParser
import Drainpipe
import Foundation

/// The `retry-sink` process (Procfile type `retry_sink`): reads its configuration from the environment and runs.
@main
struct RetrySinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry-sink", abstract: "Drainpipe's retry-sink service. Configuration comes from the environment; see README.md.")

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        let environment = Environment(ProcessInfo.processInfo.environment)
        let configuration: SinkConfiguration
        do {
            configuration = try SinkConfiguration(environment: environment, workersVariable: "RETRY_SINK_WORKERS")
        } catch {
            FileHandle.standardError.write(Data("retry-sink: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        let observability = Observability.bootstrap(
            process: "retry-sink", dyno: configuration.pipeline.dyno.description, logLevel: logLevel ?? environment["LOG_LEVEL"])
        observability.announceStart(configuration)
        try await RetrySinkProcess(configuration: configuration, observability: observability).run()
    }
}
