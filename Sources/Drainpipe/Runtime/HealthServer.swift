import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle

/// Builds the HTTP application of a process: health and metrics routes plus any feature routes, behind the
/// `RequestMetricsMiddleware` (latency by route and status) and the `RefusalMiddleware` (control characters in
/// queries get 400, a 500 always has a body, refusals are counted).
package enum HTTPApplication {
    /// - Parameter server: the child channel (the ingress passes its guarded one; plain HTTP/1 otherwise).
    package static func make(
        port: HTTPPort, observability: Observability, services: [any Service] = [],
        server: HTTPServerBuilder = .http1(),
        registering register: (Router<BasicRequestContext>) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(metrics: observability.metrics))
        router.add(
            middleware: RefusalMiddleware(
                reporter: RefusalReporter(logger: observability.logger, metrics: observability.metrics)))
        HealthRoutes(registry: observability.registry).register(on: router)
        register(router)
        return Application(
            router: router,
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname("0.0.0.0", port: port.value), serverName: "drainpipe"),
            services: services,
            logger: observability.logger)
    }
}
