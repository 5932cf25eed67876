import DrainpipeKafka
import ServiceLifecycle

/// The aggregator process: a producer, the aggregation loop and, when `PORT` is set, health, metrics and `/readyz`
/// (the broker answers, and the partitions are assigned and replayed through their ends at start).
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
            clock: ContinuousClock(), publisher: MeteredPublisher(producer, metrics: observability.metrics),
            metrics: observability.metrics, logger: observability.logger)
        var services: [any Service] = [ProducerService(producer: producer), aggregator]
        if let port = pipeline.port {
            let replay = aggregator.readiness
            let readiness = ReadinessMonitor(
                checks: [
                    .kafka(producer, worker: BlockingWorker(label: "drainpipe.aggregator.readiness")),
                    ReadinessCheck(name: "aggregator") { replay.problem },
                ],
                interval: .seconds(1))
            services.append(readiness)
            services.append(
                HTTPApplication.make(port: port, observability: observability) { router in
                    readiness.register(on: router)
                })
        }
        try await observability.run(services)
    }
}
