import DrainpipeCore
import DrainpipeKafka
import DrainpipePostgres
import ServiceLifecycle

/// The postgres-sink process: a producer for the RETRY topics, the sink loop, and daily schema maintenance.
package struct PostgresSinkProcess {
    package var configuration: SinkConfiguration
    package var observability: Observability

    package init(configuration: SinkConfiguration, observability: Observability) {
        self.configuration = configuration
        self.observability = observability
    }

    package func run() async throws {
        try await runSink(
            mode: .primary, configuration: configuration, observability: observability,
            extraServices: { database in
                [
                    SchemaMaintenanceService(
                        database: database, retentionDays: configuration.retentionDays, clock: SystemWallClock(),
                        logger: observability.logger)
                ]
            })
    }
}

/// The retry-sink process: persists what reached the RETRY topics, with back-off, forever.
package struct RetrySinkProcess {
    package var configuration: SinkConfiguration
    package var observability: Observability

    package init(configuration: SinkConfiguration, observability: Observability) {
        self.configuration = configuration
        self.observability = observability
    }

    package func run() async throws {
        try await runSink(
            mode: .retry, configuration: configuration, observability: observability, extraServices: { _ in [] })
    }
}

private func runSink(
    mode: SummarySinkService.Mode, configuration: SinkConfiguration, observability: Observability,
    extraServices: (ShardedDatabase) -> [any Service]
) async throws {
    let pipeline = configuration.pipeline
    let producer = try KafkaProducer(
        connection: pipeline.kafka, clientID: "drainpipe-\(pipeline.dyno)", logger: observability.logger)
    let database = ShardedDatabase(
        shards: configuration.shards, rowsPerCopy: configuration.batchSize, logger: observability.logger)
    try await database.verifyLayout(
        names: configuration.shards.map { "\($0.endpoint)/\($0.database ?? "")" }, logger: observability.logger)
    let sink = SummarySinkService(
        settings: SummarySinkService.Settings(
            mode: mode, topics: pipeline.topics, kafka: pipeline.kafka, assignment: configuration.assignment,
            batchSize: configuration.batchSize, clientID: "drainpipe-\(pipeline.dyno)"),
        database: database, publisher: producer, metrics: observability.metrics, logger: observability.logger)
    var services: [any Service] = [ProducerService(producer: producer), sink]
    services.append(contentsOf: extraServices(database))
    if let port = pipeline.port {
        services.append(HTTPApplication.make(port: port, observability: observability))
    }
    try await observability.run(services)
}
