import DrainpipeCore
import DrainpipeKafka
import Hummingbird
import Logging
import ServiceLifecycle

/// The ingress (web) process: the drain and Graphite endpoints, the read API and the dashboard, health and metrics
/// over HTTP, `/readyz` (the broker and every shard answer), the Graphite TCP listener, the SIGHUP tenants reloader
/// and a producer.
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
        var limits = configuration.limits
        if let descriptors = FileDescriptorLimit.raiseSoftLimitToHard() {
            logger.info(
                "open-file limit", metadata: ["soft": "\(descriptors.soft)", "hard": "\(descriptors.hard)"])
            if let fitted = limits.fitted(toOpenFileLimit: descriptors.soft) {
                logger.warning(
                    "connection caps lowered to fit the open-file limit",
                    metadata: [
                        "http_max_connections": "\(fitted.http.maximumConnections)",
                        "graphite_max_connections": "\(fitted.graphite.maximumConnections)",
                        "open_file_limit": "\(descriptors.soft)",
                    ])
                limits = fitted
            }
        }
        var options = KafkaProducer.Options()
        options.messageTimeout = configuration.deliveryTimeout
        options.enqueueTimeout = configuration.deliveryTimeout
        options.linger = configuration.producerLinger
        let producer = try KafkaProducer(
            connection: pipeline.kafka, clientID: "drainpipe-\(pipeline.dyno)", options: options, logger: logger)
        let clock = SystemWallClock()
        let tenants = LiveTenantDirectory(configuration.tenants, path: configuration.tenantsPath)
        let admission = IngressAdmission(clock: clock, metrics: metrics)
        let delivery = IngressDelivery(
            publisher: MeteredPublisher(producer, metrics: metrics), timeout: configuration.deliveryTimeout,
            logger: logger)
        let context = IngressContext(
            tenants: tenants, topics: pipeline.topics, kafka: pipeline.kafka, admission: admission, delivery: delivery,
            clock: clock)
        let drains = DrainIngestor(context: context, metrics: metrics, logger: logger)
        let graphite = GraphiteIngestor(
            context: context, pastWindow: configuration.graphitePastWindow,
            futureWindow: configuration.graphiteFutureWindow, metrics: metrics, logger: logger)
        let database = ShardedDatabase(
            shards: configuration.shards, readSessionsPerShard: configuration.readSessionsPerShard, logger: logger)
        let gate = IngressRequestGate(
            budgetBytes: limits.inflightBodyBytes, defaultConcurrentRequests: limits.concurrentRequestsPerTenant)
        let readQuota = ReadQuota(defaults: limits.readQuota, clock: clock)
        let server = GuardedHTTP1Channel.builder(
            limits: limits.http, roster: ConnectionRoster(maximumConnections: limits.http.maximumConnections),
            metrics: ListenerMetrics(listener: "http", factory: metrics), logger: logger)
        let maximumBodyBytes = configuration.maximumBodyBytes
        let dashboard = DashboardAssets(dygraphsDirectory: configuration.dygraphsDirectory)
        if let warning = dashboard.warning { logger.warning("\(warning)") }
        let readiness = ReadinessMonitor(
            checks: [ReadinessCheck.kafka(producer, worker: BlockingWorker(label: "drainpipe.ingress.readiness"))]
                + ReadinessCheck.shards(database))
        let application = HTTPApplication.make(port: configuration.port, observability: observability, server: server) {
            router in
            readiness.register(on: router)
            Self.registerRoutes(
                on: router, drains: drains, graphite: graphite, gate: gate, tenants: tenants, store: database,
                clock: clock, readQuota: readQuota, dashboard: dashboard, maximumBodyBytes: maximumBodyBytes)
        }
        var services: [any Service] = [
            ProducerService(producer: producer),
            IngressTenantReloader(tenants: tenants, metrics: metrics, logger: logger),
            readiness,
        ]
        if let graphitePort = configuration.graphitePort {
            services.append(
                GraphiteTCPServer(
                    port: graphitePort, ingestor: graphite, limits: limits.graphite, metrics: metrics, logger: logger))
        }
        services.append(application)
        try await observability.run(services)
    }

    /// Registers every route of the web process except `/healthz` and `/metrics` (``HTTPApplication`` adds those):
    /// the drain, Graphite ingest, the series API and the OpenAPI document, platform events, owners, the dashboard,
    /// and the Graphite query API.
    package static func registerRoutes(
        on router: Router<BasicRequestContext>, drains: DrainIngestor, graphite: GraphiteIngestor,
        gate: IngressRequestGate = .unbounded, tenants: LiveTenantDirectory,
        store: any SeriesCatalogStore & SeriesActivityStore, clock: any WallClock, readQuota: ReadQuota? = nil,
        dashboard: DashboardAssets, maximumBodyBytes: Int
    ) {
        DrainRoutes(ingestor: drains, maximumBodyBytes: maximumBodyBytes, gate: gate).register(on: router)
        GraphiteRoutes(ingestor: graphite, maximumBodyBytes: maximumBodyBytes, gate: gate).register(on: router)
        SeriesRoutes(tenants: tenants, store: store, clock: clock, quota: readQuota).register(on: router)
        EventsRoutes(tenants: tenants, store: store, clock: clock, quota: readQuota).register(on: router)
        OwnersRoutes(tenants: tenants, store: store, clock: clock, quota: readQuota).register(on: router)
        DashboardRoutes(assets: dashboard).register(on: router)
        GraphiteQueryRoutes(tenants: tenants, store: store, clock: clock, quota: readQuota).register(on: router)
    }
}
