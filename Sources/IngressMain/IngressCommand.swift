import ArgumentParser
import Drainpipe
import DrainpipeCore
import Foundation

/// The `ingress` process (Procfile type `web`); configuration comes from the environment (see README.md).
@main
struct IngressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingress", abstract: "Drainpipe's ingress service.")

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: LOG_LEVEL or info).")
    var logLevel: String?

    func run() async throws {
        try await ServiceLauncher.launch(
            "ingress", environment: Environment(ProcessInfo.processInfo.environment), logLevel: logLevel,
            configure: { environment throws(ConfigurationError) in try IngressConfiguration(environment: environment) },
            run: { try await IngressProcess(configuration: $0, observability: $1).run() })
    }
}
