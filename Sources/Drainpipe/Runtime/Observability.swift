import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals

/// The logger and metrics of one process. `bootstrap` is called exactly once, from `main`.
package struct Observability: Sendable {
    package var logger: Logger
    package var registry: PrometheusCollectorRegistry
    package var metrics: any MetricsFactory

    /// The accepted log level names.
    package static let logLevels = Logger.Level.allCases.map(\.rawValue)

    /// Bootstraps swift-log (logfmt on stderr, one line per event) and swift-metrics (Prometheus) for this process.
    package static func bootstrap(process: String, dyno: String, logLevel: String?) -> Observability {
        let level = logLevel.flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { _ in
            var handler = LogfmtLogHandler()
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        let factory = DocumentedMetricsFactory(registry: registry)
        MetricsSystem.bootstrap(factory)
        var logger = Logger(label: "drainpipe.\(process)")
        logger[metadataKey: "process"] = "\(process)"
        logger[metadataKey: "dyno"] = "\(dyno)"
        return Observability(logger: logger, registry: registry, metrics: factory)
    }

    /// Logs the process's start with its configuration (whose description redacts secrets).
    package func announceStart(_ configuration: some CustomStringConvertible) {
        logger.info("starting", metadata: ["configuration": "\(configuration)"])
    }

    /// Runs services in one group until SIGTERM or SIGINT, shutting them down in reverse order.
    ///
    /// A service that ends with `CancellationError` during the graceful shutdown was stopped as asked, not failed, so
    /// the process exits 0 after a handled signal; any other error still fails the group.
    package func run(_ services: [any Service]) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map {
                    ServiceGroupConfiguration.ServiceConfiguration(service: StoppedByShutdown(service: $0))
                },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// A service whose `CancellationError` during the graceful shutdown counts as a clean stop.
private struct StoppedByShutdown: Service, CustomStringConvertible {
    var service: any Service

    func run() async throws {
        do {
            try await service.run()
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return
        }
    }

    var description: String { String(describing: service) }
}
