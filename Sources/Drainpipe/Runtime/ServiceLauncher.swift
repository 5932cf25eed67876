import DrainpipeCore
import Foundation

/// A service's configuration: everything read from the environment, with the shared pipeline settings.
package protocol ServiceConfiguration: CustomStringConvertible, Sendable {
    var pipeline: PipelineConfiguration { get }
}

extension AggregatorConfiguration: ServiceConfiguration {}
extension IngressConfiguration: ServiceConfiguration {}
extension SinkConfiguration: ServiceConfiguration {}

/// What every service `main` does after parsing its flags.
package enum ServiceLauncher {
    /// Builds the configuration from `environment`, or exits with status 78 (EX_CONFIG) listing every problem;
    /// then bootstraps logging and metrics once, logs the start and runs the process until it is stopped.
    package static func launch<Configuration: ServiceConfiguration>(
        _ process: String, environment: Environment, logLevel: String?,
        configure: (Environment) throws(ConfigurationError) -> Configuration,
        run: (Configuration, Observability) async throws -> Void
    ) async throws {
        let configuration: Configuration
        let level = logLevel ?? environment["LOG_LEVEL"] ?? "info"
        do {
            configuration = try configure(environment)
            guard Observability.logLevels.contains(level.lowercased()) else {
                throw ConfigurationError.invalidEnvironment([
                    .malformed(
                        variable: "LOG_LEVEL (or --log-level)",
                        expected: Observability.logLevels.joined(separator: ", "))
                ])
            }
        } catch {
            FileHandle.standardError.write(Data("\(process): \(error)\n".utf8))
            exit(78)
        }
        let observability = Observability.bootstrap(
            process: process, dyno: configuration.pipeline.dyno.description, logLevel: level)
        observability.announceStart(configuration)
        try await run(configuration, observability)
    }
}
