import Hummingbird
import Logging
import ServiceLifecycle

/// Builds the HTTP application of a process: health and metrics routes plus any feature routes.
package enum HTTPApplication {
    package static func make(
        port: HTTPPort, observability: Observability, services: [any Service] = [],
        registering register: (Router<BasicRequestContext>) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        HealthRoutes(registry: observability.registry).register(on: router)
        register(router)
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname("0.0.0.0", port: port.value), serverName: "drainpipe"),
            services: services,
            logger: observability.logger)
    }
}
