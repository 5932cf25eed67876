import ArgumentParser
import Drainpipe
import Foundation

/// The `aggregator` process (Procfile type `aggregator`): reads its configuration from the environment and runs.
@main
struct AggregatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregator", abstract: "Drainpipe's aggregator service. Configuration comes from the environment; see README.md.")

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        let environment = Environment(ProcessInfo.processInfo.environment)
        let configuration: AggregatorConfiguration
        do {
            configuration = try AggregatorConfiguration(environment: environment)
        } catch {
            FileHandle.standardError.write(Data("aggregator: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        let observability = Observability.bootstrap(
            process: "aggregator", dyno: configuration.pipeline.dyno.description, logLevel: logLevel ?? environment["LOG_LEVEL"])
        observability.announceStart(configuration)
        try await AggregatorProcess(configuration: configuration, observability: observability).run()
    }
}
