import DrainpipeKafka
import ServiceLifecycle

/// The aggregator process: a producer, the aggregation loop and, when `PORT` is set, health and metrics.
package struct AggregatorProcess {
    package var configuration: AggregatorConfiguration
    package var observability: Observability

    package init(configuration: AggregatorConfiguration, observability: Observability) {
        self.configuration = configuration
        self.observability = observability
    }

    package func run() async throws {
        let pipeline = configuration.pipeline
        let producer = try KafkaProducer(
            connection: pipeline.kafka, clientID: "drainpipe-\(pipeline.dyno)", logger: observability.logger)
        let aggregator = AggregatorService(
            settings: AggregatorService.Settings(
                topics: pipeline.topics, kafka: pipeline.kafka, assignment: configuration.assignment,
                windows: configuration.windows, flushInterval: configuration.flushInterval,
                clientID: "drainpipe-\(pipeline.dyno)"),
            clock: ContinuousClock(), publisher: producer, metrics: observability.metrics, logger: observability.logger)
        var services: [any Service] = [ProducerService(producer: producer), aggregator]
        if let port = pipeline.port {
            services.append(HTTPApplication.make(port: port, observability: observability))
        }
        try await observability.run(services)
    }
}
