import ServiceLifecycle

/// The ingress (web) process: the drain endpoint, the read API, health and metrics over HTTP, and a producer.
package struct IngressProcess {
    package var configuration: IngressConfiguration
    package var observability: Observability

    package init(configuration: IngressConfiguration, observability: Observability) {
        self.configuration = configuration
        self.observability = observability
    }

    package func run() async throws {
        let pipeline = configuration.pipeline
        var options = KafkaProducer.Options()
        options.messageTimeout = configuration.deliveryTimeout
        options.enqueueTimeout = configuration.deliveryTimeout
        let producer = try KafkaProducer(
            connection: pipeline.kafka, clientID: "drainpipe-\(pipeline.dyno)", options: options, logger: observability.logger)
        let clock = SystemWallClock()
        let ingestor = DrainIngestor(
            tenants: configuration.tenants, topics: pipeline.topics, kafka: pipeline.kafka, publisher: producer,
            clock: clock, metrics: observability.metrics, logger: observability.logger)
        let database = ShardedDatabase(shards: configuration.shards, logger: observability.logger)
        let application = HTTPApplication.make(port: configuration.port, observability: observability) { router in
            DrainRoutes(ingestor: ingestor, maximumBodyBytes: configuration.maximumBodyBytes).register(on: router)
            SeriesRoutes(tenants: configuration.tenants, store: database, clock: clock).register(on: router)
        }
        try await observability.run([ProducerService(producer: producer), application])
    }
}
