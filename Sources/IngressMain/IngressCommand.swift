import ArgumentParser
import Drainpipe
import Foundation

/// The `ingress` process (Procfile type `web`): reads its configuration from the environment and runs.
@main
struct IngressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingress", abstract: "Drainpipe's ingress service. Configuration comes from the environment; see README.md.")

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        let environment = Environment(ProcessInfo.processInfo.environment)
        let configuration: IngressConfiguration
        do {
            configuration = try IngressConfiguration(environment: environment)
        } catch {
            FileHandle.standardError.write(Data("ingress: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        let observability = Observability.bootstrap(
            process: "ingress", dyno: configuration.pipeline.dyno.description, logLevel: logLevel ?? environment["LOG_LEVEL"])
        observability.announceStart(configuration)
        try await IngressProcess(configuration: configuration, observability: observability).run()
    }
}
