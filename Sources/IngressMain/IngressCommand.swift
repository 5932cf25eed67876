import ArgumentParser
import Drainpipe
import DrainpipeCore
import Foundation
import NIOCore
import NIOPosix

/// The `ingress` process (Procfile type `web`); configuration comes from the environment (see README.md).
@main
struct IngressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingress", abstract: "Drainpipe's ingress service.")

    @Option(help: "trace, debug, info, notice, warning, error or critical (default: LOG_LEVEL or info).")
    var logLevel: String?

    /// Runs the command with NIO's event loops as Swift Concurrency's global executor, before any task is started:
    /// a request's handler then runs on the event loop that read it instead of hopping to the concurrency pool's
    /// threads and back for every request.
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await main(nil)
    }

    func run() async throws {
        try await ServiceLauncher.launch(
            "ingress", environment: Environment(ProcessInfo.processInfo.environment), logLevel: logLevel,
            configure: { environment throws(ConfigurationError) in try IngressConfiguration(environment: environment) },
            run: { try await IngressProcess(configuration: $0, observability: $1).run() })
    }
}
