import DrainpipeCore
import DrainpipeKafka
import DrainpipePostgres
import ServiceLifecycle

/// The postgres-sink process: the sink kit's primary loop over the Postgres shards, and daily schema maintenance.
package struct PostgresSinkProcess {
    package var configuration: SinkConfiguration
    package var observability: Observability

    package init(configuration: SinkConfiguration, observability: Observability) {
        self.configuration = configuration
        self.observability = observability
    }

    package func run() async throws {
        let database = ShardedDatabase(
            shards: configuration.shards, rowsPerCopy: configuration.batchSize, logger: observability.logger)
        try await runPostgresSink(
            .primary, database: database, configuration: configuration, observability: observability,
            extraServices: [
                SchemaMaintenanceService(
                    database: database, retentionDays: configuration.retentionDays, clock: SystemWallClock(),
                    logger: observability.logger)
            ])
    }
}

/// The retry-sink process: the postgres-sink's retry loop, persisting what reached its RETRY topics, with back-off,
/// forever.
package struct RetrySinkProcess {
    package var configuration: SinkConfiguration
    package var observability: Observability

    package init(configuration: SinkConfiguration, observability: Observability) {
        self.configuration = configuration
        self.observability = observability
    }

    package func run() async throws {
        let database = ShardedDatabase(
            shards: configuration.shards, rowsPerCopy: configuration.batchSize, logger: observability.logger)
        try await runPostgresSink(
            .retry, database: database, configuration: configuration, observability: observability)
    }
}

private func runPostgresSink(
    _ mode: SinkMode, database: ShardedDatabase, configuration: SinkConfiguration, observability: Observability,
    extraServices: [any Service] = []
) async throws {
    let pipeline = configuration.pipeline
    try await database.verifyLayout(
        names: configuration.shards.map(\.endpointAndDatabase), logger: observability.logger)
    try await SinkProcess.run(
        pipeline: pipeline, observability: observability,
        loops: { producer in
            let settings = SinkSettings.postgres(
                mode: mode, topics: pipeline.topics, kafka: pipeline.kafka, assignment: configuration.assignment,
                batchSize: configuration.batchSize, clientID: "drainpipe-\(pipeline.dyno)")
            return [
                SinkRunner(
                    settings: settings,
                    destination: PostgresSummaryDestination(
                        database: database, metrics: observability.metrics, dimensions: settings.metricDimensions),
                    publisher: producer, metrics: observability.metrics, logger: observability.logger)
            ]
        }, extraServices: extraServices)
}

extension SinkSettings {
    /// The postgres-sink's loops (`primary`) and the retry-sink's (`retry`): a poll is up to four COPY batches of
    /// `batchSize` rows (`SINK_BATCH_SIZE`).
    package static func postgres(
        mode: SinkMode, topics: TopicCatalog, kafka: KafkaConnection, assignment: WorkerAssignment,
        batchSize: Int = 1024, types: [MeasurementType] = MeasurementType.allCases, clientID: String = "sink",
        retryDelay: Duration = .milliseconds(200), maximumRetryDelay: Duration = .seconds(30),
        backlogReportInterval: Duration = .seconds(10)
    ) -> SinkSettings {
        SinkSettings(
            sink: TopicCatalog.postgresSink, mode: mode, topics: topics, kafka: kafka, assignment: assignment,
            pollLimit: batchSize * 4, types: types, clientID: clientID, retryDelay: retryDelay,
            maximumRetryDelay: maximumRetryDelay, backlogReportInterval: backlogReportInterval)
    }
}
