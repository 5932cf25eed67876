import DrainpipeCore
import DrainpipeKafka
import Hummingbird
import Logging
import ServiceLifecycle

/// The ingress (web) process: the drain and Graphite endpoints, the read API and the dashboard, health and metrics
/// over HTTP, the Graphite TCP listener, the SIGHUP tenants reloader and a producer.
package struct IngressProcess {
    package var configuration: IngressConfiguration
    package var observability: Observability

    package init(configuration: IngressConfiguration, observability: Observability) {
        self.configuration = configuration
        self.observability = observability
    }

    package func run() async throws {
        let pipeline = configuration.pipeline
        let logger = observability.logger
        let metrics = observability.metrics
        var options = KafkaProducer.Options()
        options.messageTimeout = configuration.deliveryTimeout
        options.enqueueTimeout = configuration.deliveryTimeout
        let producer = try KafkaProducer(
            connection: pipeline.kafka, clientID: "drainpipe-\(pipeline.dyno)", options: options, logger: logger)
        let clock = SystemWallClock()
        let tenants = LiveTenantDirectory(configuration.tenants, path: configuration.tenantsPath)
        let admission = IngressAdmission(clock: clock, metrics: metrics)
        let delivery = IngressDelivery(publisher: producer, timeout: configuration.deliveryTimeout, logger: logger)
        let context = IngressContext(
            tenants: tenants, topics: pipeline.topics, kafka: pipeline.kafka, admission: admission, delivery: delivery,
            clock: clock)
        let drains = DrainIngestor(context: context, metrics: metrics, logger: logger)
        let graphite = GraphiteIngestor(
            context: context, pastWindow: configuration.graphitePastWindow,
            futureWindow: configuration.graphiteFutureWindow, metrics: metrics, logger: logger)
        let database = ShardedDatabase(shards: configuration.shards, logger: logger)
        let dashboard = DashboardAssets(dygraphsDirectory: configuration.dygraphsDirectory)
        if let warning = dashboard.warning { logger.warning("\(warning)") }
        let application = HTTPApplication.make(port: configuration.port, observability: observability) { router in
            Self.registerRoutes(
                on: router, drains: drains, graphite: graphite, tenants: tenants, store: database, clock: clock,
                dashboard: dashboard, maximumBodyBytes: configuration.maximumBodyBytes)
        }
        var services: [any Service] = [
            ProducerService(producer: producer),
            IngressTenantReloader(tenants: tenants, metrics: metrics, logger: logger),
        ]
        if let graphitePort = configuration.graphitePort {
            services.append(GraphiteTCPServer(port: graphitePort, ingestor: graphite, logger: logger))
        }
        services.append(application)
        try await observability.run(services)
    }

    /// Registers every route of the web process except `/healthz` and `/metrics` (``HTTPApplication`` adds those):
    /// the drain, Graphite ingest, the series API and the OpenAPI document, platform events, owners, the dashboard,
    /// and the Graphite query API.
    package static func registerRoutes(
        on router: Router<BasicRequestContext>, drains: DrainIngestor, graphite: GraphiteIngestor,
        tenants: LiveTenantDirectory, store: any SeriesCatalogStore & SeriesActivityStore, clock: any WallClock,
        dashboard: DashboardAssets, maximumBodyBytes: Int
    ) {
        DrainRoutes(ingestor: drains, maximumBodyBytes: maximumBodyBytes).register(on: router)
        GraphiteRoutes(ingestor: graphite, maximumBodyBytes: maximumBodyBytes).register(on: router)
        SeriesRoutes(tenants: tenants, store: store, clock: clock).register(on: router)
        EventsRoutes(tenants: tenants, store: store, clock: clock).register(on: router)
        OwnersRoutes(tenants: tenants, store: store, clock: clock).register(on: router)
        DashboardRoutes(assets: dashboard).register(on: router)
        GraphiteQueryRoutes(tenants: tenants, store: store, clock: clock).register(on: router)
    }
}
